package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import io.debezium.util.HexConverter;
import org.junit.jupiter.api.Test;

/** The fast key text is the text of Debezium's own serialization, one stream per key, for every key. */
class SnapshotKeyHexTest {

    @Test
    void intAndLongKeysAsTheStreamWritesThem() {
        Random r = new Random(21);
        List<Object[]> keys = new ArrayList<>();
        for (int v : new int[]{0, 1, -1, 127, 128, 255, 256, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            keys.add(new Object[]{v});
            keys.add(new Object[]{(long) v});
        }
        keys.add(new Object[]{Long.MIN_VALUE});
        keys.add(new Object[]{Long.MAX_VALUE});
        for (int i = 0; i < 20_000; i++) {
            keys.add(new Object[]{r.nextInt()});
            keys.add(new Object[]{r.nextLong()});
        }
        for (Object[] k : keys) {
            assertThat(SnapshotKeyHex.of(k)).as("key %s", k[0]).isEqualTo(HexConverter.convertToHexString(SnapshotKeyHex.serialize(k)));
        }
    }

    @Test
    void otherKeysGoThroughTheStream() {
        List<Object[]> keys = List.of(new Object[]{"a"}, new Object[]{(short) 3}, new Object[]{1, 2}, new Object[]{1L, "x"},
                new Object[]{UUID.fromString("0e4d6f1c-7f5a-4a4e-9d2c-3b1f0a9c8e71")}, new Object[]{null}, new Object[0]);
        for (Object[] k : keys) {
            assertThat(SnapshotKeyHex.of(k)).isEqualTo(HexConverter.convertToHexString(SnapshotKeyHex.serialize(k)));
        }
        assertThat(SnapshotKeyHex.of(null)).as("no key sent yet").isEqualTo(HexConverter.convertToHexString(SnapshotKeyHex.serialize(null)));
        // the bytes are Java serialization: the stream's magic number and version first
        assertThat(SnapshotKeyHex.of(new Object[]{42})).startsWith("aced0005");
    }
}
