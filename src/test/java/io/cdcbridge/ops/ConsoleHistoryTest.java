package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.cdcbridge.support.MutableClock;
import org.junit.jupiter.api.Test;

class ConsoleHistoryTest {

    private final MutableClock clock = new MutableClock(Instant.parse("2026-12-02T03:00:00Z"));
    private final Map<String, Long> captured = new TreeMap<>();
    private final Map<String, Long> delivered = new TreeMap<>();
    private final Map<String, Long> lag = new TreeMap<>();
    private long slot = 4096;
    private final ConsoleHistory history = new ConsoleHistory(clock,
            () -> new ConsoleHistory.Reading(Map.copyOf(captured), Map.copyOf(delivered), Map.copyOf(lag), slot));

    @SuppressWarnings("unchecked")
    private <T> List<T> series(String... path) {
        Object at = history.json();
        for (String p : path) {
            at = ((Map<String, Object>) at).get(p);
        }
        return (List<T>) at;
    }

    @Test
    void ratesComeFromTheCountersBetweenTwoReadings() {
        captured.put("public.Sales", 0L);
        delivered.put("carol", 0L);
        lag.put("carol", 0L);
        history.sample();
        clock.advance(Duration.ofSeconds(5));
        captured.put("public.Sales", 100L);
        captured.put("public.Users", 3L); // first seen now: its 3 events came since the last reading
        delivered.put("carol", 50L);
        lag.put("carol", 50L);
        slot = 8192;
        history.sample();
        clock.advance(Duration.ofSeconds(10));
        captured.put("public.Sales", 100L);
        delivered.put("carol", 100L);
        lag.put("carol", 0L);
        history.sample();

        assertThat(series("t")).hasSize(3);
        assertThat(series("captured")).containsExactly(null, 20.6, 0.0);
        assertThat(series("tables", "public.Sales")).containsExactly(null, 20.0, 0.0);
        assertThat(series("tables", "public.Users")).containsExactly(null, 0.6, 0.0);
        assertThat(series("sinks", "carol", "delivered")).containsExactly(null, 10.0, 5.0);
        assertThat(series("sinks", "carol", "lagEvents")).containsExactly(0L, 50L, 0L);
        assertThat(series("slotLagBytes")).containsExactly(4096L, 8192L, 8192L);
    }

    @Test
    void lagInSecondsIsHowLongAgoCaptureWroteTheOldestWaitingEvent() {
        captured.put("public.Sales", 0L);
        lag.put("bigquery", 0L);
        for (int i = 1; i <= 6; i++) { // 10 events every 5 s, the sink stuck from the start
            clock.advance(Duration.ofSeconds(5));
            captured.put("public.Sales", 10L * i);
            lag.put("bigquery", 10L * i);
            history.sample();
        }
        // all 60 waiting: written before the first reading kept, so the history's span (25 s) is the lower bound
        assertThat(series("sinks", "bigquery", "lagSeconds").get(5)).isEqualTo(25L);
        lag.put("bigquery", 15L); // it caught up to the last 15: those were written since the reading at 40 (10 s ago)
        clock.advance(Duration.ofSeconds(5));
        captured.put("public.Sales", 65L);
        history.sample();
        assertThat(series("sinks", "bigquery", "lagSeconds").get(6)).isEqualTo(10L);
        lag.put("bigquery", 1000L); // more than the history holds: its whole span, a lower bound
        clock.advance(Duration.ofSeconds(5));
        history.sample();
        assertThat(series("sinks", "bigquery", "lagSeconds").get(7)).isEqualTo(35L);
        lag.put("bigquery", -1L); // unknown (Kafka did not answer)
        clock.advance(Duration.ofSeconds(5));
        history.sample();
        assertThat(series("sinks", "bigquery", "lagSeconds").get(8)).isNull();
        assertThat(series("sinks", "bigquery", "lagEvents").get(8)).isNull();
    }

    @Test
    void theWindowIsBoundedInTimeAndInTables() {
        ConsoleHistory small = new ConsoleHistory(clock, Duration.ofMinutes(1), 2, () -> new ConsoleHistory.Reading(
                new TreeMap<>(Map.of("a.t1", 1L, "a.t2", 2L, "a.t3", 3L)), Map.of(), Map.of(), -1));
        for (int i = 0; i < 100; i++) {
            small.sample();
            clock.advance(ConsoleHistory.EVERY);
        }
        // one minute of readings every 5 s: 13 (both ends), never more however long it runs
        assertThat(small.size()).isEqualTo(13);
        @SuppressWarnings("unchecked")
        Map<String, Object> tables = (Map<String, Object>) small.json().get("tables");
        assertThat(tables).containsOnlyKeys("a.t1", "a.t2");
        assertThat((List<Long>) small.json().get("slotLagBytes")).containsOnlyNulls();
        assertThat(new ConsoleHistory(clock, () -> null).json().get("t")).isEqualTo(List.of());
    }

    @Test
    void aCounterThatStartsAgainCountsFromZero() {
        delivered.put("bigquery", 500L);
        history.sample();
        clock.advance(Duration.ofSeconds(5));
        delivered.put("bigquery", 25L); // its route reloaded: a new engine counting from 0
        history.sample();
        assertThat(series("sinks", "bigquery", "delivered")).isEqualTo(Arrays.asList(null, 5.0));
    }
}
