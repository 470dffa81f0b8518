package io.debezium.connector.postgresql.connection;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.cdcbridge.support.OriginalClasses;
import org.junit.jupiter.api.Test;

/**
 * cdc-bridge's stand-in for the connector's DateTimeFormat (src/patches/java) reads every timestamp text exactly as
 * the original does: the original class, loaded from the connector's jar, and ours are given the same texts (what
 * Postgres writes, and what it does not) and must return equal values, or fail alike. That ours is the class loaded
 * is PatchedClassesTest's (docs/overrides.md).
 */
class DateTimeFormatTest {

    private static final String ORIGINAL = "io.debezium.connector.postgresql.connection.DateTimeFormat";

    private final Object original;
    private final DateTimeFormat ours = DateTimeFormat.get();

    DateTimeFormatTest() throws ReflectiveOperationException {
        ClassLoader loader = new OriginalClasses(ORIGINAL, ORIGINAL + "$ISODateTimeFormat");
        original = loader.loadClass(ORIGINAL).getMethod("get").invoke(null);
        assertThat(original.getClass().getClassLoader()).isSameAs(loader);
    }

    @Test
    void timestamptzTextsReadAsTheOriginalReadsThem() throws Exception {
        Method theirs = original.getClass().getMethod("timestampWithTimeZoneToOffsetDateTime", String.class);
        for (String s : texts(true)) {
            assertSame(s, call(theirs, s), call(() -> ours.timestampWithTimeZoneToOffsetDateTime(s)));
        }
    }

    @Test
    void timestampTextsReadAsTheOriginalReadsThem() throws Exception {
        Method theirs = original.getClass().getMethod("timestampToInstant", String.class);
        for (String s : texts(false)) {
            assertSame(s, call(theirs, s), call(() -> ours.timestampToInstant(s)));
        }
    }

    @Test
    void theCommonFormsTakeTheFastReading() {
        // without this the patch could fall back for everything and still pass the comparisons above
        assertThat(DateTimeFormat.ISODateTimeFormat.fastOffsetDateTime("2024-02-29 09:34:56.123456+00")).isNotNull();
        assertThat(DateTimeFormat.ISODateTimeFormat.fastOffsetDateTime("2024-02-29 09:34:56-03:30")).isNotNull();
        assertThat(DateTimeFormat.ISODateTimeFormat.fastLocalDateTime("2024-02-29 09:34:56.1", 21)).isNotNull();
        assertThat(DateTimeFormat.ISODateTimeFormat.fastOffsetDateTime("2024-02-29 09:34:56+00 BC")).isNull();
    }

    /** Texts as Postgres writes them (ISO DateStyle) and near misses, with an offset or without. */
    private static List<String> texts(boolean offset) {
        List<String> out = new ArrayList<>();
        String[] offsets = {"+00", "+05:30", "-03", "-09:30", "+14", "-12", "+00:53:28", "-00:25:21", "+01:00", "+5",
                "+0530", "+05:3", "Z", "+19", "-18", "+05:60", "+05:30:60", "+05:30:1", ""};
        String[] bodies = {"2024-02-29 09:34:56", "2024-02-29 09:34:56.123456", "2024-02-29 09:34:56.1",
                "2024-02-29 09:34:56.000000", "2024-02-29 09:34:56.123456789", "2024-02-29 09:34:56.1234567890",
                "2024-02-29 09:34:56.", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999", "0000-01-01 00:00:00",
                "12345-06-07 08:09:10", "294276-12-31 23:59:59.999999", "2023-02-29 10:00:00", "2024-04-31 10:00:00",
                "2024-13-01 10:00:00", "2024-00-10 10:00:00", "2024-01-01 24:00:00", "2024-01-01 23:60:00",
                "2024-01-01 23:59:60", "2024-01-01 10:00", "2024-01-01T10:00:00", "2024-1-01 10:00:00",
                "2024-01-01 10:00:00 ", " 2024-01-01 10:00:00", "2024-01-0a 10:00:00", "abcd-ef-gh ij:kl:mn"};
        String[] suffixes = {"", " BC", " AD", " bc"};
        for (String b : bodies) {
            for (String o : offset ? offsets : new String[] {""}) {
                for (String sfx : suffixes) {
                    out.add(b + o + sfx);
                }
            }
        }
        Random random = new Random(23);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder s = new StringBuilder();
            int year = random.nextInt(10) == 0 ? 1 + random.nextInt(300_000) : 1 + random.nextInt(9999);
            s.append(String.format("%04d-%02d-%02d %02d:%02d:%02d", year, 1 + random.nextInt(12), 1 + random.nextInt(31),
                    random.nextInt(24), random.nextInt(60), random.nextInt(60)));
            int digits = random.nextInt(8);
            if (digits > 0) {
                s.append('.');
                for (int d = 0; d < digits; d++) {
                    s.append((char) ('0' + random.nextInt(10)));
                }
            }
            if (offset) {
                int h = random.nextInt(16);
                s.append(random.nextBoolean() ? '+' : '-').append(String.format("%02d", h));
                switch (random.nextInt(3)) {
                    case 1 -> s.append(String.format(":%02d", random.nextInt(60)));
                    case 2 -> s.append(String.format(":%02d:%02d", random.nextInt(60), random.nextInt(60)));
                    default -> { }
                }
            }
            if (random.nextInt(20) == 0) {
                s.append(" BC");
            }
            out.add(s.toString());
        }
        return out;
    }

    private void assertSame(String text, Object theirs, Object mine) {
        assertThat(mine).as("reading '%s'", text).isEqualTo(theirs);
    }

    private Object call(Method m, String s) throws IllegalAccessException {
        try {
            return m.invoke(original, s);
        } catch (InvocationTargetException e) {
            return failure(e.getCause());
        }
    }

    private static Object call(java.util.function.Supplier<Object> s) {
        try {
            return s.get();
        } catch (RuntimeException e) {
            return failure(e);
        }
    }

    /** A failure as text: the exception, its message and its cause's (the original and ours must fail alike). */
    private static String failure(Throwable e) {
        Throwable cause = e.getCause();
        return "failed: " + e.getClass().getName() + ": " + e.getMessage()
                + (cause == null ? "" : " / " + cause.getClass().getName() + ": " + cause.getMessage());
    }
}
