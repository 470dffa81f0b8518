package io.cdcbridge.event;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.errors.PermanentDeliveryException;
import io.cdcbridge.util.LastValue;

/**
 * One ChangeEvent (docs/architecture.md §4) as every sink reads it, plus the record's {@code cdc.types} header: the one
 * reader of the format (capture/ChangeEventEncoder is its one writer). {@link #parse} rejects anything that is not a
 * version-1 ChangeEvent with a {@link PermanentDeliveryException} (a poison record: dead-lettered, the stream goes on).
 *
 * <p>Numbers are read as {@link java.math.BigDecimal}: a numeric that arrived as a JSON number keeps every digit.
 */
public record ChangeEvent(String op, String schema, String table, ObjectNode key, ObjectNode before, ObjectNode after,
                             long lsn, Long txId, Long tsMs, boolean snapshot, Map<String, String> pgTypes) {

    /** The Kafka header with the Postgres type of each column, {@code {"UserId":"int4",…}}. */
    public static final String TYPES_HEADER = "cdc.types";

    /** The reader (and writer, for sinks that pass parts of an event on) of ChangeEvent JSON. */
    public static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final Set<String> OPS = Set.of("c", "u", "d", "r", "t");

    /** Parses a Kafka value (bytes or text) and the optional {@code cdc.types} header value. */
    public static ChangeEvent parse(Object value, Object typesHeader) {
        JsonNode root;
        try {
            if (value == null) {
                throw new PermanentDeliveryException("not a ChangeEvent: empty value (tombstone)");
            }
            root = value instanceof byte[] b ? readTree(b) : JSON.readTree(value.toString());
        } catch (IOException e) {
            throw new PermanentDeliveryException("not a ChangeEvent: value is not JSON (" + firstLine(e.getMessage()) + ")", e);
        }
        if (root == null || !root.isObject()) {
            throw new PermanentDeliveryException("not a ChangeEvent: value is not a JSON object");
        }
        JsonNode v = root.get("v");
        if (v == null || !v.isInt() || v.intValue() != 1) {
            throw new PermanentDeliveryException("not a ChangeEvent: unsupported version v=" + v + " (expected 1)");
        }
        String op = text(root, "op");
        if (op == null || !OPS.contains(op)) {
            throw new PermanentDeliveryException("not a ChangeEvent: op must be one of c, u, d, r, t, got " + op);
        }
        String schema = text(root, "schema");
        String table = text(root, "table");
        if (schema == null || table == null) {
            throw new PermanentDeliveryException("not a ChangeEvent: schema and table are required");
        }
        ObjectNode before = object(root, "before");
        ObjectNode after = object(root, "after");
        // a TRUNCATE is of the whole table: no row, no key (docs/architecture.md §4)
        if (!"t".equals(op) && ("d".equals(op) ? before == null && object(root, "key") == null : after == null)) {
            throw new PermanentDeliveryException("not a ChangeEvent: op " + op + " without its row image");
        }
        JsonNode source = root.get("source");
        if (source == null || !source.isObject() || !source.path("lsn").canConvertToLong()) {
            throw new PermanentDeliveryException("not a ChangeEvent: source.lsn is required");
        }
        return new ChangeEvent(op, schema, table, object(root, "key"), before, after, source.get("lsn").asLong(),
                source.hasNonNull("txId") ? source.get("txId").asLong() : null,
                source.hasNonNull("tsMs") ? source.get("tsMs").asLong() : null,
                source.path("snapshot").asBoolean(false), types(typesHeader));
    }

    /**
     * The tree {@code JSON.readTree(bytes)} builds, built straight from the parser's tokens: each sink reads every event
     * once, and databind's per-call set-up (a deserialization context, the root deserializer's lookup) and its
     * container stack were a quarter of that reading (JFR of bench/e2e.sh). The same nodes for the same input, numbers
     * included (ChangeEventTreeTest compares the two); null for empty input (readTree's missing node), which
     * {@link #parse} refuses as readTree's was. The parser bounds the nesting (Jackson's StreamReadConstraints), so the
     * recursion is bounded too.
     */
    static JsonNode readTree(byte[] bytes) throws IOException {
        try (JsonParser p = JSON.getFactory().createParser(bytes)) {
            JsonToken t = p.nextToken();
            return t == null ? null : node(p, t);
        }
    }

    private static JsonNode node(JsonParser p, JsonToken t) throws IOException {
        JsonNodeFactory nodes = JSON.getNodeFactory();
        switch (t) {
            case START_OBJECT: {
                ObjectNode o = nodes.objectNode();
                for (JsonToken f = p.nextToken(); f == JsonToken.FIELD_NAME; f = p.nextToken()) {
                    String name = p.currentName();
                    o.replace(name, node(p, p.nextToken())); // a repeated name: the last one wins, as in readTree
                }
                return o;
            }
            case START_ARRAY: {
                ArrayNode a = nodes.arrayNode();
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    a.add(node(p, e));
                }
                return a;
            }
            case VALUE_STRING:
                return nodes.textNode(p.getText());
            case VALUE_NUMBER_INT:
                return switch (p.getNumberType()) {
                    case INT -> nodes.numberNode(p.getIntValue());
                    case LONG -> nodes.numberNode(p.getLongValue());
                    default -> nodes.numberNode(p.getBigIntegerValue());
                };
            case VALUE_NUMBER_FLOAT: {
                // USE_BIG_DECIMAL_FOR_FLOATS, and the default node factory's trailing-zero stripping, as readTree; a
                // NaN or infinity (only with a parser that allows them) has no decimal: a double, as readTree
                if (p.isNaN()) {
                    return nodes.numberNode(p.getDoubleValue());
                }
                BigDecimal d = p.getDecimalValue();
                try {
                    d = d.stripTrailingZeros();
                } catch (ArithmeticException e) {
                    // a scale stripping would overflow: kept as read
                }
                return nodes.numberNode(d);
            }
            case VALUE_TRUE:
                return nodes.booleanNode(true);
            case VALUE_FALSE:
                return nodes.booleanNode(false);
            case VALUE_NULL:
                return nodes.nullNode();
            default:
                throw new JsonParseException(p, "unexpected token " + t);
        }
    }

    /** {@code schema.table}, as counters and table selections name a source table. */
    public String qualifiedTable() {
        return schema + "." + table;
    }

    public boolean delete() {
        return "d".equals(op);
    }

    /** A TRUNCATE of the table ({@code op} t): no key and no row images; every earlier row of the table is gone. */
    public boolean truncate() {
        return "t".equals(op);
    }

    /**
     * A {@code timestamp} (without zone) value read in {@code cdc.sink.timestamp-zone} and given as the instant (UTC,
     * {@code Z}); the infinities stay as Postgres spells them. One rule for every sink (docs/types.md).
     */
    public static String instantInZone(String localDateTime, java.time.ZoneId zone) {
        if (localDateTime.endsWith("infinity")) {
            return localDateTime;
        }
        return java.time.LocalDateTime.parse(localDateTime).atZone(zone).toInstant().toString();
    }

    /**
     * The row image a changelog row is made of: the after image, or for a delete the before image (else the key); null
     * for a truncate.
     */
    public ObjectNode image() {
        if (!"d".equals(op)) {
            return after;
        }
        return before != null ? before : key;
    }

    /** A table's records repeat its types header: parsed once per run of them. */
    private static final LastValue<Object, Map<String, String>> TYPES =
            LastValue.byValue(h -> Collections.unmodifiableMap(parseTypes(h)));

    private static Map<String, String> types(Object header) {
        return header == null ? Map.of() : TYPES.get(header);
    }

    private static Map<String, String> parseTypes(Object header) {
        try {
            JsonNode n = header instanceof byte[] b ? JSON.readTree(new String(b, StandardCharsets.UTF_8)) : JSON.readTree(header.toString());
            Map<String, String> out = new LinkedHashMap<>();
            if (n != null && n.isObject()) {
                n.fields().forEachRemaining(e -> {
                    if (e.getValue().isTextual()) {
                        out.put(e.getKey(), e.getValue().asText());
                    }
                });
            }
            return out;
        } catch (IOException e) {
            // the header only improves typing; without it the types are inferred from the values
            return Map.of();
        }
    }

    private static String text(JsonNode root, String field) {
        JsonNode n = root.get(field);
        return n != null && n.isTextual() ? n.asText() : null;
    }

    private static ObjectNode object(JsonNode root, String field) {
        JsonNode n = root.get(field);
        return n != null && n.isObject() ? (ObjectNode) n : null;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
