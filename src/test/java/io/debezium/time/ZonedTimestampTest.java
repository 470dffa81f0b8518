package io.debezium.time;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Method;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.TemporalAdjuster;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import io.cdcbridge.support.OriginalClasses;
import org.junit.jupiter.api.Test;

/**
 * cdc-bridge's stand-in for debezium-core's ZonedTimestamp (src/patches/java) prints every value exactly as the
 * original does: the original class, loaded from debezium-core's jar, and ours print the same values (UTC and other
 * offsets and zones, years inside and outside 0-9999, every fractional width Debezium may pass) and must return the
 * same text. That ours is the class loaded is PatchedClassesTest's (docs/overrides.md).
 */
class ZonedTimestampTest {

    private static final Integer[] WIDTHS = {null, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

    private final Method zoned;
    private final Method offset;

    ZonedTimestampTest() throws ReflectiveOperationException {
        Class<?> original = new OriginalClasses("io.debezium.time.ZonedTimestamp").loadClass("io.debezium.time.ZonedTimestamp");
        assertThat(original).isNotSameAs(ZonedTimestamp.class);
        zoned = original.getMethod("toIsoString", ZonedDateTime.class, TemporalAdjuster.class, Integer.class);
        offset = original.getMethod("toIsoString", OffsetDateTime.class, TemporalAdjuster.class);
    }

    @Test
    void zonedValuesPrintAsTheOriginalPrintsThem() throws Exception {
        for (ZonedDateTime t : values()) {
            for (Integer w : WIDTHS) {
                assertThat(ZonedTimestamp.toIsoString(t, null, w)).as("%s, width %s", t, w).isEqualTo(zoned.invoke(null, t, null, w));
                // as PostgresValueConverter calls it
                assertThat(ZonedTimestamp.toIsoString((Object) t, ZoneOffset.UTC, null, w)).isEqualTo(zoned.invoke(null, t, null, w));
            }
            TemporalAdjuster adjuster = v -> v.plus(java.time.Duration.ofDays(1));
            assertThat(ZonedTimestamp.toIsoString(t, adjuster, 6)).isEqualTo(zoned.invoke(null, t, adjuster, 6));
        }
    }

    @Test
    void offsetValuesPrintAsTheOriginalPrintsThem() throws Exception {
        for (ZonedDateTime t : values()) {
            OffsetDateTime o = t.toOffsetDateTime();
            assertThat(ZonedTimestamp.toIsoString(o, null)).as("%s", o).isEqualTo(offset.invoke(null, o, null));
        }
    }

    @Test
    void utcValuesTakeTheFastPrinting() {
        // without this the patch could fall back for everything and still pass the comparisons above
        assertThat(ZonedTimestamp.fastUtc(LocalDateTime.of(2024, 2, 29, 9, 34, 56, 123_456_000), 0, 6))
                .isEqualTo("2024-02-29T09:34:56.123456Z");
        assertThat(ZonedTimestamp.fastUtc(LocalDateTime.of(2024, 2, 29, 9, 34, 56), 3600, 6)).isNull();
    }

    private static List<ZonedDateTime> values() {
        List<ZonedDateTime> out = new ArrayList<>();
        ZoneId[] zones = {ZoneOffset.UTC, ZoneOffset.ofHours(5), ZoneOffset.ofHoursMinutes(-9, -30),
                ZoneOffset.ofHoursMinutesSeconds(0, 53, 28), ZoneId.of("Europe/London"), ZoneId.of("America/Sao_Paulo"),
                ZoneId.of("UTC"), ZoneId.of("Z")};
        int[] nanos = {0, 1, 10, 999_999_999, 123_456_000, 123_456_789, 100_000_000, 500, 120_000, 1_000};
        int[] years = {0, 1, 999, 1000, 1970, 2024, 9999, 10000, 294276, -1, -4712};
        for (ZoneId z : zones) {
            for (int y : years) {
                for (int n : nanos) {
                    out.add(ZonedDateTime.of(y, 12, 31, 23, 59, 58, n, z));
                    out.add(ZonedDateTime.of(y, 1, 1, 0, 0, 0, n, z));
                }
            }
        }
        Random random = new Random(23);
        for (int i = 0; i < 20_000; i++) {
            ZoneId z = random.nextInt(4) == 0 ? zones[random.nextInt(zones.length)] : ZoneOffset.UTC;
            int nano = switch (random.nextInt(4)) {
                case 0 -> 0;
                case 1 -> random.nextInt(1_000_000) * 1000;
                default -> random.nextInt(1_000_000_000);
            };
            out.add(ZonedDateTime.of(random.nextInt(10) == 0 ? random.nextInt(20_000) - 5_000 : 1 + random.nextInt(9999),
                    1 + random.nextInt(12), 1 + random.nextInt(28), random.nextInt(24), random.nextInt(60), random.nextInt(60),
                    nano, z));
        }
        return out;
    }
}
