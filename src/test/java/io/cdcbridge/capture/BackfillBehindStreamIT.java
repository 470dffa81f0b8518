package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A backfill that starts while the stream is behind (docs/overrides.md §1, the patched read-only incremental snapshot;
 * docs/operations.md, "Backfill"): its chunks are read only once the stream has caught up with them, so another table's
 * backlog streams first, and no chunk is read or emitted while older changes still wait. Debezium's own class read a
 * chunk for every backlog change, so the backlog crawled at one change per chunk read; its chunks then carried LSNs
 * from inside the backlog, which this test refuses.
 */
class BackfillBehindStreamIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROWS = 20_000;
    private static final int BACKLOG = 60_000;

    @Test
    void chunksWaitUntilTheStreamHasCaughtUp() throws Exception {
        CaptureFixture f = CaptureFixture.create("behind",
                "CREATE TABLE \"A\" (\"Id\" int PRIMARY KEY, v text)",
                "CREATE TABLE \"B\" (\"Id\" int PRIMARY KEY, v text)",
                "INSERT INTO \"A\" SELECT g, 'a' || g FROM generate_series(1, " + ROWS + ") g",
                "ANALYZE \"A\"",
                // one transaction per row: the stream's backlog is BACKLOG transactions, as under a busy source
                "CREATE PROCEDURE backlog(n int) LANGUAGE plpgsql AS $$ BEGIN FOR i IN 1..n LOOP "
                        + "INSERT INTO \"B\" VALUES (i, 'b'); COMMIT; END LOOP; END $$");
        Map<String, String> chunked = Map.of("cdc.capture.debezium.incremental.snapshot.chunk.size", "1000");
        Map<String, String> onlyB = new java.util.HashMap<>(chunked);
        onlyB.put("cdc.source.tables", "public.B");
        Settings firstRun = f.settings(onlyB);
        try (Bridge bridge = Bridge.start(firstRun)) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            // offsets must be stored before the stop: without them the next start is a first start, whose initial
            // snapshot reads A and B (no backfill is requested), and Debezium stores offsets only for a record it captured
            f.sql("INSERT INTO \"B\" VALUES (0, 'first run')");
            KafkaTestConsumer.read(f.topic("B"), 1, Duration.ofSeconds(60));
            Awaitility.await("offsets stored by the first run").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> LostSlot.storedOffsets(SourceConfig.from(firstRun), KafkaConfig.from(firstRun)) != null);
        }
        // while the bridge is stopped: the backlog, in the slot
        try (Connection c = TestInfra.postgres().connect(f.database); Statement st = c.createStatement()) {
            c.setAutoCommit(true);
            st.execute("CALL backlog(" + BACKLOG + ")");
        }

        Map<String, String> both = new java.util.HashMap<>(chunked);
        both.put("cdc.source.tables", "public.A,public.B");
        try (Bridge bridge = Bridge.start(f.settings(both))) {
            // A is new to the include list: backfilled as soon as capture streams, while B's backlog still streams
            Awaitility.await("A's backfill done").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
                    .until(() -> bridge.status().backfillProgress().stream().anyMatch(p -> p.table().equals("public.A") && "done".equals(p.state())));
            Backfills.Progress progress = bridge.status().backfillProgress().stream().filter(p -> p.table().equals("public.A")).findFirst().orElseThrow();

            List<KafkaTestConsumer.Rec> b = KafkaTestConsumer.read(f.topic("B"), BACKLOG + 1, Duration.ofSeconds(120));
            long lastBacklogLsn = -1;
            long lastBacklogSent = -1;
            Set<Integer> bIds = new HashSet<>();
            for (var r : b) {
                JsonNode e = JSON.readTree(r.value());
                int id = e.get("after").get("Id").asInt();
                bIds.add(id);
                if (id == BACKLOG) {
                    lastBacklogLsn = e.get("source").get("lsn").asLong();
                    lastBacklogSent = r.timestamp();
                }
            }
            assertThat(bIds).as("B's backlog, every row, and the first run's row").hasSize(BACKLOG + 1);
            // without this the test would prove nothing: the backfill must have begun while the backlog was streaming
            assertThat(progress.started().toEpochMilli())
                    .as("A's backfill started before B's backlog had streamed (else raise BACKLOG: this host streams it too fast)")
                    .isLessThan(lastBacklogSent);

            List<KafkaTestConsumer.Rec> a = KafkaTestConsumer.read(f.topic("A"), ROWS, Duration.ofSeconds(60));
            Set<Integer> read = new HashSet<>();
            java.util.TreeMap<Long, Integer> rowsByLsn = new java.util.TreeMap<>();
            for (var r : a) {
                JsonNode e = JSON.readTree(r.value());
                assertThat(e.get("op").asText()).isEqualTo("r");
                read.add(e.get("after").get("Id").asInt());
                rowsByLsn.merge(e.get("source").get("lsn").asLong(), 1, Integer::sum);
            }
            assertThat(read).as("every row of A, as r").hasSize(ROWS);
            // a chunk's rows carry the stream position when it was emitted (docs/architecture.md §4, Backfill rows)
            assertThat(rowsByLsn.headMap(lastBacklogLsn))
                    .as("rows of A per LSN emitted before the stream passed B's backlog (its last change at LSN " + lastBacklogLsn + ")")
                    .isEmpty();
        }
    }
}
