package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.debezium.time.MicroTimestamp;
import io.debezium.time.ZonedTimestamp;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

class ChangeEventEncoderTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final ChangeEventEncoder encoder = new ChangeEventEncoder();

    private static final Schema KEY = SchemaBuilder.struct().field("UserId", Schema.INT32_SCHEMA).build();
    private static final Schema ROW = SchemaBuilder.struct()
            .field("UserId", typed(SchemaBuilder.int32(), "SERIAL"))
            .field("UserName", typed(SchemaBuilder.string().optional(), "VARCHAR"))
            .field("Saldo", typed(Decimal.builder(10).optional(), "NUMERIC"))
            .field("At", typed(ZonedTimestamp.builder().optional(), "TIMESTAMPTZ"))
            .field("Local", typed(MicroTimestamp.builder().optional(), "TIMESTAMP"))
            .field("Tags", typed(SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional(), "_TEXT"))
            .field("Body", typed(SchemaBuilder.string().optional(), "TEXT"))
            .build();

    private static Schema typed(SchemaBuilder b, String type) {
        return b.parameter("__debezium.source.column.type", type).build();
    }

    private static Struct row(int id, String name, String body) {
        return new Struct(ROW).put("UserId", id).put("UserName", name)
                .put("Saldo", new BigDecimal("12345678901234567890.0123456789"))
                .put("At", "2025-01-02T01:04:05.678Z").put("Local", 1_700_000_000_123_456L)
                .put("Tags", List.of("x", "y")).put("Body", body);
    }

    @Test
    void valueHasTheDesignFormatWithCaseKeptAndExactNumbers() throws Exception {
        Struct key = new Struct(KEY).put("UserId", 4);
        byte[] value = encoder.value("c", "public", "Users", key, null, row(4, "José Ñandú ✓", null),
                new ChangeEventEncoder.Source(22070608L, 743L, 1764000000000L, false));
        JsonNode n = JSON.readTree(value);
        assertThat(n).isEqualTo(JSON.readTree("""
                {"v":1,"op":"c","schema":"public","table":"Users","key":{"UserId":4},"before":null,
                 "after":{"UserId":4,"UserName":"José Ñandú ✓","Saldo":"12345678901234567890.0123456789",
                          "At":"2025-01-02T01:04:05.678Z","Local":"2023-11-14T22:13:20.123456","Tags":["x","y"],"Body":null},
                 "source":{"lsn":22070608,"txId":743,"tsMs":1764000000000,"snapshot":false}}"""));
        assertThat(new String(encoder.key(key), StandardCharsets.UTF_8)).isEqualTo("{\"UserId\":4}");
    }

    @Test
    void aNullInAColumnWithADefaultStaysNull() throws Exception {
        // Debezium gives a column's schema the column's default; a NULL stored in it is still null, not the default
        Schema withDefault = SchemaBuilder.struct()
                .field("Id", typed(SchemaBuilder.int32(), "INT4"))
                .field("State", typed(SchemaBuilder.string().optional().defaultValue("new"), "TEXT"))
                .field("Count", typed(SchemaBuilder.int32().optional().defaultValue(0), "INT4"))
                .build();
        Struct row = new Struct(withDefault).put("Id", 1).put("Count", 7);
        JsonNode after = JSON.readTree(encoder.value("c", "public", "T", new Struct(KEY).put("UserId", 1), null, row,
                new ChangeEventEncoder.Source(1, null, 2, false))).get("after");
        assertThat(after).isEqualTo(JSON.readTree("{\"Id\":1,\"State\":null,\"Count\":7}"));
    }

    @Test
    void unchangedToastColumnIsAbsentNotAPlaceholder() throws Exception {
        // an update, and the create an update that changes the key comes as (a delete and a create carrying the update's
        // row, unchanged TOAST values included)
        for (String op : new String[] {"u", "c"}) {
            byte[] value = encoder.value(op, "public", "Users", new Struct(KEY).put("UserId", 1), null,
                    row(1, "a", ChangeEventEncoder.UNAVAILABLE), new ChangeEventEncoder.Source(1, null, 2, false));
            JsonNode after = JSON.readTree(value).get("after");
            assertThat(after.has("Body")).as(op).isFalse();
            assertThat(after.get("UserName").asText()).as(op).isEqualTo("a");
            assertThat(new String(value, StandardCharsets.UTF_8)).as(op).doesNotContain("unavailable");
        }
    }

    @Test
    void aSnapshotReadKeepsATextThatReadsLikeThePlaceholder() throws Exception {
        // a snapshot read comes from a SELECT, a whole row: the placeholder's text there is a value someone stored
        byte[] value = encoder.value("r", "public", "Users", new Struct(KEY).put("UserId", 1), null,
                row(1, "a", ChangeEventEncoder.UNAVAILABLE), new ChangeEventEncoder.Source(1, null, 2, true));
        assertThat(JSON.readTree(value).get("after").get("Body").asText()).isEqualTo(ChangeEventEncoder.UNAVAILABLE);
    }

    @Test
    void typesHeaderNamesStoredPostgresTypes() throws Exception {
        JsonNode types = JSON.readTree(encoder.types(ROW));
        assertThat(types).isEqualTo(JSON.readTree("""
                {"UserId":"int4","UserName":"varchar","Saldo":"numeric","At":"timestamptz","Local":"timestamp",
                 "Tags":"_text","Body":"text"}"""));
        assertThat(ChangeEventEncoder.storageType("BIGSERIAL")).isEqualTo("int8");
        assertThat(ChangeEventEncoder.storageType("smallserial")).isEqualTo("int2");
    }

    @Test
    void keylessTableHasNullKey() throws Exception {
        byte[] value = encoder.value("d", "public", "Logs", null, row(1, "x", "y"), null, new ChangeEventEncoder.Source(5, 6L, 7, false));
        JsonNode n = JSON.readTree(value);
        assertThat(n.get("key").isNull()).isTrue();
        assertThat(n.get("after").isNull()).isTrue();
        assertThat(n.get("before").get("UserName").asText()).isEqualTo("x");
    }

    @Test
    void edgeValuesAreSpelledAsPostgresSpellsThem() {
        Schema numeric = SchemaBuilder.string().parameter("__debezium.source.column.type", "NUMERIC").build();
        Schema text = SchemaBuilder.string().parameter("__debezium.source.column.type", "TEXT").build();
        assertThat(ChangeEventEncoder.numericSpecial(numeric, "NAN")).isEqualTo("NaN");
        assertThat(ChangeEventEncoder.numericSpecial(numeric, "POSITIVE_INFINITY")).isEqualTo("Infinity");
        assertThat(ChangeEventEncoder.numericSpecial(numeric, "NEGATIVE_INFINITY")).isEqualTo("-Infinity");
        assertThat(ChangeEventEncoder.numericSpecial(text, "NAN")).as("a text column keeps its text").isEqualTo("NAN");
        assertThat(ChangeEventEncoder.numericSpecial(numeric, "1.50")).isEqualTo("1.50");
        java.util.Map<String, String> bit4 = java.util.Map.of("__debezium.source.column.type", "BIT", "length", "4");
        java.util.Map<String, String> varbit = java.util.Map.of("__debezium.source.column.type", "VARBIT", "length", "2147483647");
        assertThat(ChangeEventEncoder.bits(new byte[] {0x0A}, bit4)).isEqualTo("1010");
        assertThat(ChangeEventEncoder.bits(new byte[] {}, bit4)).isEqualTo("0000");
        assertThat(ChangeEventEncoder.bits(new byte[] {0x05}, varbit)).isEqualTo("101");
        assertThat(ChangeEventEncoder.bits(new byte[] {0x01, 0x02}, varbit)).as("little-endian bytes").isEqualTo("1000000001");
        assertThat(ChangeEventEncoder.bits(new byte[] {}, varbit)).isEmpty();
    }

    @Test
    void domainsAndEnumsAreTypedByTheirValues() throws Exception {
        Schema row = SchemaBuilder.struct()
                .field("d", SchemaBuilder.int32().parameter("__debezium.source.column.type", "POSINT").build())
                .field("e", SchemaBuilder.string().parameter("__debezium.source.column.type", "MOOD").build())
                .field("a", SchemaBuilder.array(Schema.INT32_SCHEMA).parameter("__debezium.source.column.type", "_INT4").build())
                .build();
        assertThat(JSON.readTree(encoder.types(row))).isEqualTo(JSON.readTree("{\"d\":\"int4\",\"e\":\"text\",\"a\":\"_int4\"}"));
    }
}
