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
 * list selects and renames fields. A TOAST value the update left unchanged is absent, as in the ChangeEvent.
 */
public final class CarolRecordMapper {

    public static final String DELETED = "mdmDeleted";
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
            source = asObject(event.after(), "after");
        }
        ObjectNode record = JSON.createObjectNode();
        Map<String, String> fields = config.fields().get(staging);
        if (fields == null || fields.isEmpty()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                record.set(f.getKey(), value(f.getValue(), types.getOrDefault(f.getKey(), "")));
            }
        } else {
            fields.forEach((from, to) -> {
                if (source.has(from)) {
                    record.set(to, value(source.get(from), types.getOrDefault(from, "")));
                }
            });
        }
        if (delete) {
            record.put(DELETED, true);
        }
        return new Mapped(staging, event.qualifiedTable(), record);
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
        if (!n.isObject()) {
            throw new PermanentDeliveryException("ChangeEvent without its " + what + " image");
        }
        return (ObjectNode) n;
    }
}
