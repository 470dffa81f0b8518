package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A partitioned table (docs/postgres.md, "Partitioned tables"): the root in cdc.source.tables with
 * {@code cdc.capture.debezium.publish.via.partition.root=true}: the publication Debezium creates publishes via the root,
 * the snapshot, the streamed changes of every partition and a backfill all arrive on the root's one topic.
 */
class PartitionedTableIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theRootsTopicCarriesTheSnapshotTheStreamAndABackfillOfEveryPartition() throws Exception {
        CaptureFixture f = CaptureFixture.create("partitioned",
                "CREATE TABLE \"P\" (\"Id\" int, region int, v text, PRIMARY KEY (\"Id\", region)) PARTITION BY LIST (region)",
                "CREATE TABLE \"P1\" PARTITION OF \"P\" FOR VALUES IN (1)",
                "CREATE TABLE \"P2\" PARTITION OF \"P\" FOR VALUES IN (2)",
                "INSERT INTO \"P\" SELECT g, 1 + g % 2, 'v' FROM generate_series(1, 10) g");
        try (Bridge bridge = Bridge.start(f.settings(Map.of("cdc.source.tables", "public.P",
                "cdc.capture.debezium.publish.via.partition.root", "true")))) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"P\" VALUES (11, 1, 'new'), (12, 2, 'new')", "UPDATE \"P\" SET v = 'u' WHERE \"Id\" = 2");
            Awaitility.await("snapshot and stream on the root's topic").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(ops(f)).containsEntry("r", 10).containsEntry("c", 2).containsEntry("u", 1));
            try (var c = TestInfra.postgres().connect(f.database); var st = c.createStatement();
                 var rs = st.executeQuery("SELECT pubviaroot FROM pg_publication WHERE pubname = '" + f.database + "'")) {
                assertThat(rs.next() && rs.getBoolean(1)).as("published via the root").isTrue();
            }
            Awaitility.await("streaming").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> bridge.status().backfills().start("public.P", null).contains("started"));
            Awaitility.await("the backfill on the root's topic").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(ops(f)).containsEntry("r", 22));
            assertThat(KafkaTestConsumer.readAll(f.topic("P1"))).as("no partition topic").isEmpty();
            assertThat(KafkaTestConsumer.readAll(f.topic("P2"))).as("no partition topic").isEmpty();
        }
    }

    private static Map<String, Integer> ops(CaptureFixture f) throws Exception {
        Map<String, Integer> n = new HashMap<>();
        for (var r : KafkaTestConsumer.readAll(f.topic("P"))) {
            JsonNode e = JSON.readTree(r.value());
            n.merge(e.get("op").asText(), 1, Integer::sum);
        }
        return n;
    }
}
