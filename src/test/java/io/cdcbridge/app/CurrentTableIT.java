package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.config.Settings;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeBigQueryWrite;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.junit.jupiter.api.Test;

/**
 * The current-state table {@code <table>_current} through the whole pipeline on the Storage Write path
 * (docs/architecture.md §7, docs/bigquery.md "Current-state tables"): real Postgres, capture with its default settings
 * (unchanged TOAST values re-selected by the bridge, capture/UnchangedReselect), Kafka, the BigQuery sink, the gRPC fake
 * applying CDC by key and sequence number. Inserts, updates, deletes, TOAST values of mixed-case and reserved-word
 * columns an update left unchanged (default replica identity), one key updated many times in one transaction, a
 * TRUNCATE and a row after it, then every record delivered again (a new consumer group): the current table equals
 * Postgres throughout.
 */
class CurrentTableIT {

    @Test
    void theCurrentTableEqualsPostgres() throws Exception {
        CaptureFixture f = CaptureFixture.create("cur",
                // mixed case and a reserved word, which Debezium 3.4's own reselect query does not quote (docs/bigquery.md)
                "CREATE TABLE \"Docs\" (\"Id\" int PRIMARY KEY, \"Name\" text, \"Body\" text, \"order\" text)",
                // EXTERNAL: no compression, so a 10 kB value is surely stored out of line (TOAST)
                "ALTER TABLE \"Docs\" ALTER COLUMN \"Body\" SET STORAGE EXTERNAL",
                "ALTER TABLE \"Docs\" ALTER COLUMN \"order\" SET STORAGE EXTERNAL",
                "INSERT INTO \"Docs\" VALUES (1, 'um', repeat('x', 10000), repeat('o', 3000)), (2, 'dois', 'b', 'o2'), "
                        + "(3, 'três', 'c', 'o3')");
        try (FakeBigQuery bq = FakeBigQuery.start(); FakeBigQueryWrite write = FakeBigQueryWrite.start(bq);
                FakeCarol carol = FakeCarol.start(java.time.Clock.systemUTC())) {
            Settings settings = f.settingsWithSinks(bq, carol).with(Map.of("cdc.carol.enabled", "false",
                    "cdc.bigquery.write-api", "storage", "cdc.bigquery.storage-endpoint", write.endpoint()));
            String dataset = "ds_" + f.prefix;
            String docs = f.prefix + "_public_Docs";
            try (Bridge bridge = Bridge.start(settings)) {
                bridge.awaitStreaming(Duration.ofSeconds(60));
                await("the snapshot in the current table").atMost(Duration.ofSeconds(60))
                        .until(() -> current(bq, dataset, docs).equals(source(f)));

                f.sql("UPDATE \"Docs\" SET \"Name\" = 'um!' WHERE \"Id\" = 1"); // Body, order unchanged: TOAST, not in the WAL
                List<String> tx = new ArrayList<>();
                tx.add("BEGIN");
                for (int i = 1; i <= 25; i++) {
                    tx.add("UPDATE \"Docs\" SET \"Name\" = 'dois " + i + "' WHERE \"Id\" = 2");
                }
                tx.add("COMMIT");
                f.sql(String.join("; ", tx)); // one transaction
                f.sql("DELETE FROM \"Docs\" WHERE \"Id\" = 3", "INSERT INTO \"Docs\" VALUES (4, 'quatro', repeat('y', 9000), 'o4')");
                await("the changes in the changelog").atMost(Duration.ofSeconds(60)).until(() -> bq.rows("p", dataset, docs).size() == 3 + 1 + 25 + 2);
                await("the current table equals Postgres").atMost(Duration.ofSeconds(30))
                        .until(() -> current(bq, dataset, docs).equals(source(f)));
                assertThat(current(bq, dataset, docs)).hasSize(3)
                        .anySatisfy(r -> assertThat(r).containsExactly("1", "um!", "x".repeat(10000), "o".repeat(3000)));
                // the update's changelog row carries the values too (re-selected in capture: both sinks get them)
                assertThat(bq.rows("p", dataset, docs)).filteredOn(r -> "u".equals(r.path("_op").asText()) && r.path("Id").asInt() == 1)
                        .singleElement().satisfies(r -> {
                            assertThat(r.path("Body").asText()).isEqualTo("x".repeat(10000));
                            assertThat(r.path("order").asText()).isEqualTo("o".repeat(3000));
                            assertThat(r.path("_unchanged").isNull() || r.path("_unchanged").isMissingNode()).isTrue();
                        });

                // TRUNCATE: every key before it deleted from the current table; a row inserted after it stays
                f.sql("TRUNCATE \"Docs\"", "INSERT INTO \"Docs\" VALUES (5, 'cinco', repeat('z', 10000), 'o5')");
                await("the truncate and the new row in the changelog").atMost(Duration.ofSeconds(60))
                        .until(() -> bq.rows("p", dataset, docs).size() == 31 + 2);
                await("the current table equals Postgres after the truncate").atMost(Duration.ofSeconds(30))
                        .until(() -> current(bq, dataset, docs).equals(source(f)));
                assertThat(current(bq, dataset, docs)).singleElement()
                        .satisfies(r -> assertThat(r).containsExactly("5", "cinco", "z".repeat(10000), "o5"));
            }
            // every record again, as after a reset of the sink's consumer group: the changelog doubles, the current
            // table does not change (same sequence numbers)
            try (Bridge bridge = Bridge.start(settings.with(Map.of("cdc.bigquery.group-id", "bq-again-" + f.prefix)))) {
                bridge.awaitStreaming(Duration.ofSeconds(60));
                await("the changelog delivered twice").atMost(Duration.ofSeconds(60)).until(() -> bq.rows("p", dataset, docs).size() == 2 * 33);
                assertThat(current(bq, dataset, docs)).isEqualTo(source(f));
            }
            assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.bigquery")).isEmpty();
        }
    }

    private static List<List<String>> current(FakeBigQuery bq, String dataset, String table) {
        List<List<String>> out = new ArrayList<>();
        for (ObjectNode r : bq.rows("p", dataset, table + "_current")) {
            out.add(List.of(r.path("Id").asText(), r.path("Name").asText(), r.path("Body").asText("<null>"),
                    r.path("order").asText("<null>")));
        }
        out.sort(Comparator.comparing((List<String> r) -> Integer.parseInt(r.get(0))));
        return out;
    }

    private static List<List<String>> source(CaptureFixture f) throws Exception {
        List<List<String>> out = new ArrayList<>();
        try (Connection c = TestInfra.postgres().connect(f.database); Statement st = c.createStatement();
                ResultSet rs = st.executeQuery("SELECT \"Id\", \"Name\", \"Body\", \"order\" FROM \"Docs\" ORDER BY 1")) {
            while (rs.next()) {
                out.add(List.of(rs.getString(1), rs.getString(2), rs.getString(3) == null ? "<null>" : rs.getString(3),
                        rs.getString(4) == null ? "<null>" : rs.getString(4)));
            }
        }
        return out;
    }
}
