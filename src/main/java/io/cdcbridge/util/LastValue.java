package io.cdcbridge.util;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.Function;

/**
 * A value computed once while its key repeats. Change records come in runs: a table's records carry the same types
 * header and row schema, a transaction's rows the same commit time. A run therefore computes the value once instead
 * of once per record. Keeps one entry, thread-safe. The value is shared, so its users must not change it; a
 * computation that throws is not kept.
 */
public final class LastValue<K, V> {

    private record Entry<K, V>(K key, V value) {
    }

    private final Function<? super K, ? extends V> compute;
    private final boolean byIdentity;
    private volatile Entry<K, V> last;

    private LastValue(Function<? super K, ? extends V> compute, boolean byIdentity) {
        this.compute = compute;
        this.byIdentity = byIdentity;
    }

    /** Keys compared with equals, byte arrays by content (a Kafka header's value). */
    public static <K, V> LastValue<K, V> byValue(Function<? super K, ? extends V> compute) {
        return new LastValue<>(compute, false);
    }

    /** Keys compared by identity: for objects that are reused and costly to compare (a Connect row Schema). */
    public static <K, V> LastValue<K, V> byIdentity(Function<? super K, ? extends V> compute) {
        return new LastValue<>(compute, true);
    }

    public V get(K key) {
        Entry<K, V> seen = last;
        if (seen != null && same(seen.key(), key)) {
            return seen.value();
        }
        V value = compute.apply(key);
        last = new Entry<>(key, value);
        return value;
    }

    private boolean same(Object a, Object b) {
        if (byIdentity || a == b) {
            return a == b;
        }
        return a instanceof byte[] x && b instanceof byte[] y ? Arrays.equals(x, y) : Objects.equals(a, b);
    }
}
