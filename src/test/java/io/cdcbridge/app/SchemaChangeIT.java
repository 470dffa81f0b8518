package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.support.BigQueryLatestView;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeBigQueryWrite;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Schema changes while streaming (issue 21 item 4; docs/types.md, "Schema changes"; docs/architecture.md §7, §8): on a
 * running bridge one table has a column dropped, three widened (int → bigint, varchar(10) → text, numeric(10,2) →
 * numeric(20,4)), one renamed and one retyped incompatibly (int → text), while another table keeps streaming. Every
 * row reaches BigQuery and Carol with its values, and nothing is dead-lettered.
 */
class SchemaChangeIT {

    /** On both BigQuery write paths (cdc.bigquery.write-api): insertAll, and the Storage Write API whose writers must follow the new columns. */
    @ParameterizedTest
    @ValueSource(strings = {"insertall", "storage"})
    void droppedWidenedRenamedAndRetypedColumnsKeepTheTableFlowing(String writeApi) throws Exception {
        CaptureFixture f = CaptureFixture.create("schemachg",
                "CREATE TABLE wide (id int PRIMARY KEY, n int, v varchar(10), amount numeric(10,2), gone text, old_name text, code int)",
                "ALTER TABLE wide REPLICA IDENTITY FULL",
                "CREATE TABLE other (id int PRIMARY KEY, x text)", "ALTER TABLE other REPLICA IDENTITY FULL",
                "INSERT INTO wide VALUES (1, 7, 'short', 12.34, 'bye', 'o1', 42)", "INSERT INTO other VALUES (1, 'a')");
        try (FakeBigQuery bq = FakeBigQuery.start(); FakeBigQueryWrite write = FakeBigQueryWrite.start(bq);
                FakeCarol carol = FakeCarol.start(java.time.Clock.systemUTC())) {
            try (Bridge bridge = Bridge.start(f.settingsWithSinks(bq, carol).with(Map.of("cdc.bigquery.write-api", writeApi,
                    "cdc.bigquery.storage-endpoint", write.endpoint())))) {
                bridge.awaitStreaming(Duration.ofSeconds(60));
                String dataset = "ds_" + f.prefix;
                String wide = f.prefix + "_public_wide";
                String other = f.prefix + "_public_other";
                await("snapshot in both sinks").atMost(Duration.ofSeconds(60)).until(() -> bq.rows("p", dataset, wide).size() == 1
                        && bq.rows("p", dataset, other).size() == 1 && carol.count("wide") == 1 && carol.count("other") == 1);

                // a column dropped: BigQuery keeps it (nullable), later rows have it null; Carol's later records lack it
                f.sql("ALTER TABLE wide DROP COLUMN gone", "INSERT INTO wide VALUES (2, 8, 'x', 1.5, 'o2', 43)",
                        "INSERT INTO other VALUES (2, 'b')");
                await("the row after the drop").atMost(Duration.ofSeconds(60)).until(() -> bq.rows("p", dataset, wide).size() == 2
                        && carol.count("wide") == 2 && carol.count("other") == 2);
                JsonNode bq2 = bqRow(bq, dataset, wide, 2);
                assertThat(bq2.path("gone").isMissingNode() || bq2.path("gone").isNull()).isTrue();
                assertThat(bq.schema("p", dataset, wide)).containsEntry("gone", "STRING");
                assertThat(carolRecord(carol, "wide", 2).has("gone")).isFalse();
                assertThat(carolRecord(carol, "wide", 1).path("gone").asText()).isEqualTo("bye");

                // widened: same BigQuery and Carol types, values beyond the old ranges arrive exactly
                f.sql("ALTER TABLE wide ALTER n TYPE bigint, ALTER v TYPE text, ALTER amount TYPE numeric(20,4)",
                        "INSERT INTO wide VALUES (3, 9000000000000000000, 'longer than ten characters', 1234567890123456.1234, 'o3', 44)",
                        "INSERT INTO other VALUES (3, 'c')");
                await("the row after widening").atMost(Duration.ofSeconds(60)).until(() -> bq.rows("p", dataset, wide).size() == 3
                        && carol.count("wide") == 3 && carol.count("other") == 3);
                JsonNode bq3 = bqRow(bq, dataset, wide, 3);
                assertThat(bq3.path("n").asText()).isEqualTo("9000000000000000000");
                assertThat(bq3.path("v").asText()).isEqualTo("longer than ten characters");
                assertThat(new BigDecimal(bq3.path("amount").asText())).isEqualByComparingTo("1234567890123456.1234");
                assertThat(bq.schema("p", dataset, wide)).containsEntry("n", "INTEGER").containsEntry("v", "STRING");
                ObjectNode c3 = carolRecord(carol, "wide", 3);
                assertThat(c3.path("n").asLong()).isEqualTo(9000000000000000000L);
                assertThat(c3.path("v").asText()).isEqualTo("longer than ten characters");
                assertThat(c3.path("amount").decimalValue()).isEqualByComparingTo("1234567890123456.1234");

                // renamed: a new column / field; the old one stays (null in BigQuery's later rows, absent in Carol's)
                f.sql("ALTER TABLE wide RENAME old_name TO new_name", "INSERT INTO wide VALUES (4, 10, 'y', 2.5, 'o4', 45)",
                        "INSERT INTO other VALUES (4, 'd')");
                await("the row after the rename").atMost(Duration.ofSeconds(60)).until(() -> bq.rows("p", dataset, wide).size() == 4
                        && carol.count("wide") == 4 && carol.count("other") == 4);
                JsonNode bq4 = bqRow(bq, dataset, wide, 4);
                assertThat(bq4.path("new_name").asText()).isEqualTo("o4");
                assertThat(bq4.path("old_name").isMissingNode() || bq4.path("old_name").isNull()).isTrue();
                assertThat(carolRecord(carol, "wide", 4).path("new_name").asText()).isEqualTo("o4");
                assertThat(carolRecord(carol, "wide", 4).has("old_name")).isFalse();

                // retyped incompatibly (int → text): the values go to a new column / field named <column>_<type>, the
                // old one keeps its type and earlier values; no row is lost
                f.sql("ALTER TABLE wide ALTER code TYPE text", "INSERT INTO wide VALUES (5, 11, 'z', 3.5, 'o5', 'abc')",
                        "UPDATE wide SET code = 'def' WHERE id = 1", "INSERT INTO other VALUES (5, 'e')");
                await("the rows after the type change").atMost(Duration.ofSeconds(60)).until(() -> bq.rows("p", dataset, wide).size() == 6
                        && carol.count("wide") == 6 && carolRecord(carol, "wide", 1).path("code_string").asText().equals("def")
                        && bq.rows("p", dataset, other).size() == 5 && carol.count("other") == 5);
                assertThat(bq.schema("p", dataset, wide)).containsEntry("code", "INTEGER").containsEntry("code_string", "STRING");
                JsonNode bq5 = bqRow(bq, dataset, wide, 5);
                assertThat(bq5.path("code_string").asText()).isEqualTo("abc");
                assertThat(bq5.path("code").isMissingNode() || bq5.path("code").isNull()).isTrue();
                assertThat(bqRow(bq, dataset, wide, 4).path("code").asLong()).isEqualTo(45);
                assertThat(carol.schema("wide").path("mdmStagingMapping").path("properties").path("code").path("type").asText()).isEqualTo("long");
                assertThat(carol.schema("wide").path("mdmStagingMapping").path("properties").path("code_string").path("type").asText()).isEqualTo("string");
                ObjectNode c5 = carolRecord(carol, "wide", 5);
                assertThat(c5.path("code_string").asText()).isEqualTo("abc");
                assertThat(c5.has("code")).isFalse();

                // the latest view follows: the retyped column's values, the old column and the dropped one NULL
                Map<Integer, Map<String, Object>> latest = new java.util.HashMap<>();
                for (Map<String, Object> r : BigQueryLatestView.evaluate(bq, "p", dataset, wide, f.database)) {
                    latest.put(Integer.parseInt(String.valueOf(r.get("id"))), r);
                }
                assertThat(latest).containsOnlyKeys(1, 2, 3, 4, 5);
                assertThat(latest.get(1)).containsEntry("code_string", "def").containsEntry("code", null).containsEntry("gone", null);
                assertThat(latest.get(5)).containsEntry("code_string", "abc").containsEntry("new_name", "o5");
                assertThat(String.valueOf(latest.get(4).get("code"))).isEqualTo("45");

                assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.bigquery")).isEmpty();
                assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.carol")).isEmpty();
                assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.capture")).isEmpty();
            }
        }
    }

    /** The last BigQuery changelog row of this id. */
    private static JsonNode bqRow(FakeBigQuery bq, String dataset, String table, int id) {
        JsonNode found = null;
        for (JsonNode r : bq.rows("p", dataset, table)) {
            if (r.path("id").asInt() == id) {
                found = r;
            }
        }
        assertThat(found).as("BigQuery row id=" + id).isNotNull();
        return found;
    }

    /** Carol's record of this id (the staging keeps the last per key). */
    private static ObjectNode carolRecord(FakeCarol carol, String staging, int id) {
        ObjectNode found = null;
        for (ObjectNode r : carol.records(staging)) {
            if (r.path("id").asInt() == id) {
                found = r;
            }
        }
        assertThat(found).as("Carol record id=" + id).isNotNull();
        return found;
    }
}
