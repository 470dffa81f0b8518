package io.cdcbridge.bigquery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.google.cloud.bigquery.storage.v1.JsonToProtoMessage;
import com.google.cloud.bigquery.storage.v1.TableFieldSchema;
import com.google.cloud.bigquery.storage.v1.TableSchema;
import com.google.protobuf.ByteString;
import com.google.protobuf.DynamicMessage;
import io.cdcbridge.support.Rows;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.Test;

/**
 * The rows written straight to protobuf against the client's own JSON writer (JsonToProtoMessage): for every column
 * type cdc-bridge writes, the same values give the same message, and what the client refuses is refused here.
 */
class StorageWriteRowsTest {

    private static TableFieldSchema field(String name, TableFieldSchema.Type type, boolean repeated) {
        return TableFieldSchema.newBuilder().setName(name).setType(type)
                .setMode(repeated ? TableFieldSchema.Mode.REPEATED : TableFieldSchema.Mode.NULLABLE).build();
    }

    private static final TableSchema SCHEMA = TableSchema.newBuilder()
            .addFields(field("i", TableFieldSchema.Type.INT64, false))
            .addFields(field("f", TableFieldSchema.Type.DOUBLE, false))
            .addFields(field("b", TableFieldSchema.Type.BOOL, false))
            .addFields(field("Name", TableFieldSchema.Type.STRING, false))
            .addFields(field("n", TableFieldSchema.Type.NUMERIC, false))
            .addFields(field("bn", TableFieldSchema.Type.BIGNUMERIC, false))
            .addFields(field("ts", TableFieldSchema.Type.TIMESTAMP, false))
            .addFields(field("d", TableFieldSchema.Type.DATE, false))
            .addFields(field("dt", TableFieldSchema.Type.DATETIME, false))
            .addFields(field("t", TableFieldSchema.Type.TIME, false))
            .addFields(field("j", TableFieldSchema.Type.JSON, false))
            .addFields(field("g", TableFieldSchema.Type.GEOGRAPHY, false))
            .addFields(field("blob", TableFieldSchema.Type.BYTES, false))
            .addFields(field("tags", TableFieldSchema.Type.STRING, true))
            .addFields(field("nums", TableFieldSchema.Type.INT64, true))
            .addFields(field("stamps", TableFieldSchema.Type.TIMESTAMP, true))
            .addFields(field("_CHANGE_TYPE", TableFieldSchema.Type.STRING, false))
            .build();

    private static final StorageWriteRows.Shape SHAPE = StorageWriteRows.shape(SCHEMA);

    /** The client's message for these values (BYTES as the client takes them), or the client's refusal. */
    private static DynamicMessage client(Map<String, Object> values) {
        JSONObject o = new JSONObject();
        values.forEach((k, v) -> {
            if (v == null) {
                return;
            }
            if (k.equals("blob")) {
                o.put(k, ByteString.copyFrom(Base64.getDecoder().decode((String) v)));
            } else if (v instanceof List<?> l) {
                JSONArray a = new JSONArray();
                l.stream().filter(java.util.Objects::nonNull).forEach(a::put);
                o.put(k, a);
            } else {
                o.put(k, v);
            }
        });
        return JsonToProtoMessage.convertJsonToProtoMessage(SHAPE.descriptor(), SCHEMA, o);
    }

    private static DynamicMessage ours(Map<String, Object> values) throws Exception {
        return DynamicMessage.parseFrom(SHAPE.descriptor(), StorageWriteRows.encode(SHAPE, values));
    }

    private static Map<String, Object> row(Object... namesAndValues) {
        return Rows.of(namesAndValues);
    }

    @Test
    void everyTypeGivesTheClientsMessage() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        rows.add(row("i", 5L, "f", 1.5, "b", true, "Name", "héllo ✓", "n", "123.456", "bn", "1.23456789012345678901234567890123456789",
                "ts", "2026-12-02T08:00:00.123456Z", "d", "2026-12-02", "dt", "2026-12-02T08:00:00.123456", "t", "08:00:00.123456",
                "j", "{\"a\":1}", "g", "POINT(1 2)", "blob", Base64.getEncoder().encodeToString(new byte[] {0, 1, -2}),
                "tags", List.of("a", "b"), "nums", List.of(1L, 2L), "stamps", List.of("1970-01-01T00:00:00Z", "2026-12-02T08:00:00.5Z"),
                "_CHANGE_TYPE", "UPSERT"));
        rows.add(row("i", 7, "f", "NaN", "b", "false", "n", 12L, "bn", "-99999999999999999999999999999999999999.99999999999999999999999999999999999999",
                "ts", 1_733_126_400_000_000L, "d", 20_000, "dt", "2026-12-02T08:00", "t", "23:59:59"));
        rows.add(row("i", "-9223372036854775808", "f", 3, "n", "-0.000000001", "bn", "1E+10", "ts", "2026-12-02T10:00:00.5+02:00",
                "d", "0001-01-01", "dt", "9999-12-31T23:59:59.999999", "Name", null, "tags", java.util.Arrays.asList("x", null)));
        rows.add(row("f", "-Infinity", "n", new BigDecimal("99999999999999999999999999999.999999999"), "ts", "0001-01-01T00:00:00Z"));
        rows.add(row("n", 0.1, "f", "Infinity", "ts", "9999-12-31T23:59:59.999999999Z", "NAME", "upper case name"));
        for (Map<String, Object> r : rows) {
            assertThat(ours(r)).as("%s", r).isEqualTo(client(r));
        }
    }

    @Test
    void otherJavaTypesForATextColumnAsTheClientTakesOrRefusesThem() throws Exception {
        for (Object v : new Object[] {5, 5L, true, new BigDecimal("1.50"), 1.5, (short) 3}) {
            Map<String, Object> r = row("Name", v);
            DynamicMessage expected;
            try {
                expected = client(r);
            } catch (RuntimeException e) {
                assertThatThrownBy(() -> StorageWriteRows.encode(SHAPE, r)).as("%s (%s)", v, v.getClass())
                        .isInstanceOf(StorageWriteRows.BadValue.class);
                continue;
            }
            assertThat(ours(r)).as("%s (%s)", v, v.getClass()).isEqualTo(expected);
        }
    }

    @Test
    void whatTheClientRefusesIsRefusedHereNamingTheField() {
        List<Map<String, Object>> bad = List.of(row("i", "dois"), row("i", 1.5), row("b", "yes"), row("f", "x"), row("n", "abc"),
                row("n", "1E+30"), row("bn", "1E+40"), row("d", "2026-02-30"), row("t", "25:00:00"), row("dt", "yesterday"),
                row("ts", "not a time"), row("tags", "single"));
        for (Map<String, Object> r : bad) {
            String col = r.keySet().iterator().next();
            boolean clientRefuses;
            try {
                client(r);
                clientRefuses = false;
            } catch (RuntimeException e) {
                clientRefuses = true;
            }
            assertThat(clientRefuses).as("the client refuses %s", r).isTrue();
            assertThatThrownBy(() -> StorageWriteRows.encode(SHAPE, r)).as("%s", r).isInstanceOf(StorageWriteRows.BadValue.class)
                    .hasMessageContaining("field " + SCHEMA.getFieldsList().stream().filter(f -> f.getName().equalsIgnoreCase(col))
                            .findFirst().orElseThrow().getName());
        }
    }

    @Test
    void aColumnTheSchemaLacksIsNamed() {
        assertThatThrownBy(() -> StorageWriteRows.encode(SHAPE, row("i", 1L, "added_later", "x")))
                .isInstanceOfSatisfying(StorageWriteRows.UnknownColumn.class, e -> assertThat(e.column).isEqualTo("added_later"));
    }
}
