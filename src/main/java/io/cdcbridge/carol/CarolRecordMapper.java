package io.cdcbridge.carol;

import java.math.BigDecimal;
import java.util.Iterator;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.errors.PermanentDeliveryException;
import io.cdcbridge.event.ChangeEvent;

/**
 * A ChangeEvent (docs/architecture.md §4) → one flat Carol staging record (§8), a pure function. Inserts, updates and snapshot
 * rows send the row's after-image; a delete sends the key fields (or the before-image of a keyless table) with
 * {@code "mdmDeleted": true}. Values keep their JSON types; {@code numeric} columns (a decimal string in the
 * ChangeEvent) become exact JSON numbers unless {@code cdc.carol.numeric-as=string}. Per staging, an optional field
 * list selects and renames fields. A TOAST value an update left unchanged, when absent from the ChangeEvent's
 * after-image, is taken from the before-image if that carries it (REPLICA IDENTITY FULL; the capture itself usually
 * fills it there already): Carol keeps the whole last record per key, so a record without the column would very likely
 * lose its value there. Without REPLICA IDENTITY FULL the value is in no image and stays absent (docs/carol.md,
 * "Records").
 */
public final class CarolRecordMapper {

    public static final String DELETED = "mdmDeleted";
    /** Fields whose value the staging's typed field cannot hold, {@code field=value,…} (sent as null). */
    public static final String UNREPRESENTABLE = "_unrepresentable";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final java.util.Set<String> NUMERIC = java.util.Set.of("numeric", "decimal", "money");

    public record Mapped(String staging, String table, ObjectNode record) {
    }

    private final CarolConfig config;

    public CarolRecordMapper(CarolConfig config) {
        this.config = config;
    }

    /** Parses and maps one Kafka value with its {@code cdc.types} header (tests; the sink maps parsed events). */
    public Mapped map(Object value, Object typesHeader) {
        return map(ChangeEvent.parse(value, typesHeader));
    }

    public Mapped map(ChangeEvent event) {
        String staging = config.staging(event.schema(), event.table());
        Map<String, String> types = event.pgTypes();
        ObjectNode source;
        boolean delete = event.delete();
        if (delete) {
            ObjectNode key = event.key();
            source = key != null && key.size() > 0 ? key : asObject(event.before(), "before");
        } else {
            source = complete(asObject(event.after(), "after"), event);
        }
        ObjectNode record = JSON.createObjectNode();
        Map<String, String> fields = config.fields().get(staging);
        StringBuilder unrepresentable = new StringBuilder();
        if (fields == null || fields.isEmpty()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                put(record, f.getKey(), f.getValue(), types.getOrDefault(f.getKey(), ""), unrepresentable);
            }
        } else {
            fields.forEach((from, to) -> {
                if (source.has(from)) {
                    put(record, to, source.get(from), types.getOrDefault(from, ""), unrepresentable);
                }
            });
        }
        if (unrepresentable.length() > 0) {
            record.put(UNREPRESENTABLE, unrepresentable.toString());
        }
        if (delete) {
            record.put(DELETED, true);
        }
        return new Mapped(staging, event.qualifiedTable(), record);
    }

    /**
     * An update's after-image completed from its before-image: each column the after-image lacks (a TOAST value the
     * update left unchanged) gets the before-image's value, which is its current value since the update did not change
     * it. Only non-null values are taken: an unchanged TOAST value is never null, and a before-image that holds only the
     * key (the default replica identity, or an identity index) has nulls for the other columns. Column order is the
     * before-image's, which is the table's.
     */
    static ObjectNode complete(ObjectNode after, ChangeEvent event) {
        ObjectNode before = event.before();
        if (!"u".equals(event.op()) || before == null) {
            return after;
        }
        boolean missing = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = before.fields(); it.hasNext() && !missing; ) {
            Map.Entry<String, JsonNode> f = it.next();
            missing = !f.getValue().isNull() && !after.has(f.getKey());
        }
        if (!missing) {
            return after;
        }
        ObjectNode out = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = before.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode now = after.get(f.getKey());
            if (now != null) {
                out.set(f.getKey(), now);
            } else if (!f.getValue().isNull()) {
                out.set(f.getKey(), f.getValue());
            }
        }
        after.fields().forEachRemaining(f -> {
            if (!out.has(f.getKey())) {
                out.set(f.getKey(), f.getValue());
            }
        });
        return out;
    }

    /**
     * A field of the record. With staging schemas managed, a value its typed field cannot hold (numeric or float
     * NaN/±Infinity in a double, an infinite date) is sent as null and named in {@value #UNREPRESENTABLE}, as BigQuery
     * does (docs/types.md): Carol would refuse the whole record otherwise. Without managed schemas it goes as the string
     * Postgres gave.
     */
    private void put(ObjectNode record, String field, JsonNode v, String pgType, StringBuilder unrepresentable) {
        JsonNode out = value(v, pgType);
        if (config.manageSchemas() && !representable(out, CarolStagingSchemas.carolType(pgType, config.numericAsNumber()))) {
            if (unrepresentable.length() > 0) {
                unrepresentable.append(',');
            }
            unrepresentable.append(field).append('=').append(out.isTextual() ? out.asText() : out.toString());
            record.putNull(field);
            return;
        }
        record.set(field, out);
    }

    /** Whether a Carol field of this type holds the value (null always fits). */
    static boolean representable(JsonNode v, String carolType) {
        if (v.isNull()) {
            return true;
        }
        String text = v.isTextual() ? v.asText() : null;
        return switch (carolType) {
            case "double", "long" -> text == null || !(text.equals("NaN") || text.endsWith("Infinity"));
            case "date" -> text == null || !(text.endsWith("infinity") || text.startsWith("-") || text.startsWith("+") || text.endsWith(" BC"));
            // a json column may hold any JSON document; the staging field takes objects
            case "object" -> v.isObject();
            default -> true;
        };
    }

    private JsonNode value(JsonNode v, String type) {
        if (config.timestampZone() != null && type.equals("timestamp") && v.isTextual()) {
            // cdc.sink.timestamp-zone: a timestamp without zone read in that zone, sent as the instant (UTC, Z)
            return JsonNodeFactory.instance.textNode(ChangeEvent.instantInZone(v.asText(), config.timestampZone()));
        }
        if (config.numericAsNumber() && v.isTextual() && NUMERIC.contains(type)) {
            try {
                return JsonNodeFactory.instance.numberNode(new BigDecimal(v.asText()));
            } catch (NumberFormatException e) {
                return v; // NaN: no JSON number can hold it; sent as the string Postgres gave
            }
        }
        return v;
    }

    private static ObjectNode asObject(JsonNode n, String what) {
        if (n == null || !n.isObject()) {
            throw new PermanentDeliveryException("ChangeEvent without its " + what + " image");
        }
        return (ObjectNode) n;
    }
}
