package io.cdcbridge.bigquery;

import java.util.Collection;
import java.util.Map;

/**
 * An upper bound of a row's size as insertAll JSON, without writing it: requests are cut below BigQuery's size
 * limit from it, and writing each row once more just to measure it cost as much as mapping it. Counts every
 * character either JSON writer might escape (control characters, quotes, backslash, and gson's HTML-safe
 * {@code <>&='} and U+2028/U+2029) as a six-byte escape.
 */
final class JsonSize {

    private JsonSize() {
    }

    static long of(Object v) {
        if (v == null) {
            return 4;
        }
        if (v instanceof CharSequence s) {
            return string(s);
        }
        if (v instanceof Boolean b) {
            return b ? 4 : 5;
        }
        if (v instanceof Map<?, ?> m) {
            long n = 2;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                n += string(String.valueOf(e.getKey())) + 1 + of(e.getValue()) + 1;
            }
            return n;
        }
        if (v instanceof Collection<?> c) {
            long n = 2;
            for (Object e : c) {
                n += of(e) + 1;
            }
            return n;
        }
        if (v instanceof Long l) {
            return digits(l) + 2; // as a quoted string at most (INT64 as text): no Long.toString per value
        }
        // numbers (and anything else, written as its text in quotes at most)
        return string(v.toString());
    }

    /** The characters of {@code Long.toString(v)}. */
    static int digits(long v) {
        int n = v < 0 ? 2 : 1; // the sign, and the first digit
        for (long x = v / 10; x != 0; x /= 10) {
            n++;
        }
        return n;
    }

    /**
     * What an ASCII character costs: 6 for those either writer may escape, else 1. A table, because this runs for every
     * character of every row (the per-character comparisons were ~5% of a sink's consumer thread, JFR).
     */
    private static final byte[] ASCII_COST = new byte[0x80];

    static {
        for (int c = 0; c < 0x80; c++) {
            ASCII_COST[c] = (byte) (c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' || c == '=' || c == '\''
                    ? 6 : 1);
        }
    }

    static long string(CharSequence s) {
        long n = 2;
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                n += ASCII_COST[c];
            } else if (c < 0x800) {
                n += 2;
            } else if (c == '\u2028' || c == '\u2029') {
                n += 6;
            } else {
                // a surrogate pair is 4 bytes in UTF-8, 6 counted here; a lone surrogate at most a 6-byte escape
                n += Character.isSurrogate(c) ? 6 : 3;
            }
        }
        return n;
    }
}
