package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The include list grows (issue 21 item 1; docs/operations.md, "Backfill"): a table added to {@code cdc.source.tables}
 * between two runs gets its existing rows backfilled (op r) once capture streams, and its later changes stream; the table
 * captured before is not read again, and its changes made while the bridge was stopped and since stream as usual.
 */
class IncludeListGrowsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aTableAddedToTheIncludeListGetsItsExistingRowsWithoutReReadingTheOthers() throws Exception {
        CaptureFixture f = CaptureFixture.create("growlist",
                "CREATE TABLE \"A\" (\"Id\" int PRIMARY KEY, v text)",
                "CREATE TABLE \"B\" (\"Id\" int PRIMARY KEY, v text)",
                "INSERT INTO \"A\" SELECT g, 'a' FROM generate_series(1, 50) g",
                "INSERT INTO \"B\" SELECT g, 'b' FROM generate_series(1, 500) g");
        try (Bridge bridge = Bridge.start(f.settings(Map.of("cdc.source.tables", "public.A")))) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"A\" VALUES (51, 'a')");
            awaitCount(f.topic("A"), 51);
        }
        assertThat(KafkaTestConsumer.readAll(f.topic("B"))).as("B not captured yet").isEmpty();
        // while the bridge is stopped: a change of A (streams from the slot) and of B (its backfill reads it)
        f.sql("INSERT INTO \"A\" VALUES (52, 'a')", "UPDATE \"B\" SET v = 'b2' WHERE \"Id\" = 7");
        int aBefore = KafkaTestConsumer.readAll(f.topic("A")).size();

        try (Bridge bridge = Bridge.start(f.settings(Map.of("cdc.source.tables", "public.A,public.B")))) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            Awaitility.await("B's backfill done").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> bridge.status().backfillProgress().stream().anyMatch(p -> p.table().equals("public.B") && "done".equals(p.state())));
            f.sql("INSERT INTO \"B\" VALUES (501, 'new')", "INSERT INTO \"A\" VALUES (53, 'a')");

            Awaitility.await("B: every existing row as r, then the insert as c").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        Set<Integer> read = new TreeSet<>();
                        boolean inserted = false;
                        for (var r : KafkaTestConsumer.readAll(f.topic("B"))) {
                            JsonNode e = JSON.readTree(r.value());
                            int id = e.get("after").get("Id").asInt();
                            if (e.get("op").asText().equals("r")) {
                                read.add(id);
                                if (id == 7) {
                                    assertThat(e.get("after").get("v").asText()).isEqualTo("b2");
                                }
                            } else {
                                assertThat(e.get("op").asText()).isEqualTo("c");
                                inserted |= id == 501;
                            }
                        }
                        assertThat(read).hasSize(500).contains(1, 500);
                        assertThat(inserted).isTrue();
                    });
            // A is not read again: after the restart only its changes, as c
            Awaitility.await("A streams on").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        List<KafkaTestConsumer.Rec> all = KafkaTestConsumer.readAll(f.topic("A"));
                        List<String> since = new java.util.ArrayList<>();
                        for (var r : all.subList(aBefore, all.size())) {
                            JsonNode e = JSON.readTree(r.value());
                            since.add(e.get("op").asText() + e.get("after").get("Id").asInt());
                        }
                        // at least once: a change may repeat after a restart, but no row of A is read (r) again
                        assertThat(since).contains("c52", "c53").allMatch(op -> op.startsWith("c"));
                    });
            assertThat(bridge.status().backfillProgress()).extracting(Backfills.Progress::table).containsExactly("public.B");
        }
    }

    private static void awaitCount(String topic, int n) {
        Awaitility.await(n + " records on " + topic).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> KafkaTestConsumer.readAll(topic).size() >= n);
    }
}
