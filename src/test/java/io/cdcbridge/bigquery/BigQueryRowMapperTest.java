package io.cdcbridge.bigquery;

import io.cdcbridge.event.ChangeEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.cdcbridge.errors.PermanentDeliveryException;
import org.junit.jupiter.api.Test;

class BigQueryRowMapperTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05.678Z"), ZoneOffset.UTC);
    private final BigQueryRowMapper mapper = new BigQueryRowMapper(
            new BigQueryNames("postgres", Set.of(), Set.of(), Map.of("public.Renamed", "other_name")), CLOCK);

    private static final String TYPES = """
            {"SaleId":"int4","Value":"float8","Price":"numeric","EntryDateTime":"timestamp","At":"timestamptz",
             "Day":"date","Paid":"bool","Note":"text","Doc":"jsonb","Raw":"bytea","Id":"uuid","Tags":"_text",
             "Nums":"_int4","Big":"int8","Clock":"time","Code":"bpchar"}""";

    private static ChangeEvent change(String json, String types) {
        return ChangeEvent.parse(json.getBytes(StandardCharsets.UTF_8), types == null ? null : types.getBytes(StandardCharsets.UTF_8));
    }

    private static final String INSERT = """
            {"v":1,"op":"c","schema":"public","table":"Sales","key":{"SaleId":7},"before":null,
             "after":{"SaleId":7,"Value":20.5,"Price":"12345678901234567890.123456789012","EntryDateTime":"2025-01-31T10:00:00.123456",
                      "At":"2025-01-31T10:00:00Z","Day":"2025-01-31","Paid":true,"Note":"Ação","Doc":{"a":[1,2]},"Raw":"AAEC",
                      "Id":"7c9e6679-7425-40de-944b-e07fc1f90ae7","Tags":["x","y"],"Nums":[1,2],"Big":9007199254740993,
                      "Clock":"10:00:00","Code":null},
             "source":{"lsn":22070608,"txId":743,"tsMs":1764000000000,"snapshot":false}}""";

    @Test
    void collidingColumnNamesKeepEveryValue() {
        String types = "{\"Id\":\"int4\",\"Name\":\"text\",\"name\":\"text\",\"e-mail\":\"text\",\"e_mail\":\"text\","
                + "\"_op\":\"text\",\"_PARTITIONTIME\":\"int4\"}";
        String json = """
                {"v":1,"op":"u","schema":"public","table":"People","key":{"Id":1},"before":null,
                 "after":{"Id":1,"Name":"Ana","name":"ana","e-mail":"a@x","e_mail":"b@x","_op":"mine","_PARTITIONTIME":5},
                 "source":{"lsn":10,"txId":1,"tsMs":1764000000000,"snapshot":false}}""";
        BigQueryRowMapper.Row row = mapper.map(change(json, types));
        assertThat(row.values()).containsEntry("Id", 1L).containsEntry("Name", "Ana").containsEntry("name_2", "ana")
                .containsEntry("e_mail", "a@x").containsEntry("e_mail_2", "b@x").containsEntry("_op_2", "mine")
                .containsEntry("_op", "u").containsEntry("c_PARTITIONTIME", 5L);
        assertThat(row.columns()).containsOnlyKeys("Id", "Name", "name_2", "e_mail", "e_mail_2", "_op_2", "c_PARTITIONTIME");
        assertThat(row.keyColumns()).containsExactly("Id");

        // without the types header (an older event): the same names, from the image's column order
        BigQueryRowMapper.Row bare = mapper.map(change(json, null));
        assertThat(bare.values()).containsEntry("name_2", "ana").containsEntry("e_mail_2", "b@x").containsEntry("_op_2", "mine");
    }

    @Test
    void mapsTypesFromTheHeader() {
        BigQueryRowMapper.Row row = mapper.map(change(INSERT, TYPES));

        assertThat(row.tableId()).isEqualTo("postgres_public_Sales");
        assertThat(row.columns()).containsEntry("SaleId", ColumnType.scalar("INT64"))
                .containsEntry("Value", ColumnType.scalar("FLOAT64"))
                .containsEntry("Price", ColumnType.scalar("BIGNUMERIC"))
                .containsEntry("EntryDateTime", ColumnType.scalar("DATETIME"))
                .containsEntry("At", ColumnType.scalar("TIMESTAMP"))
                .containsEntry("Day", ColumnType.scalar("DATE"))
                .containsEntry("Paid", ColumnType.scalar("BOOL"))
                .containsEntry("Note", ColumnType.scalar("STRING"))
                .containsEntry("Doc", ColumnType.scalar("JSON"))
                .containsEntry("Raw", ColumnType.scalar("BYTES"))
                .containsEntry("Id", ColumnType.scalar("STRING"))
                .containsEntry("Tags", new ColumnType("STRING", true))
                .containsEntry("Nums", new ColumnType("INT64", true))
                .containsEntry("Clock", ColumnType.scalar("TIME"))
                .containsEntry("Code", ColumnType.scalar("STRING"));
        Map<String, Object> v = row.values();
        assertThat(v.get("SaleId")).isEqualTo(7L);
        assertThat(v.get("Value")).isEqualTo(20.5);
        assertThat(v.get("Price")).isEqualTo("12345678901234567890.123456789012");
        assertThat(v.get("EntryDateTime")).isEqualTo("2025-01-31T10:00:00.123456");
        assertThat(v.get("At")).isEqualTo("2025-01-31T10:00:00Z");
        assertThat(v.get("Day")).isEqualTo("2025-01-31");
        assertThat(v.get("Paid")).isEqualTo(true);
        assertThat(v.get("Note")).isEqualTo("Ação");
        assertThat(v.get("Doc")).isEqualTo("{\"a\":[1,2]}");
        assertThat(v.get("Raw")).isEqualTo("AAEC");
        assertThat(v.get("Tags")).isEqualTo(List.of("x", "y"));
        assertThat(v.get("Nums")).isEqualTo(List.of(1L, 2L));
        assertThat(v.get("Big")).isEqualTo(9007199254740993L);
        assertThat(v).containsEntry("Code", null);
        assertThat(row.keyColumns()).containsExactly("SaleId");
    }

    @Test
    void postgresTypeNamesAndAliases() {
        for (String t : List.of("int2", "int4", "int8", "serial", "bigserial", "smallserial", "INT4", "oid")) {
            assertThat(ColumnType.forPostgres(t)).as(t).isEqualTo(ColumnType.scalar("INT64"));
        }
        assertThat(ColumnType.forPostgres("_int4")).isEqualTo(new ColumnType("INT64", true));
        assertThat(ColumnType.forPostgres("_numeric")).isEqualTo(new ColumnType("BIGNUMERIC", true));
        assertThat(ColumnType.forPostgres("float4")).isEqualTo(ColumnType.scalar("FLOAT64"));
        assertThat(ColumnType.forPostgres("timestamp")).isEqualTo(ColumnType.scalar("DATETIME"));
        assertThat(ColumnType.forPostgres("timestamptz")).isEqualTo(ColumnType.scalar("TIMESTAMP"));
        assertThat(ColumnType.forPostgres("json")).isEqualTo(ColumnType.scalar("JSON"));
        for (String t : List.of("text", "varchar", "bpchar", "uuid", "timetz", "interval", "inet", "citext", "my_enum")) {
            assertThat(ColumnType.forPostgres(t)).as(t).isEqualTo(ColumnType.scalar("STRING"));
        }
    }

    @Test
    void addsMetadataColumns() {
        Map<String, Object> v = mapper.map(change(INSERT, TYPES)).values();
        assertThat(v).containsEntry("_op", "c").containsEntry("_lsn", 22070608L).containsEntry("_tx_id", 743L)
                .containsEntry("_source_ts", "2025-11-24T16:00:00Z").containsEntry("_ingested_at", "2026-01-02T03:04:05.678Z");
        assertThat(BigQueryRowMapper.METADATA.keySet()).containsExactly("_op", "_lsn", "_tx_id", "_source_ts", "_ingested_at", "_unchanged",
                "_unrepresentable");
        assertThat(v).containsEntry("_unchanged", null);
    }

    @Test
    void numericArrivingAsJsonNumberKeepsItsDigits() {
        String json = INSERT.replace("\"12345678901234567890.123456789012\"", "12345678901234567890.123456789012");
        assertThat(mapper.map(change(json, TYPES)).values().get("Price")).isEqualTo("12345678901234567890.123456789012");
    }

    @Test
    void toastUnchangedColumnIsAbsentNotNull() {
        String update = """
                {"v":1,"op":"u","schema":"public","table":"Docs","key":{"Id":1},"before":null,
                 "after":{"Id":1,"Title":"new"},"source":{"lsn":100,"txId":5,"tsMs":1764000000000}}""";
        BigQueryRowMapper.Row row = mapper.map(change(update, "{\"Id\":\"int4\",\"Title\":\"text\",\"Body\":\"text\"}"));
        assertThat(row.values()).containsKeys("Id", "Title").doesNotContainKey("Body");
        // ...and named as unchanged, so the latest-state view keeps the previous value
        assertThat(row.values()).containsEntry("_unchanged", "Body");
        // the column still belongs to the table's schema
        assertThat(row.columns()).containsKey("Body");
    }

    @Test
    void deleteUsesTheBeforeImageOrTheKey() {
        String delete = """
                {"v":1,"op":"d","schema":"public","table":"Users","key":{"UserId":4},"before":{"UserId":4,"UserName":"Ana"},
                 "after":null,"source":{"lsn":101,"txId":6,"tsMs":1764000000000}}""";
        assertThat(mapper.map(change(delete, null)).values()).containsEntry("UserId", 4L).containsEntry("UserName", "Ana")
                .containsEntry("_op", "d");
        String keyOnly = delete.replace("\"before\":{\"UserId\":4,\"UserName\":\"Ana\"}", "\"before\":null");
        assertThat(mapper.map(change(keyOnly, null)).values()).containsEntry("UserId", 4L).doesNotContainKey("UserName");
    }

    @Test
    void infersTypesWithoutTheHeader() {
        BigQueryRowMapper.Row row = mapper.map(change(INSERT, null));
        assertThat(row.columns()).containsEntry("SaleId", ColumnType.scalar("INT64"))
                .containsEntry("Value", ColumnType.scalar("FLOAT64"))
                .containsEntry("Paid", ColumnType.scalar("BOOL"))
                .containsEntry("Doc", ColumnType.scalar("JSON"))
                .containsEntry("Tags", new ColumnType("STRING", true))
                .doesNotContainKey("Code");
        assertThat(row.values()).doesNotContainKey("Code");
    }

    @Test
    void insertIdIsDeterministicAndDistinguishesLsnTableKeyAndOp() {
        String id = mapper.map(change(INSERT, TYPES)).insertId();
        assertThat(mapper.map(change(INSERT, null)).insertId()).isEqualTo(id);
        // same key, fields in another order: same id
        assertThat(BigQueryRowMapper.insertId(change(INSERT.replace("\"key\":{\"SaleId\":7}", "\"key\":{\"SaleId\":7}"), null))).isEqualTo(id);
        assertThat(mapper.map(change(INSERT.replace("22070608", "22070609"), null)).insertId()).isNotEqualTo(id);
        assertThat(mapper.map(change(INSERT.replace("\"Sales\"", "\"Sales2\""), null)).insertId()).isNotEqualTo(id);
        assertThat(mapper.map(change(INSERT.replace("\"key\":{\"SaleId\":7}", "\"key\":{\"SaleId\":8}"), null)).insertId()).isNotEqualTo(id);
        assertThat(mapper.map(change(INSERT.replace("\"op\":\"c\"", "\"op\":\"r\""), null)).insertId()).isNotEqualTo(id);
        assertThat(id).hasSize(40).matches("[0-9a-f]+");
    }

    @Test
    void insertIdsStayTheSameAcrossVersions() {
        // a replay after an upgrade must give the ids BigQuery already saw, or its dedup cannot work: these are pinned
        assertThat(BigQueryRowMapper.insertId(change(INSERT, TYPES))).isEqualTo("7e53a287b0fb20127aeea9f78b45547babd4e128");
        String keyless = """
                {"v":1,"op":"u","schema":"public","table":"Log","key":null,"before":null,
                 "after":{"z":null,"a":"Ação \\"q\\" \\u0001 ✓","m":{"y":[1,2.50,{"k":true,"b":-0.0}],"x":1e400},
                          "big":9007199254740993,"neg":-12,"f":false,"arr":[],"obj":{}},
                 "source":{"lsn":99,"txId":1,"tsMs":1764000000000,"snapshot":false}}""";
        assertThat(BigQueryRowMapper.insertId(change(keyless, null))).isEqualTo("273470fb851f98480edcc17b41564b9ed1bd2e78");
    }

    @Test
    void compositeKeyIdDoesNotDependOnFieldOrder() {
        String a = "{\"v\":1,\"op\":\"r\",\"schema\":\"s\",\"table\":\"t\",\"key\":{\"a\":1,\"b\":2},\"after\":{\"a\":1,\"b\":2},\"source\":{\"lsn\":5}}";
        String b = "{\"v\":1,\"op\":\"r\",\"schema\":\"s\",\"table\":\"t\",\"key\":{\"b\":2,\"a\":1},\"after\":{\"a\":1,\"b\":2},\"source\":{\"lsn\":5}}";
        assertThat(BigQueryRowMapper.insertId(change(a, null))).isEqualTo(BigQueryRowMapper.insertId(change(b, null)));
    }

    @Test
    void keylessSnapshotRowsGetDistinctIds() {
        String r1 = "{\"v\":1,\"op\":\"r\",\"schema\":\"public\",\"table\":\"Sales\",\"key\":null,\"after\":{\"BookId\":1,\"Value\":20},\"source\":{\"lsn\":9,\"snapshot\":true}}";
        String r2 = r1.replace("\"Value\":20", "\"Value\":21");
        assertThat(BigQueryRowMapper.insertId(change(r1, null))).isNotEqualTo(BigQueryRowMapper.insertId(change(r2, null)));
        assertThat(mapper.map(change(r1, null)).keyColumns()).isEmpty();
    }

    @Test
    void renamesAndSanitizesTableAndColumnNames() {
        String json = "{\"v\":1,\"op\":\"c\",\"schema\":\"public\",\"table\":\"Renamed\",\"key\":{\"my id\":1},\"after\":{\"my id\":1,\"9lives\":2},\"source\":{\"lsn\":1}}";
        BigQueryRowMapper.Row row = mapper.map(change(json, null));
        assertThat(row.tableId()).isEqualTo("other_name");
        assertThat(row.values()).containsKeys("my_id", "_9lives");
        assertThat(row.keyColumns()).containsExactly("my_id");
        assertThat(BigQueryNames.sanitize("pg-prefix_public_Ação")).isEqualTo("pg_prefix_public_A__o");
    }

    @Test
    void poisonRecordsAreRejectedWithTheCause() {
        assertThatThrownBy(() -> change("not json", null)).isInstanceOf(PermanentDeliveryException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> change(INSERT.replace("\"v\":1", "\"v\":2"), null)).isInstanceOf(PermanentDeliveryException.class)
                .hasMessageContaining("v=2");
        assertThatThrownBy(() -> change("[1,2]", null)).isInstanceOf(PermanentDeliveryException.class);
        assertThatThrownBy(() -> change(INSERT.replace("\"op\":\"c\"", "\"op\":\"x\""), null)).isInstanceOf(PermanentDeliveryException.class);
        assertThatThrownBy(() -> ChangeEvent.parse(null, null)).isInstanceOf(PermanentDeliveryException.class);
        assertThatThrownBy(() -> change("{\"v\":1}", null)).isInstanceOf(PermanentDeliveryException.class).hasMessageContaining("op");
    }

    @Test
    void includeExcludeLists() {
        BigQueryNames names = new BigQueryNames("p", Set.of("public.Users", "public.Sales"), Set.of("public.Sales"), Map.of());
        assertThat(names.delivers("public", "Users")).isTrue();
        assertThat(names.delivers("public", "Sales")).isFalse();
        assertThat(names.delivers("public", "Books")).isFalse();
        assertThat(new BigQueryNames("p", Set.of(), Set.of("public.Sales"), Map.of()).delivers("public", "Books")).isTrue();
    }

    @Test
    void valuesBigQueryCannotHoldAreNamedNotChanged() {
        var text = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance;
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode("NaN"), ColumnType.scalar(ColumnType.BIGNUMERIC))).isEqualTo("NaN");
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode("-Infinity"), ColumnType.scalar(ColumnType.BIGNUMERIC))).isEqualTo("-Infinity");
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode("12.5"), ColumnType.scalar(ColumnType.BIGNUMERIC))).isNull();
        // BIGNUMERIC: 38 digits on each side of the point (BigQuery refuses the row beyond, "Invalid BIGNUMERIC value")
        String scale38 = "1." + "1".repeat(38);
        String scale50 = "1." + "1".repeat(50);
        String int39 = "9".repeat(39);
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode(scale38), ColumnType.scalar(ColumnType.BIGNUMERIC))).isNull();
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode(scale50), ColumnType.scalar(ColumnType.BIGNUMERIC))).isEqualTo(scale50);
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode(int39), ColumnType.scalar(ColumnType.BIGNUMERIC))).isEqualTo(int39);
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode("infinity"), ColumnType.scalar(ColumnType.DATE))).isEqualTo("infinity");
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode("-4712-01-01"), ColumnType.scalar(ColumnType.DATE))).isEqualTo("-4712-01-01");
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode("12000-01-01T00:00:00"), ColumnType.scalar(ColumnType.DATETIME)))
                .isEqualTo("12000-01-01T00:00:00");
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode("0001-01-01"), ColumnType.scalar(ColumnType.DATE))).isNull();
        assertThat(BigQueryRowMapper.unrepresentable(text.textNode("NaN"), ColumnType.scalar(ColumnType.FLOAT64))).as("FLOAT64 holds NaN").isNull();
    }

    @Test
    void timestampsWithoutZoneCanBeReadInANamedZone() {
        BigQueryRowMapper zoned = new BigQueryRowMapper(new BigQueryNames("postgres", Set.of(), Set.of(), Map.of()), CLOCK,
                java.time.ZoneId.of("America/Sao_Paulo"));
        BigQueryRowMapper.Row row = zoned.map(change(INSERT, TYPES));
        assertThat(row.columns().get("EntryDateTime")).isEqualTo(ColumnType.scalar(ColumnType.TIMESTAMP));
        assertThat(row.values().get("EntryDateTime")).isEqualTo("2025-01-31T13:00:00.123456Z");
        assertThat(mapper.map(change(INSERT, TYPES)).values().get("EntryDateTime")).as("default: wall clock, DATETIME")
                .isEqualTo("2025-01-31T10:00:00.123456");
    }

    @Test
    void aTruncateIsAChangelogRowWithOnlyItsMetadata() {
        String truncate = """
                {"v":1,"op":"t","schema":"public","table":"Sales","key":null,"before":null,"after":null,
                 "source":{"lsn":22070900,"txId":744,"tsMs":1764000000000,"snapshot":false}}""";
        BigQueryRowMapper.Row row = mapper.map(change(truncate, null));
        assertThat(row.tableId()).isEqualTo("postgres_public_Sales");
        assertThat(row.values()).containsEntry("_op", "t").containsEntry("_lsn", 22070900L).containsEntry("_tx_id", 744L)
                .containsEntry("_source_ts", "2025-11-24T16:00:00Z").containsEntry("_unchanged", null);
        assertThat(row.values().keySet()).allMatch(BigQueryRowMapper.METADATA::containsKey);
        assertThat(row.columns()).isEmpty();
        assertThat(row.keyColumns()).isEmpty();
        // its own insertId: a retried truncate dedupes, another truncate of the table (another LSN) does not
        assertThat(row.insertId()).hasSize(40).isEqualTo(mapper.map(change(truncate, null)).insertId())
                .isNotEqualTo(mapper.map(change(truncate.replace("22070900", "22070999"), null)).insertId());
    }
}
