package io.cdcbridge.carol;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.errors.PermanentDeliveryException;
import io.cdcbridge.util.LastValue;

/**
 * A ChangeEvent (DESIGN.md §3) → one flat Carol staging record (§5), a pure function. Inserts, updates and snapshot
 * rows send the row's after-image; a delete sends the key fields (or the before-image of a keyless table) with
 * {@code "mdmDeleted": true}. Values keep their JSON types; {@code numeric} columns (a decimal string in the
 * ChangeEvent) become exact JSON numbers unless {@code cdc.carol.numeric-as=string}. Per staging, an optional field
 * list selects and renames fields. A TOAST value the update left unchanged is absent, as in the ChangeEvent.
 */
public final class CarolRecordMapper {

    public static final String DELETED = "mdmDeleted";
    static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NUMERIC = Set.of("numeric", "decimal", "money");

    /** @param record null when the table is not delivered to Carol */
    public record Mapped(String staging, String table, ObjectNode record) {
    }

    private final CarolConfig config;

    public CarolRecordMapper(CarolConfig config) {
        this.config = config;
    }

    public Mapped map(Object value, Object typesHeader) {
        JsonNode event = parse(value, "ChangeEvent");
        if (!event.isObject() || event.path("v").asInt() != 1 || !event.hasNonNull("table") || !event.hasNonNull("op")) {
            throw new PermanentDeliveryException("not a version-1 ChangeEvent");
        }
        String schema = event.path("schema").asText();
        String table = event.path("table").asText();
        String qualified = schema + "." + table;
        if (!config.delivers(schema, table)) {
            return new Mapped(null, qualified, null);
        }
        String staging = config.staging(schema, table);
        JsonNode types = types(typesHeader);
        String op = event.path("op").asText();
        ObjectNode source;
        boolean delete = op.equals("d");
        if (delete) {
            JsonNode key = event.path("key");
            source = key.isObject() && key.size() > 0 ? (ObjectNode) key : asObject(event.path("before"), "before");
        } else if (op.equals("c") || op.equals("u") || op.equals("r")) {
            source = asObject(event.path("after"), "after");
        } else {
            throw new PermanentDeliveryException("unknown op '" + op + "'");
        }
        ObjectNode record = JSON.createObjectNode();
        Map<String, String> fields = config.fields().get(staging);
        if (fields == null || fields.isEmpty()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                record.set(f.getKey(), value(f.getValue(), types.path(f.getKey()).asText("")));
            }
        } else {
            fields.forEach((from, to) -> {
                if (source.has(from)) {
                    record.set(to, value(source.get(from), types.path(from).asText("")));
                }
            });
        }
        if (delete) {
            record.put(DELETED, true);
        }
        return new Mapped(staging, qualified, record);
    }

    /** The {@code cdc.types} header, parsed once per table: only read (path/asText), never changed. */
    private final LastValue<Object, JsonNode> parsedTypes = LastValue.byValue(h -> parse(h, "cdc.types header"));

    private JsonNode types(Object header) {
        return header == null ? JsonNodeFactory.instance.objectNode() : parsedTypes.get(header);
    }

    private JsonNode value(JsonNode v, String type) {
        if (config.timestampZone() != null && type.equals("timestamp") && v.isTextual() && !v.asText().endsWith("infinity")) {
            // cdc.sink.timestamp-zone: a timestamp without zone read in that zone, sent as the instant (UTC, Z)
            return JsonNodeFactory.instance.textNode(java.time.LocalDateTime.parse(v.asText()).atZone(config.timestampZone()).toInstant().toString());
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

    private static JsonNode parse(Object value, String what) {
        try {
            if (value instanceof byte[] b) {
                return JSON.readTree(b);
            }
            if (value instanceof String s) {
                return JSON.readTree(s.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new PermanentDeliveryException(what + " is not JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
        }
        throw new PermanentDeliveryException(what + " missing or of type " + (value == null ? "null" : value.getClass().getSimpleName()));
    }
}
