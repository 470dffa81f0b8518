package io.cdcbridge.delivery;

import java.util.Arrays;
import java.util.function.Function;

/**
 * A record header parsed once while it repeats: a table's records all carry the same {@code cdc.types} header, so a
 * sink parses it once per table and run instead of once per record. Thread-safe; the parsed value is shared, so it
 * must not be changed by its users.
 */
public final class RepeatedHeader<T> {

    private record Parsed<T>(byte[] header, T value) {
    }

    private final Function<Object, T> parse;
    private volatile Parsed<T> last;

    public RepeatedHeader(Function<Object, T> parse) {
        this.parse = parse;
    }

    /** The header's parsed value: the last one if these are the same bytes. */
    public T get(Object header) {
        Parsed<T> seen = last;
        if (header instanceof byte[] b && seen != null && Arrays.equals(seen.header(), b)) {
            return seen.value();
        }
        T value = parse.apply(header);
        if (header instanceof byte[] b) {
            last = new Parsed<>(b, value);
        }
        return value;
    }
}
