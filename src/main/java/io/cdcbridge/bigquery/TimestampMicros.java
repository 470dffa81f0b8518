package io.cdcbridge.bigquery;

import java.time.LocalDate;

/**
 * A TIMESTAMP value as the Storage Write API's proto field holds it: microseconds since the epoch. The client's JSON
 * writer parses a text timestamp with a general {@code DateTimeFormatter} (optional sections, a copy of the parse
 * state per attempt): profiled, that was a third of the BigQuery sender thread's CPU (docs/benchmarks.md). Every
 * TIMESTAMP this bridge writes is UTC ISO text ({@code _source_ts}, {@code _ingested_at}, Debezium's {@code ZonedTimestamp},
 * {@code cdc.sink.timestamp-zone} values), so that form is read here by hand; anything else is left to the client.
 */
final class TimestampMicros {

    private TimestampMicros() {
    }

    /**
     * {@code yyyy-MM-ddTHH:mm:ss[.f…]Z} (1 to 9 fractional digits, truncated to microseconds as the client does) as
     * microseconds since 1970-01-01T00:00:00Z; null for any other text, which the client then parses (or refuses, and
     * the row is dead-lettered with its reason) as before.
     */
    static Long parse(String s) {
        int n = s.length();
        if (n < 20 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T' || s.charAt(13) != ':'
                || s.charAt(16) != ':' || s.charAt(n - 1) != 'Z') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59) {
            return null; // negative: not digits; out of range: the client's formatter says why
        }
        long micros = 0;
        if (n > 20) {
            int digitsAfter = n - 21;
            if (s.charAt(19) != '.' || digitsAfter < 1 || digitsAfter > 9) {
                return null;
            }
            int fraction = digits(s, 20, digitsAfter);
            if (fraction < 0) {
                return null;
            }
            for (int i = digitsAfter; i < 6; i++) {
                fraction *= 10;
            }
            for (int i = 6; i < digitsAfter; i++) {
                fraction /= 10;
            }
            micros = fraction;
        } else if (s.charAt(19) != 'Z') {
            return null;
        }
        if (day > LocalDate.of(year, month, 1).lengthOfMonth()) {
            return null;
        }
        long days = LocalDate.of(year, month, day).toEpochDay();
        long seconds = days * 86_400 + hour * 3_600L + minute * 60L + second;
        return seconds * 1_000_000 + micros;
    }

    /** The non-negative number in {@code s[from, from + len)}, or -1 if a character is not a digit. */
    private static int digits(String s, int from, int len) {
        int v = 0;
        for (int i = from; i < from + len; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
