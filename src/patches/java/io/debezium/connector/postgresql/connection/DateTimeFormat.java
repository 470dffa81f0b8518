package io.debezium.connector.postgresql.connection;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.format.SignStyle;
import java.time.format.TextStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.function.Supplier;

import org.apache.kafka.connect.errors.ConnectException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.connector.postgresql.PostgresValueConverter;

/**
 * cdc-bridge's stand-in for debezium-connector-postgres's {@code DateTimeFormat} (Debezium 3.4.0.Final): the shaded jar
 * and the test classpath both take this class (and its {@link ISODateTimeFormat}) in place of the connector's.
 *
 * <p>Why: pgoutput sends every {@code timestamp} and {@code timestamptz} value as text, and Debezium's reader thread,
 * the one that decodes the replication stream and the capture's limit, parsed each with a {@link DateTimeFormatter}
 * (with an optional era, and a second try for an offset with seconds): 15% of that thread's JFR samples in
 * {@code bench/capture.sh} (docs/benchmarks.md). Here the text Postgres writes for such a value (ISO date style:
 * {@code 2024-02-29 09:34:56.123456+00}, four-digit year, no era) is read by hand; anything else (years past 9999,
 * {@code BC}, a value the fast reading does not accept) goes to the same formatters as before, so the result, and every
 * error, is the original's. The other methods (date, time, timetz) are as upstream.
 *
 * <p>Guarded (docs/overrides.md): the build refuses any Debezium but {@code debezium.version} (pom.xml, enforcer);
 * PatchedClassesTest fails when the connector's own classes no longer have the hashes recorded in
 * src/patches/patched-classes.txt, or when they, not these, are loaded; DateTimeFormatTest compares this class with
 * the original formatters on generated and edge-case values; PatchedJarIT checks the shaded jar; TypesIT the values
 * end to end. Delete this file when Debezium reads these values without a formatter.
 */
public interface DateTimeFormat {

    Instant timestampToInstant(String s);

    OffsetDateTime timestampWithTimeZoneToOffsetDateTime(String s);

    Instant systemTimestampToInstant(String s);

    LocalDate date(String s);

    LocalTime time(String s);

    OffsetTime timeWithTimeZone(String s);

    static DateTimeFormat get() {
        return ISODateTimeFormat.INSTANCE;
    }

    /** Postgres's ISO output, as upstream reads it, with a hand-written reading of the common timestamp forms first. */
    class ISODateTimeFormat implements DateTimeFormat {

        private static final Logger LOGGER = LoggerFactory.getLogger(ISODateTimeFormat.class);

        // stateless: one for all callers (upstream made a new one per value)
        static final ISODateTimeFormat INSTANCE = new ISODateTimeFormat();

        // the connector's formatters, unchanged: the fallback for anything the fast reading leaves alone.
        // A year of era (not a proleptic year) so that a trailing " BC" can apply.
        private static final DateTimeFormatter NON_ISO_LOCAL_DATE = new DateTimeFormatterBuilder()
                .appendValue(ChronoField.YEAR_OF_ERA, 4, 10, SignStyle.NEVER).appendLiteral('-')
                .appendValue(ChronoField.MONTH_OF_YEAR, 2).appendLiteral('-')
                .appendValue(ChronoField.DAY_OF_MONTH, 2).toFormatter();
        private static final String TS_FORMAT_PATTERN_HINT = "y..y-MM-dd HH:mm:ss[.S]";
        private static final DateTimeFormatter TS_FORMAT = dateTime(null);
        private static final String TS_TZ_FORMAT_PATTERN_HINT = "y..y-MM-dd HH:mm:ss[.S]X";
        private static final DateTimeFormatter TS_TZ_FORMAT = dateTime("+HH:mm");
        // very old timestamps carry an offset with seconds (local mean time), which the pattern above cannot read
        private static final DateTimeFormatter TS_TZ_WITH_SECONDS_FORMAT = dateTime("+HH:MM:SS");
        private static final String SYSTEM_TS_FORMAT_PATTERN_HINT = "y..y-MM-dd HH:mm:ss.SSSSSSX";
        private static final DateTimeFormatter SYSTEM_TS_FORMAT = new DateTimeFormatterBuilder()
                .append(NON_ISO_LOCAL_DATE).appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME)
                .appendOffset("+HH:mm", "Z")
                .optionalStart().appendLiteral(" ").appendText(ChronoField.ERA, TextStyle.SHORT).optionalEnd()
                .toFormatter();
        private static final String DATE_FORMAT_OPT_ERA_PATTERN_HINT = "y..y-MM-dd[ GG]";
        private static final DateTimeFormatter DATE_FORMAT_OPT_ERA = new DateTimeFormatterBuilder()
                .append(NON_ISO_LOCAL_DATE)
                .optionalStart().appendLiteral(' ').appendText(ChronoField.ERA, TextStyle.SHORT).optionalEnd()
                .toFormatter();
        private static final String TIME_FORMAT_PATTERN = "HH:mm:ss[.S]";
        private static final DateTimeFormatter TIME_FORMAT = new DateTimeFormatterBuilder()
                .appendPattern("HH:mm:ss")
                .optionalStart().appendFraction(ChronoField.MICRO_OF_SECOND, 0, 6, true).optionalEnd()
                .toFormatter();
        private static final String TIME_TZ_FORMAT_PATTERN = "HH:mm:ss[.S]X";
        private static final DateTimeFormatter TIME_TZ_FORMAT = new DateTimeFormatterBuilder()
                .append(DateTimeFormatter.ISO_LOCAL_TIME).appendOffset("+HH:mm", "").toFormatter();

        /** date, space, ISO local time, then the offset in {@code offsetPattern} (none when null), then an optional era */
        private static DateTimeFormatter dateTime(String offsetPattern) {
            DateTimeFormatterBuilder b = new DateTimeFormatterBuilder()
                    .append(NON_ISO_LOCAL_DATE).appendLiteral(' ').append(DateTimeFormatter.ISO_LOCAL_TIME);
            if (offsetPattern != null) {
                b.appendOffset(offsetPattern, "");
            }
            return b.optionalStart().appendLiteral(" ").appendText(ChronoField.ERA, TextStyle.SHORT).optionalEnd()
                    .toFormatter();
        }

        @Override
        public LocalDate date(final String s) {
            return format(DATE_FORMAT_OPT_ERA_PATTERN_HINT, s, () -> {
                if ("infinity".equals(s)) {
                    return PostgresValueConverter.POSITIVE_INFINITY_LOCAL_DATE;
                }
                if ("-infinity".equals(s)) {
                    return PostgresValueConverter.NEGATIVE_INFINITY_LOCAL_DATE;
                }
                return LocalDate.parse(s, DATE_FORMAT_OPT_ERA);
            });
        }

        @Override
        public LocalTime time(final String s) {
            return format(TIME_FORMAT_PATTERN, s, () -> LocalTime.parse(s, TIME_FORMAT));
        }

        @Override
        public OffsetTime timeWithTimeZone(final String s) {
            return format(TIME_TZ_FORMAT_PATTERN, s, () -> OffsetTime.parse(s, TIME_TZ_FORMAT)).withOffsetSameInstant(ZoneOffset.UTC);
        }

        private <T> T format(final String pattern, final String s, final Supplier<T> value) {
            try {
                return value.get();
            } catch (final DateTimeParseException e) {
                LOGGER.error("Cannot parse time/date value '{}', expected format '{}'", s, pattern);
                throw new ConnectException(e);
            }
        }

        @Override
        public Instant timestampToInstant(String s) {
            LocalDateTime fast = fastLocalDateTime(s, s.length());
            if (fast != null) {
                return fast.toInstant(ZoneOffset.UTC);
            }
            return format(TS_FORMAT_PATTERN_HINT, s, () -> LocalDateTime.from(TS_FORMAT.parse(s)).toInstant(ZoneOffset.UTC));
        }

        @Override
        public OffsetDateTime timestampWithTimeZoneToOffsetDateTime(String s) {
            OffsetDateTime fast = fastOffsetDateTime(s);
            if (fast != null) {
                return fast;
            }
            return format(TS_TZ_FORMAT_PATTERN_HINT, s, () -> {
                TemporalAccessor parsed;
                try {
                    parsed = TS_TZ_FORMAT.parse(s);
                } catch (DateTimeParseException e) {
                    parsed = TS_TZ_WITH_SECONDS_FORMAT.parse(s);
                }
                return OffsetDateTime.from(parsed);
            });
        }

        @Override
        public Instant systemTimestampToInstant(String s) {
            return format(SYSTEM_TS_FORMAT_PATTERN_HINT, s, () -> OffsetDateTime.from(SYSTEM_TS_FORMAT.parse(s)).toInstant());
        }

        // --- the fast reading. Each returns null for anything but the exact common form, and for any value that form
        // holds but that is out of range (Feb 30, hour 24, offset past 18 h): the formatters above then decide, with
        // their own resolution and errors, so only values both readings accept come from here.

        /** {@code yyyy-MM-dd HH:mm:ss[.f{1,9}]} followed by {@code [+-]HH[:mm[:ss]]}, or null. */
        static OffsetDateTime fastOffsetDateTime(String s) {
            int n = s.length();
            // the offset starts at the last sign after the time (the date's own '-' are at 4 and 7)
            int sign = -1;
            for (int i = n - 3; i >= 19; i--) {
                char c = s.charAt(i);
                if (c == '+' || c == '-') {
                    sign = i;
                    break;
                }
            }
            if (sign < 0) {
                return null;
            }
            LocalDateTime local = fastLocalDateTime(s, sign);
            if (local == null) {
                return null;
            }
            int len = n - sign - 1; // "HH", "HH:mm" or "HH:mm:ss"
            if (len != 2 && len != 5 && len != 8) {
                return null;
            }
            int h = twoDigits(s, sign + 1);
            int m = len >= 5 && s.charAt(sign + 3) == ':' ? twoDigits(s, sign + 4) : (len == 2 ? 0 : -1);
            int sec = len == 8 && s.charAt(sign + 6) == ':' ? twoDigits(s, sign + 7) : (len == 8 ? -1 : 0);
            // the original's "+HH:mm" takes no seconds and "+HH:MM:SS" requires minutes: both are covered by the three lengths
            if (h < 0 || m < 0 || sec < 0 || m > 59 || sec > 59) {
                return null;
            }
            try {
                ZoneOffset offset = s.charAt(sign) == '-' ? ZoneOffset.ofHoursMinutesSeconds(-h, -m, -sec)
                        : ZoneOffset.ofHoursMinutesSeconds(h, m, sec);
                return OffsetDateTime.of(local, offset);
            } catch (DateTimeException e) {
                return null;
            }
        }

        /** {@code yyyy-MM-dd HH:mm:ss[.f{1,9}]} exactly filling {@code s[0, end)}, or null. */
        static LocalDateTime fastLocalDateTime(String s, int end) {
            if (end < 19 || end > 29 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != ' '
                    || s.charAt(13) != ':' || s.charAt(16) != ':') {
                return null;
            }
            int y1 = twoDigits(s, 0);
            int y2 = twoDigits(s, 2);
            int mo = twoDigits(s, 5);
            int d = twoDigits(s, 8);
            int h = twoDigits(s, 11);
            int mi = twoDigits(s, 14);
            int sec = twoDigits(s, 17);
            if (y1 < 0 || y2 < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0) {
                return null;
            }
            int year = y1 * 100 + y2;
            if (year == 0) {
                return null; // no year 0 of an era: the formatter's error
            }
            int nanos = 0;
            if (end > 19) {
                if (s.charAt(19) != '.' || end == 20) {
                    return null;
                }
                int digits = end - 20;
                for (int i = 20; i < end; i++) {
                    char c = s.charAt(i);
                    if (c < '0' || c > '9') {
                        return null;
                    }
                    nanos = nanos * 10 + (c - '0');
                }
                for (int i = digits; i < 9; i++) {
                    nanos *= 10;
                }
            }
            try {
                return LocalDateTime.of(year, mo, d, h, mi, sec, nanos);
            } catch (DateTimeException e) {
                return null;
            }
        }

        private static int twoDigits(String s, int at) {
            char a = s.charAt(at);
            char b = s.charAt(at + 1);
            if (a < '0' || a > '9' || b < '0' || b > '9') {
                return -1;
            }
            return (a - '0') * 10 + (b - '0');
        }
    }
}
