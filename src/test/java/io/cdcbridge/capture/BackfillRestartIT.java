package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.LogCapture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A backfill survives a restart of the bridge (docs/operations.md, "Backfill"): Debezium keeps the incremental
 * snapshot's position in the offsets and resumes it; the restarted bridge shows it under its id (rows counted since the
 * restart) until it is done, and every row of the table arrives.
 */
class BackfillRestartIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROWS = 300_000;

    @Test
    void aBackfillStoppedHalfWayIsResumedAfterTheRestart() throws Exception {
        stopHalfWayAndResume("bfrestart", false);
    }

    /**
     * The same after changes of another table streamed before the backfill began, and none after the restart: the
     * offsets then carry that older transaction's id, which is all the resumed chunk's window can be compared with.
     */
    @Test
    void aBackfillResumesWhenOtherTablesStreamedBeforeItAndNothingAfter() throws Exception {
        stopHalfWayAndResume("bfrestart2", true);
    }

    private void stopHalfWayAndResume(String hint, boolean otherTableFirst) throws Exception {
        CaptureFixture f = CaptureFixture.create(hint,
                "CREATE TABLE \"T\" (\"Id\" int PRIMARY KEY, v text)",
                "CREATE TABLE \"O\" (\"Id\" int PRIMARY KEY, v text)",
                "INSERT INTO \"T\" SELECT g, 'row ' || g FROM generate_series(1, " + ROWS + ") g",
                "ANALYZE \"T\"");
        // streaming from the start, nothing read: every row comes from the backfill; small chunks make it last seconds
        var settings = f.settings(Map.of("cdc.source.snapshot-mode", "no_data",
                "cdc.capture.debezium.incremental.snapshot.chunk.size", "200"));
        String id;
        try (Bridge bridge = Bridge.start(settings)) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            if (otherTableFirst) {
                try (LogCapture log = LogCapture.start()) {
                    for (int i = 1; i <= 50; i++) {
                        f.sql("INSERT INTO \"O\" VALUES (" + i + ", 'o')");
                    }
                    KafkaTestConsumer.read(f.topic("O"), 50, Duration.ofSeconds(60));
                    // a first start's streamed changes, before any backfill: Debezium's own snapshot source logged a
                    // WARN for each (its context is null until a signal); the patched one takes it from the offsets
                    assertThat(log.lines()).as("the log while changes streamed").noneMatch(l -> l.contains("Context is null"));
                }
            }
            String line = bridge.status().backfills().start("public.T", null);
            id = line.split(" ")[1];
            Awaitility.await("part of the backfill published").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50))
                    .until(() -> progressOf(bridge, id).rows() >= 20_000);
            Backfills.Progress before = progressOf(bridge, id);
            assertThat(before.state()).as("the backfill still under way at the stop (else raise ROWS)").isEqualTo("running");
        }

        try (Bridge bridge = Bridge.start(settings)) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            Awaitility.await("the resumed backfill shown and done").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                    .untilAsserted(() -> {
                        Backfills.Progress p = progressOf(bridge, id);
                        assertThat(p.table()).isEqualTo("public.T");
                        assertThat(p.state()).isEqualTo("done");
                        assertThat(p.detail()).isNotNull();
                    });
            Awaitility.await("every row of T").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                    .untilAsserted(() -> {
                        Set<Integer> ids = new HashSet<>();
                        for (var r : KafkaTestConsumer.readAll(f.topic("T"))) {
                            JsonNode e = JSON.readTree(r.value());
                            assertThat(e.get("op").asText()).isEqualTo("r");
                            ids.add(e.get("after").get("Id").asInt());
                        }
                        assertThat(ids).hasSize(ROWS);
                    });
            // the logical decoding messages the backfill wrote to move an idle stream on reach no topic
            assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.capture")).as("capture's dead letters").isEmpty();
        }
    }

    private static Backfills.Progress progressOf(Bridge bridge, String id) {
        return bridge.status().backfillProgress().stream().filter(p -> p.id().equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError("no backfill " + id + " in " + bridge.status().backfillProgress()));
    }
}
