package io.cdcbridge.capture;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.Arrays;

import io.debezium.util.HexConverter;

/**
 * A backfill's chunk key as Debezium keeps it in the offsets ({@code incremental_snapshot_primary_key}): the hex of the
 * key's Java serialization, {@link ObjectOutputStream#writeObject} of the {@code Object[]}. Written for every backfill
 * row by the patched read-only snapshot context (docs/overrides.md §1), where a new stream per row was a third of
 * Debezium's snapshot thread. For a one-element array of {@code Integer} or {@code Long} (a serial or bigint primary
 * key) the stream is a fixed prefix, the class descriptors of the array and of the element, followed by the value's
 * big-endian bytes: the prefix is serialized once and the value written into a copy. Any other key goes through a
 * stream. Byte for byte the stream's output ({@code SnapshotKeyHexTest}).
 */
public final class SnapshotKeyHex {

    private static final byte[] INT_TEMPLATE = serialize(new Object[]{0});
    private static final byte[] LONG_TEMPLATE = serialize(new Object[]{0L});

    private SnapshotKeyHex() {
    }

    /** The hex text of {@code key}'s serialization ({@code null} included, as Debezium writes it before the first row). */
    public static String of(Object[] key) {
        if (key != null && key.length == 1) {
            if (key[0] instanceof Integer i) {
                return HexConverter.convertToHexString(withValue(INT_TEMPLATE, i, 4));
            }
            if (key[0] instanceof Long l) {
                return HexConverter.convertToHexString(withValue(LONG_TEMPLATE, l, 8));
            }
        }
        return HexConverter.convertToHexString(serialize(key));
    }

    private static byte[] withValue(byte[] template, long value, int width) {
        byte[] b = template.clone();
        for (int i = 0; i < width; i++) {
            b[b.length - 1 - i] = (byte) (value >>> (8 * i));
        }
        return b;
    }

    /** What Debezium's own serialization writes: one stream per key. */
    static byte[] serialize(Object[] key) {
        try (ByteArrayOutputStream bos = new ByteArrayOutputStream(); ObjectOutputStream oos = new ObjectOutputStream(bos)) {
            oos.writeObject(key);
            oos.flush();
            return bos.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialize the backfill key " + Arrays.toString(key), e);
        }
    }
}
