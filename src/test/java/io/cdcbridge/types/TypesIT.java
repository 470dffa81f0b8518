package io.cdcbridge.types;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.junit.jupiter.api.Test;

/**
 * The type matrix of docs/types.md, round trip: one column per common Postgres type; an ordinary row, a row of edge
 * values (extremes, NaN, ±Infinity, empty), a row of NULLs and a row of infinite dates and timestamps; an update that
 * leaves a TOASTed column unchanged; a delete. Each value is compared in Kafka (with what Postgres itself renders),
 * in the BigQuery fake (which types columns and validates values as BigQuery) and in the Carol fake.
 */
class TypesIT {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    static final String DDL = """
            CREATE TYPE mood AS ENUM ('triste', 'feliz');
            CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
            CREATE TABLE "AllTypes" (
              id int PRIMARY KEY,
              c_int2 smallint, c_int4 integer, c_int8 bigint, c_float4 real, c_float8 double precision,
              c_numeric numeric, c_numeric_10_2 numeric(10,2), c_money money, c_bool boolean,
              c_text text, c_varchar varchar(20), c_char char(5), c_date date, c_ts timestamp, c_tstz timestamptz,
              c_time time, c_timetz timetz, c_interval interval, c_bytea bytea, c_uuid uuid, c_json json, c_jsonb jsonb,
              c_xml xml, c_inet inet, c_cidr cidr, c_macaddr macaddr, c_bit bit(4), c_varbit varbit,
              c_int4_arr int4[], c_text_arr text[], c_enum mood, c_domain posint,
              c_gen integer GENERATED ALWAYS AS (c_int2 * 2) STORED, c_big text)""";

    @Test
    void everyTypeArrivesWithItsExactValueOrIsDocumentedAsUnrepresentable() throws Exception {
        CaptureFixture f = CaptureFixture.create("types", DDL);
        String big = ThreadLocalRandom.current().ints(100_000, 'a', 'z' + 1)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        try (FakeBigQuery bq = FakeBigQuery.start(); FakeCarol carol = FakeCarol.start(Clock.systemUTC())) {
            // the re-select of unchanged TOAST values off: this test shows what an update without one carries (CaptureIT
            // and CurrentTableIT show the re-select, the default)
            try (Bridge b = Bridge.start(f.settingsWithSinks(bq, carol).with(Map.of("cdc.capture.reselect-unchanged", "false")))) {
                b.awaitStreaming(Duration.ofSeconds(60));
                f.sql("""
                    INSERT INTO "AllTypes" VALUES (1, 1, 2, 3, 1.5, 2.25, 12345678901234567890.123456789012345, 12.34, 5.67, true,
                      'olá ✓', 'varchar', 'ab', '2024-02-29', '2024-02-29 12:34:56.123456', '2024-02-29 12:34:56.123456+03',
                      '12:34:56.789', '12:34:56+02', '1 year 2 mons 3 days 04:05:06.5', '\\xdeadbeef', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
                      '{"a": 1}', '{"b": [1, 2]}', '<x>1</x>', '192.168.0.1', '10.0.0.0/8', '08:00:2b:01:02:03', B'1010', B'101',
                      '{1,2,3}', '{"a","b c"}', 'feliz', 7, DEFAULT, '""" + big + "')",
                    """
                    INSERT INTO "AllTypes" VALUES (2, -32768, -2147483648, -9223372036854775808, 'NaN', '-Infinity', 'NaN', -99999999.99,
                      -92233720368547758.08, false, '', '', '', '0001-01-01', '9999-12-31 23:59:59.999999', '1970-01-01 00:00:00+00',
                      '00:00:00', '23:59:59.999999-12', '-178000000 years', '\\x', '00000000-0000-0000-0000-000000000000', '"null"', '[]',
                      '<a/>', '::1', '::/0', 'ff:ff:ff:ff:ff:ff', B'0000', B'', '{}', '{NULL,""}', 'triste', 1, DEFAULT, NULL)""",
                    "INSERT INTO \"AllTypes\" (id) VALUES (3)",
                    "INSERT INTO \"AllTypes\" (id, c_date, c_ts, c_tstz, c_numeric, c_float8) VALUES (4, 'infinity', '-infinity', 'infinity', 'Infinity', 'Infinity')");
                f.sql("UPDATE \"AllTypes\" SET c_int4 = 20 WHERE id = 1", "DELETE FROM \"AllTypes\" WHERE id = 3");

                String table = f.prefix + "_public_AllTypes";
                // Carol gets each key once per request (its last change), so how many records arrive depends on batching:
                // what counts is each row's last record
                await().atMost(Duration.ofSeconds(60)).until(() -> bq.rows("p", "ds_" + f.prefix, table).size() == 6
                        && lastPerId(carol.records("alltypes")).size() == 4 && lastPerId(carol.records("alltypes")).get(3).has("mdmDeleted")
                        && lastPerId(carol.records("alltypes")).get(1).path("c_int4").asInt() == 20);
                List<JsonNode> kafka = KafkaTestConsumer.readAll(f.topic("AllTypes")).stream().map(r -> read(r.value())).toList();
                assertThat(kafka).hasSize(6);
                JsonNode k1 = kafka.get(0).get("after"), k2 = kafka.get(1).get("after"), k4 = kafka.get(3).get("after");

                // Kafka: what Postgres renders, in JSON
                Map<String, String> pg1 = pgText(f, 1), pg2 = pgText(f, 2);
                for (String c : List.of("c_int2", "c_int4", "c_int8", "c_bool", "c_text", "c_varchar", "c_char", "c_date", "c_uuid",
                        "c_xml", "c_inet", "c_cidr", "c_macaddr", "c_bit", "c_varbit", "c_enum", "c_domain")) {
                    if (!c.equals("c_int4")) {
                        assertThat(k1.get(c).asText()).as("row 1 %s", c).isEqualTo(pg1.get(c));
                    }
                    assertThat(k2.get(c).asText()).as("row 2 %s", c).isEqualTo(pg2.get(c));
                }
                assertThat(k1.get("c_numeric").asText()).isEqualTo(pg1.get("c_numeric")).isEqualTo("12345678901234567890.123456789012345");
                assertThat(k1.get("c_money").asText()).isEqualTo("5.67");
                assertThat(k1.get("c_bytea").asText()).isEqualTo(pg1.get("b64"));
                assertThat(k1.get("c_tstz").asText()).isEqualTo("2024-02-29T09:34:56.123456Z");
                assertThat(k1.get("c_ts").asText()).isEqualTo("2024-02-29T12:34:56.123456");
                assertThat(k1.get("c_time").asText()).isEqualTo("12:34:56.789000");
                assertThat(k1.get("c_timetz").asText()).as("normalized to UTC").isEqualTo("10:34:56Z");
                assertThat(k1.get("c_interval").asText()).isEqualTo("P1Y2M3DT4H5M6.5S");
                assertThat(k1.get("c_json")).isEqualTo(JSON.readTree("{\"a\": 1}"));
                assertThat(k1.get("c_int4_arr")).isEqualTo(JSON.readTree("[1,2,3]"));
                assertThat(k1.has("c_gen")).as("generated columns are not replicated by pgoutput before Postgres 18").isFalse();
                assertThat(k2.get("c_float4").asText()).isEqualTo("NaN");
                assertThat(k2.get("c_float8").asText()).isEqualTo("-Infinity");
                assertThat(k2.get("c_numeric").asText()).isEqualTo("NaN");
                assertThat(k2.get("c_numeric_10_2").asText()).isEqualTo(pg2.get("c_numeric_10_2"));
                assertThat(k2.get("c_text_arr")).isEqualTo(JSON.readTree("[null,\"\"]"));
                assertThat(k2.get("c_json").asText()).isEqualTo("null");
                assertThat(k4.get("c_date").asText()).isEqualTo("infinity");
                assertThat(k4.get("c_ts").asText()).isEqualTo("-infinity");
                assertThat(k4.get("c_tstz").asText()).isEqualTo("infinity");
                assertThat(k4.get("c_numeric").asText()).isEqualTo("Infinity");
                assertThat(kafka.get(2).get("after").get("c_text").isNull()).isTrue();
                JsonNode update = kafka.get(4).get("after");
                assertThat(update.has("c_big")).as("unchanged TOAST value absent").isFalse();
                assertThat(update.get("c_int4").asInt()).isEqualTo(20);
                assertThat(kafka.get(5).get("op").asText()).isEqualTo("d");

                // BigQuery: column types, exact values, unrepresentable values as NULL with their original named
                assertThat(bq.schema("p", "ds_" + f.prefix, table)).containsEntry("c_int8", "INTEGER").containsEntry("c_float4", "FLOAT")
                        .containsEntry("c_numeric", "BIGNUMERIC").containsEntry("c_money", "BIGNUMERIC").containsEntry("c_bool", "BOOLEAN")
                        .containsEntry("c_date", "DATE").containsEntry("c_ts", "DATETIME").containsEntry("c_tstz", "TIMESTAMP")
                        .containsEntry("c_time", "TIME").containsEntry("c_json", "JSON").containsEntry("c_bytea", "BYTES")
                        .containsEntry("c_int4_arr", "INTEGER[]").containsEntry("c_enum", "STRING").containsEntry("c_domain", "INTEGER")
                        .containsEntry("c_uuid", "STRING").containsEntry("c_interval", "STRING");
                List<ObjectNode> rows = bq.rows("p", "ds_" + f.prefix, table);
                ObjectNode r1 = rows.get(0), r2 = rows.get(1), r4 = rows.get(3);
                assertThat(new BigDecimal(r1.get("c_numeric").asText())).isEqualByComparingTo("12345678901234567890.123456789012345");
                assertThat(r1.get("c_tstz").asText()).isEqualTo("2024-02-29T09:34:56.123456Z");
                assertThat(r1.get("c_domain").asLong()).isEqualTo(7);
                assertThat(r1.get("c_bit").asText()).isEqualTo("1010");
                assertThat(r2.get("c_float4").asText()).isEqualTo("NaN");
                assertThat(!r2.has("c_numeric") || r2.get("c_numeric").isNull()).as("NaN stored as NULL").isTrue();
                assertThat(r2.get("_unrepresentable").asText()).isEqualTo("c_numeric=NaN");
                assertThat(r2.get("c_date").asText()).isEqualTo("0001-01-01");
                assertThat(r2.get("c_ts").asText()).isEqualTo("9999-12-31T23:59:59.999999");
                assertThat(r4.get("_unrepresentable").asText()).isEqualTo("c_numeric=Infinity,c_date=infinity,c_ts=-infinity,c_tstz=infinity");
                assertThat(r4.get("c_float8").asText()).isEqualTo("Infinity");
                assertThat(rows.get(4).get("_unchanged").asText()).contains("c_big");
                assertThat(rows.get(5).get("_op").asText()).isEqualTo("d");
                assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.bigquery")).isEmpty();

                // Carol: typed values; numeric as exact numbers; NaN/Infinity/infinite dates, which the staging's typed
                // fields cannot hold, as null named in _unrepresentable (the bridge made the staging's schema)
                Map<Integer, ObjectNode> rec = lastPerId(carol.records("alltypes"));
                assertThat(carol.repeatedKeys()).as("no request held a key twice").isZero();
                assertThat(rec.get(1).get("c_numeric").decimalValue()).isEqualByComparingTo("12345678901234567890.123456789012345");
                assertThat(rec.get(1).get("c_numeric").isNumber()).isTrue();
                assertThat(rec.get(1).get("c_int8").asLong()).isEqualTo(3);
                assertThat(rec.get(1).get("c_jsonb").toString()).isEqualTo("{\"b\":[1,2]}");
                assertThat(rec.get(2).get("c_int8").asLong()).isEqualTo(Long.MIN_VALUE);
                assertThat(rec.get(2).get("c_money").decimalValue()).isEqualByComparingTo("-92233720368547758.08");
                assertThat(rec.get(2).get("c_numeric").isNull()).isTrue();
                assertThat(rec.get(2).get("_unrepresentable").asText()).contains("c_numeric=NaN");
                assertThat(rec.get(4).get("c_date").isNull()).isTrue();
                assertThat(rec.get(4).get("_unrepresentable").asText()).contains("c_date=infinity");
                assertThat(carol.schema("alltypes").path("mdmStagingMapping").path("properties").path("c_date").path("type").asText())
                        .isEqualTo("date");
                // the update of row 1 left c_big (TOAST) unchanged; with the default replica identity no image holds it
                // (REPLICA IDENTITY FULL does: CaptureIT), so it is absent, never null
                assertThat(rec.get(1).get("c_int4").asInt()).isEqualTo(20);
                assertThat(rec.get(1).has("c_big")).isFalse();
                assertThat(rec.get(3).toString()).isEqualTo("{\"id\":3,\"mdmDeleted\":true}");
                assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.carol")).isEmpty();
            }
        }
    }

    /** What Postgres itself renders for row {@code id}: each column as text, bytea as base64. */
    private static Map<String, String> pgText(CaptureFixture f, int id) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (Connection c = TestInfra.postgres().connect(f.database); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT *, encode(c_bytea, 'base64') AS b64 FROM \"AllTypes\" WHERE id = " + id)) {
            rs.next();
            for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                out.put(rs.getMetaData().getColumnName(i), rs.getString(i));
            }
        }
        out.put("c_bool", String.valueOf("t".equals(out.get("c_bool"))));
        return out;
    }

    /** Each row's last Carol record, by id. */
    private static Map<Integer, ObjectNode> lastPerId(List<ObjectNode> records) {
        Map<Integer, ObjectNode> out = new java.util.HashMap<>();
        records.forEach(r -> out.put(r.path("id").asInt(), r));
        return out;
    }

    private static JsonNode read(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
