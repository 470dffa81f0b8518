package io.cdcbridge.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Random;

import org.junit.jupiter.api.Test;

class TimestampMicrosTest {

    private static long expected(String iso) {
        Instant i = Instant.parse(iso);
        return Math.addExact(Math.multiplyExact(i.getEpochSecond(), 1_000_000L), i.getNano() / 1_000);
    }

    @Test
    void utcIsoTextIsTheInstantsMicroseconds() {
        for (String s : new String[] {"2026-12-02T08:00:00Z", "2026-12-02T08:00:00.1Z", "2026-12-02T08:00:00.123456Z",
                "2026-12-02T08:00:00.123456789Z", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59.5Z", "0001-01-01T00:00:00Z",
                "9999-12-31T23:59:59.999999Z", "2024-02-29T12:34:56.000001Z"}) {
            assertThat(TimestampMicros.parse(s)).as(s).isEqualTo(expected(s));
        }
    }

    @Test
    void agreesWithTheJdkOnRandomInstants() {
        Random r = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            Instant at = Instant.ofEpochSecond(r.nextLong(-62_135_596_800L, 253_402_300_799L), r.nextInt(1_000_000_000));
            String s = (i % 3 == 0 ? at.truncatedTo(ChronoUnit.MILLIS) : i % 3 == 1 ? at.truncatedTo(ChronoUnit.MICROS) : at).toString();
            assertThat(TimestampMicros.parse(s)).as(s).isEqualTo(expected(s));
        }
    }

    @Test
    void anyOtherFormIsLeftToTheClient() {
        for (String s : new String[] {"2026-12-02 08:00:00Z", "2026-12-02T08:00:00+00:00", "2026-12-02T08:00:00", "1733126400000000",
                "2026-02-30T08:00:00Z", "2026-13-02T08:00:00Z", "2026-12-02T24:00:00Z", "2026-12-02T08:00:00.Z",
                "2026-12-02T08:00:00.1234567890Z", "+10000-01-01T00:00:00Z", "2026-12-02T08:0a:00Z", "infinity", ""}) {
            assertThat(TimestampMicros.parse(s)).as(s).isNull();
        }
    }
}
