package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.support.BigQueryLatestView;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeBigQueryWrite;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TRUNCATE end to end (issue 21 item 3, docs/architecture.md §4, §7, §8): capture sends it as op t on the table's topic,
 * BigQuery's changelog records it and the {@code _latest} view (its SQL evaluated on Postgres) then equals the source
 * table again, and Carol, which has no truncate, dead-letters it with the cause (the default policy).
 */
class TruncateIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** On both BigQuery write paths (cdc.bigquery.write-api). */
    @ParameterizedTest
    @ValueSource(strings = {"insertall", "storage"})
    void aTruncateEmptiesBigQuerysLatestStateAndIsDeadLetteredForCarol(String writeApi) throws Exception {
        CaptureFixture f = CaptureFixture.create("trunc",
                "CREATE TABLE \"Items\" (\"Id\" int PRIMARY KEY, \"Name\" text)",
                "CREATE TABLE \"Log\" (\"Line\" text)", "ALTER TABLE \"Log\" REPLICA IDENTITY FULL",
                "INSERT INTO \"Items\" VALUES (1, 'um'), (2, 'dois'), (3, 'três')", "INSERT INTO \"Log\" VALUES ('a')");
        try (FakeBigQuery bq = FakeBigQuery.start(); FakeBigQueryWrite write = FakeBigQueryWrite.start(bq);
                FakeCarol carol = FakeCarol.start(java.time.Clock.systemUTC())) {
            // Log has no key and no crosswalk: Carol would refuse its rows anyway; only Items goes there
            var settings = f.settingsWithSinks(bq, carol).with(Map.of("cdc.carol.tables", "public.Items",
                    "cdc.bigquery.write-api", writeApi, "cdc.bigquery.storage-endpoint", write.endpoint()));
            try (Bridge bridge = Bridge.start(settings)) {
                bridge.awaitStreaming(Duration.ofSeconds(60));
                String dataset = "ds_" + f.prefix;
                String items = f.prefix + "_public_Items";
                String log = f.prefix + "_public_Log";
                await("snapshot in BigQuery and Carol").atMost(Duration.ofSeconds(60)).until(() ->
                        bq.rows("p", dataset, items).size() == 3 && bq.rows("p", dataset, log).size() == 1 && carol.count("items") == 3);

                f.sql("UPDATE \"Items\" SET \"Name\" = 'dois!' WHERE \"Id\" = 2");
                f.sql("TRUNCATE \"Items\", \"Log\"");
                f.sql("INSERT INTO \"Items\" VALUES (2, 'dois de novo'), (4, 'quatro')", "INSERT INTO \"Log\" VALUES ('b')");
                await("the changes in BigQuery").atMost(Duration.ofSeconds(60)).until(() ->
                        bq.rows("p", dataset, items).size() == 7 && bq.rows("p", dataset, log).size() == 3);
                // the changelog keeps everything, the truncate included: no column values, its own LSN
                var truncates = bq.rows("p", dataset, items).stream().filter(r -> r.path("_op").asText().equals("t")).toList();
                assertThat(truncates).hasSize(1);
                assertThat(truncates.get(0).path("Id").isMissingNode() || truncates.get(0).path("Id").isNull()).isTrue();
                assertThat(truncates.get(0).path("Name").isMissingNode() || truncates.get(0).path("Name").isNull()).isTrue();
                assertThat(truncates.get(0).path("_lsn").asLong()).isPositive();
                assertThat(latest(bq, f, items, "Id", "Name")).isEqualTo(source(f, "SELECT \"Id\", \"Name\" FROM \"Items\" ORDER BY 1"))
                        .containsExactly(List.of("2", "dois de novo"), List.of("4", "quatro"));
                assertThat(latest(bq, f, log, "Line")).isEqualTo(source(f, "SELECT \"Line\" FROM \"Log\" ORDER BY 1"))
                        .containsExactly(List.of("b"));

                // inserts and a truncate in one transaction: only the rows written after it stay
                f.sql("INSERT INTO \"Items\" VALUES (5, 'cinco')", "TRUNCATE \"Items\"",
                        "INSERT INTO \"Items\" VALUES (6, 'seis'), (2, 'dois outra vez')");
                await("the transaction in BigQuery").atMost(Duration.ofSeconds(60)).until(() -> bq.rows("p", dataset, items).size() == 11);
                assertThat(latest(bq, f, items, "Id", "Name")).isEqualTo(source(f, "SELECT \"Id\", \"Name\" FROM \"Items\" ORDER BY 1"))
                        .containsExactly(List.of("2", "dois outra vez"), List.of("6", "seis"));

                // Carol: every row change arrived, each truncate is in the dead-letter topic with why
                List<KafkaTestConsumer.Rec> dead = KafkaTestConsumer.read(f.prefix + ".dlq.carol", 2, Duration.ofSeconds(60));
                assertThat(dead).hasSize(2);
                for (KafkaTestConsumer.Rec r : dead) {
                    JsonNode event = JSON.readTree(r.value());
                    assertThat(event.get("op").asText()).isEqualTo("t");
                    assertThat(event.get("table").asText()).isEqualTo("Items");
                    assertThat(r.headers().get("cdc.error.message")).contains("Carol has no truncate").contains("public.Items")
                            .contains("cdc.carol.truncate=ignore");
                    assertThat(r.headers().get("cdc.origin.topic")).isEqualTo(f.topic("Items"));
                }
                await("Carol's records").atMost(Duration.ofSeconds(30)).until(() -> carol.records("items").stream()
                        .anyMatch(r -> r.path("Name").asText().equals("dois outra vez")));
                assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.bigquery")).isEmpty();
                assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.capture")).isEmpty();
            }
        }
    }

    /** The view's rows, these columns as text, ordered by the first. */
    private static List<List<String>> latest(FakeBigQuery bq, CaptureFixture f, String table, String... columns) throws Exception {
        List<List<String>> out = new ArrayList<>();
        for (Map<String, Object> r : BigQueryLatestView.evaluate(bq, "p", "ds_" + f.prefix, table, f.database)) {
            List<String> row = new ArrayList<>();
            for (String c : columns) {
                row.add(String.valueOf(r.get(c)));
            }
            out.add(row);
        }
        out.sort(java.util.Comparator.comparing((List<String> r) -> r.get(0)));
        return out;
    }

    private static List<List<String>> source(CaptureFixture f, String query) throws Exception {
        List<List<String>> out = new ArrayList<>();
        try (Connection c = TestInfra.postgres().connect(f.database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                    row.add(String.valueOf(rs.getObject(i)));
                }
                out.add(row);
            }
        }
        out.sort(java.util.Comparator.comparing((List<String> r) -> r.get(0)));
        return out;
    }
}
