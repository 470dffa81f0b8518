package io.debezium.time;

import static java.time.format.DateTimeFormatter.ISO_LOCAL_DATE;
import static java.time.temporal.ChronoField.NANO_OF_SECOND;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAdjuster;
import java.util.Locale;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;

/**
 * cdc-bridge's stand-in for debezium-core's {@code ZonedTimestamp} (Debezium 3.4.0.Final), the string form of a
 * {@code timestamptz} ({@code 2024-02-29T09:34:56.123456Z}): the shaded jar and the test classpath both take this
 * class in place of debezium-core's.
 *
 * <p>Why: Debezium's reader thread, the capture's limit, prints every {@code timestamptz} value here. The original
 * builds three {@code DateTimeFormatterBuilder}s per value when the column has a fractional width (it always has, six,
 * when streaming from pgoutput), then formats with them: a tenth of that thread's JFR samples in
 * {@code bench/capture.sh} (docs/benchmarks.md). This one prints a UTC value of a year 0-9999 by hand, digit by digit
 * as those formatters do (fixed width: the fraction truncated, zero-padded; no width: seconds always, the fraction's
 * trailing zeros dropped, none at all for a whole second; {@code Z} for UTC); any other value goes to the same
 * formatters as before, now built once per width. The rest of the class is as upstream.
 *
 * <p>Guarded (docs/overrides.md): the enforcer pins Debezium; PatchedClassesTest checks debezium-core's original still
 * has the hash recorded in src/patches/patched-classes.txt and that this class is the one loaded; ZonedTimestampTest
 * compares every fast result with the original formatters; PatchedJarIT the shaded jar; TypesIT the values end to end.
 */
public class ZonedTimestamp {

    /** ISO date-time with offset, such as {@code 2011-12-03T10:15:30.030431+01:00}: 0 to 9 fractional digits. */
    public static final DateTimeFormatter FORMATTER = DateTimeFormatter.ISO_OFFSET_DATE_TIME;

    public static final String SCHEMA_NAME = "io.debezium.time.ZonedTimestamp";

    /** index w: the formatter with exactly w fractional digits (1-9); built once each instead of per value */
    private static final DateTimeFormatter[] FIXED_WIDTH = new DateTimeFormatter[10];

    static {
        for (int w = 1; w <= 9; w++) {
            FIXED_WIDTH[w] = fixedWidthFormatter(w);
        }
    }

    /** The formatter for {@code fractionalWidth} digits: exactly that many for 1-9, else {@link #FORMATTER}'s 0-9. */
    private static DateTimeFormatter getDateTimeFormatter(Integer fractionalWidth) {
        // a TIMESTAMP column passes -1; Java's formatters take at most 9 digits
        if (fractionalWidth == null || fractionalWidth <= 0 || fractionalWidth > 9) {
            return FORMATTER;
        }
        return FIXED_WIDTH[fractionalWidth];
    }

    private static DateTimeFormatter fixedWidthFormatter(int width) {
        DateTimeFormatter time = new DateTimeFormatterBuilder()
                .appendValue(ChronoField.HOUR_OF_DAY, 2).appendLiteral(':').appendValue(ChronoField.MINUTE_OF_HOUR, 2)
                .optionalStart().appendLiteral(':').appendValue(ChronoField.SECOND_OF_MINUTE, 2)
                .optionalStart().appendFraction(NANO_OF_SECOND, width, width, true)
                .toFormatter(Locale.ENGLISH);
        DateTimeFormatter dateTime = new DateTimeFormatterBuilder()
                .parseCaseInsensitive().append(ISO_LOCAL_DATE).appendLiteral('T').append(time)
                .toFormatter(Locale.ENGLISH);
        return new DateTimeFormatterBuilder()
                .parseCaseInsensitive().append(dateTime).parseLenient().appendOffsetId().parseStrict()
                .toFormatter(Locale.ENGLISH);
    }

    public static SchemaBuilder builder() {
        return SchemaBuilder.string().name(SCHEMA_NAME).version(1);
    }

    public static Schema schema() {
        return builder().build();
    }

    /**
     * The ISO 8601 form of a {@link java.time.LocalDateTime}, {@link java.time.LocalDate}, {@link java.time.LocalTime},
     * {@link java.util.Date}, {@link java.sql.Date}, {@link java.sql.Time}, {@link java.sql.Timestamp},
     * {@link OffsetTime}, {@link OffsetDateTime} or {@link ZonedDateTime} (a String is returned as it is).
     *
     * @param defaultZone     the zone of a value without one
     * @param adjuster        applied to the value first; may be null
     * @param fractionalWidth exactly this many fractional digits (1-9), or null for 0-9
     */
    public static String toIsoString(Object value, ZoneId defaultZone, TemporalAdjuster adjuster, Integer fractionalWidth) {
        if (value instanceof String) {
            return (String) value;
        }
        if (value instanceof OffsetDateTime) {
            return toIsoString((OffsetDateTime) value, adjuster);
        }
        if (value instanceof ZonedDateTime) {
            return toIsoString((ZonedDateTime) value, adjuster, fractionalWidth);
        }
        if (value instanceof OffsetTime) {
            return toIsoString((OffsetTime) value, adjuster);
        }
        if (value instanceof java.util.Date) { // or JDBC subtypes
            return toIsoString((java.util.Date) value, defaultZone, adjuster);
        }
        throw new IllegalArgumentException(
                "Unable to convert to OffsetDateTime from unexpected value '" + value + "' of type " + value.getClass().getName());
    }

    public static String toIsoString(OffsetDateTime timestamp, TemporalAdjuster adjuster) {
        if (adjuster != null) {
            timestamp = timestamp.with(adjuster);
        }
        String fast = fastUtc(timestamp.toLocalDateTime(), timestamp.getOffset().getTotalSeconds(), 0);
        return fast != null ? fast : timestamp.format(FORMATTER);
    }

    public static String toIsoString(ZonedDateTime timestamp, TemporalAdjuster adjuster, Integer fractionalWidth) {
        if (adjuster != null) {
            timestamp = timestamp.with(adjuster);
        }
        int width = fractionalWidth == null || fractionalWidth <= 0 || fractionalWidth > 9 ? 0 : fractionalWidth;
        String fast = fastUtc(timestamp.toLocalDateTime(), timestamp.getOffset().getTotalSeconds(), width);
        return fast != null ? fast : timestamp.format(getDateTimeFormatter(fractionalWidth));
    }

    /**
     * {@code yyyy-MM-ddTHH:mm:ss[.fraction]Z} for a value at offset 0 of a year 0-9999, as the formatters print it, or
     * null (another offset, another year: the formatter's). {@code width} 1-9: exactly that many fractional digits,
     * truncated; 0: the fraction without its trailing zeros, and none for a whole second.
     */
    static String fastUtc(LocalDateTime t, int offsetSeconds, int width) {
        int year = t.getYear();
        if (offsetSeconds != 0 || year < 0 || year > 9999) {
            return null;
        }
        int nano = t.getNano();
        int digits = width;
        int fraction = nano;
        if (width == 0) {
            if (nano != 0) {
                digits = 9;
                while (fraction % 10 == 0) {
                    fraction /= 10;
                    digits--;
                }
            }
        } else {
            for (int i = width; i < 9; i++) {
                fraction /= 10;
            }
        }
        char[] c = new char[20 + (digits == 0 ? 0 : 1 + digits)];
        put4(c, 0, year);
        c[4] = '-';
        put2(c, 5, t.getMonthValue());
        c[7] = '-';
        put2(c, 8, t.getDayOfMonth());
        c[10] = 'T';
        put2(c, 11, t.getHour());
        c[13] = ':';
        put2(c, 14, t.getMinute());
        c[16] = ':';
        put2(c, 17, t.getSecond());
        int at = 19;
        if (digits > 0) {
            c[at++] = '.';
            for (int i = at + digits - 1; i >= at; i--) {
                c[i] = (char) ('0' + fraction % 10);
                fraction /= 10;
            }
            at += digits;
        }
        c[at] = 'Z';
        return new String(c);
    }

    private static void put2(char[] c, int at, int v) {
        c[at] = (char) ('0' + v / 10);
        c[at + 1] = (char) ('0' + v % 10);
    }

    private static void put4(char[] c, int at, int v) {
        put2(c, at, v / 100);
        put2(c, at + 2, v % 100);
    }

    public static String toIsoString(OffsetTime timestamp, TemporalAdjuster adjuster) {
        if (adjuster != null) {
            timestamp = timestamp.with(adjuster);
        }
        return timestamp.format(FORMATTER);
    }

    /** A {@link java.util.Date} or one of its JDBC subclasses, in {@code zoneId}. */
    public static String toIsoString(java.util.Date timestamp, ZoneId zoneId, TemporalAdjuster adjuster) {
        if (timestamp instanceof java.sql.Timestamp) {
            return toIsoString((java.sql.Timestamp) timestamp, zoneId, adjuster);
        }
        if (timestamp instanceof java.sql.Date) {
            return toIsoString((java.sql.Date) timestamp, zoneId, adjuster);
        }
        if (timestamp instanceof java.sql.Time) {
            return toIsoString((java.sql.Time) timestamp, zoneId, adjuster);
        }
        return timestamp.toInstant().atZone(zoneId).format(FORMATTER);
    }

    public static String toIsoString(java.sql.Timestamp timestamp, ZoneId zoneId, TemporalAdjuster adjuster) {
        Instant instant = timestamp.toInstant();
        if (adjuster != null) {
            instant = instant.with(adjuster);
        }
        return instant.atZone(zoneId).format(FORMATTER);
    }

    public static String toIsoString(java.sql.Date date, ZoneId zoneId, TemporalAdjuster adjuster) {
        LocalDate localDate = date.toLocalDate();
        if (adjuster != null) {
            localDate = localDate.with(adjuster);
        }
        return ZonedDateTime.of(localDate, LocalTime.MIDNIGHT, zoneId).format(FORMATTER);
    }

    public static String toIsoString(java.sql.Time time, ZoneId zoneId, TemporalAdjuster adjuster) {
        LocalTime localTime = time.toLocalTime();
        if (adjuster != null) {
            localTime = localTime.with(adjuster);
        }
        return ZonedDateTime.of(Conversions.EPOCH, localTime, zoneId).format(FORMATTER);
    }

    private ZonedTimestamp() {
    }
}
