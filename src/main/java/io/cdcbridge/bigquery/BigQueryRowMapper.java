package io.cdcbridge.bigquery;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.event.ChangeEvent;
import io.cdcbridge.util.LastValue;

/**
 * Maps a ChangeEvent to one changelog row (docs/architecture.md §7): the row image's columns typed by the {@code cdc.types}
 * header, plus the metadata columns, with a deterministic insertId. Pure: no I/O, the clock is injected.
 *
 * <p>Columns absent from the image (TOAST values an update left unchanged) are absent from the row too: nothing is
 * written as null that the source did not set to null.
 */
public final class BigQueryRowMapper {

    public static final String OP = "_op";
    public static final String LSN = "_lsn";
    public static final String TX_ID = "_tx_id";
    public static final String SOURCE_TS = "_source_ts";
    public static final String INGESTED_AT = "_ingested_at";
    /** Columns an update left unchanged and did not carry (TOAST), comma-separated; null when none. */
    public static final String UNCHANGED = "_unchanged";
    /** Columns whose value BigQuery cannot hold (numeric NaN/±Infinity, infinite or out-of-range dates), {@code col=value,…}. */
    public static final String UNREPRESENTABLE = "_unrepresentable";

    /** The metadata columns every changelog table has, in order. */
    public static final Map<String, ColumnType> METADATA;

    static {
        Map<String, ColumnType> m = new LinkedHashMap<>();
        m.put(OP, ColumnType.scalar(ColumnType.STRING));
        m.put(LSN, ColumnType.scalar(ColumnType.INT64));
        m.put(TX_ID, ColumnType.scalar(ColumnType.INT64));
        m.put(SOURCE_TS, ColumnType.scalar(ColumnType.TIMESTAMP));
        m.put(INGESTED_AT, ColumnType.scalar(ColumnType.TIMESTAMP));
        m.put(UNCHANGED, ColumnType.scalar(ColumnType.STRING));
        m.put(UNREPRESENTABLE, ColumnType.scalar(ColumnType.STRING));
        METADATA = java.util.Collections.unmodifiableMap(m);
    }

    /**
     * One mapped change. {@code columns} are the source columns known from this record (sanitized name → type, the
     * whole table's columns when the types header is present); {@code keyColumns} the sanitized primary-key columns
     * (empty for a table without primary key).
     */
    public record Row(String tableId, String insertId, Map<String, Object> values, Map<String, ColumnType> columns,
                      List<String> keyColumns) {
    }

    private final BigQueryNames names;
    private final Clock clock;

    private final java.time.ZoneId timestampZone;

    public BigQueryRowMapper(BigQueryNames names, Clock clock) {
        this(names, clock, null);
    }

    /**
     * @param timestampZone null: {@code timestamp} (without zone) stays DATETIME, wall clock as stored; a zone
     *                      ({@code cdc.sink.timestamp-zone}): read in that zone and loaded as TIMESTAMP
     */
    public BigQueryRowMapper(BigQueryNames names, Clock clock, java.time.ZoneId timestampZone) {
        this.names = names;
        this.clock = clock;
        this.timestampZone = timestampZone;
    }

    /**
     * A table's columns as its types header gives them, worked out once per header (the header object repeats while
     * the table's records do, see {@code ChangeEvent}): sanitized name → type, source name → sanitized name, and
     * the columns read in {@code cdc.sink.timestamp-zone}. Shared by the rows mapped from it, so never changed.
     */
    private record Shape(Map<String, ColumnType> columns, Map<String, String> names, java.util.Set<String> zoned) {
    }

    /** ChangeEvent hands out one types map per run of a table's records: compared by identity. */
    private final LastValue<Map<String, String>, Shape> shapes = LastValue.byIdentity(this::shapeOf);

    private Shape shapeOf(Map<String, String> pgTypes) {
        Map<String, ColumnType> columns = new LinkedHashMap<>();
        // distinct column names whatever the source names (case, sanitizing, metadata, reserved prefixes): by source order
        Map<String, String> sanitized = BigQueryNames.columnNames(pgTypes.keySet());
        java.util.Set<String> zoned = new java.util.HashSet<>();
        pgTypes.forEach((col, pg) -> {
            String name = sanitized.get(col);
            boolean convert = timestampZone != null && pg.equals("timestamp");
            if (convert) {
                zoned.add(name);
            }
            columns.put(name, convert ? ColumnType.scalar(ColumnType.TIMESTAMP) : ColumnType.forPostgres(pg));
        });
        return new Shape(java.util.Collections.unmodifiableMap(columns), sanitized, zoned);
    }

    /** The current time as {@code _ingested_at} holds it (BigQuery timestamps have microsecond precision). */
    public String ingestedAt() {
        return Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.MICROS).toString();
    }

    public Row map(ChangeEvent change) {
        return map(change, ingestedAt());
    }

    /** @param ingestedAt {@link #ingestedAt()}, taken once for the rows of a batch */
    public Row map(ChangeEvent change, String ingestedAt) {
        ObjectNode image = change.image();
        Shape shape = shapes.get(change.pgTypes());
        Map<String, ColumnType> columns = shape.columns();
        boolean ownColumns = false;
        Map<String, Object> values = new LinkedHashMap<>();
        List<String> unrepresentable = null;
        Map<String, String> columnNames = shape.names();
        if (image != null) {
            Iterator<Map.Entry<String, JsonNode>> fields = image.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> f = fields.next();
                String col = columnNames.get(f.getKey());
                if (col == null) {
                    // a column the header does not name (or no header): named after the header's columns, in image order
                    columnNames = namesWith(columnNames, image, change.key());
                    col = columnNames.get(f.getKey());
                }
                ColumnType type = columns.get(col);
                if (type == null) {
                    type = ColumnType.infer(f.getValue());
                    if (type == null) {
                        // a null of unknown type: BigQuery stores NULL for a missing field anyway
                        continue;
                    }
                    if (!ownColumns) {
                        // a column the header does not name: this row's columns are its own
                        columns = new LinkedHashMap<>(columns);
                        ownColumns = true;
                    }
                    columns.put(col, type);
                }
                String why = unrepresentable(f.getValue(), type);
                if (why != null) {
                    // stored as NULL, never as a different value; the original is named in _unrepresentable
                    if (unrepresentable == null) {
                        unrepresentable = new ArrayList<>();
                    }
                    unrepresentable.add(col + "=" + why);
                    values.put(col, null);
                    continue;
                }
                values.put(col, shape.zoned().contains(col) && f.getValue().isTextual()
                        ? ChangeEvent.instantInZone(f.getValue().asText(), timestampZone)
                        : value(f.getValue(), type));
            }
        }
        values.put(OP, change.op());
        values.put(LSN, change.lsn());
        values.put(TX_ID, change.txId());
        values.put(SOURCE_TS, change.tsMs() == null ? null : sourceTs.get(change.tsMs()));
        values.put(INGESTED_AT, ingestedAt);
        values.put(UNCHANGED, unchanged(change, columns, values));
        values.put(UNREPRESENTABLE, unrepresentable == null ? null : String.join(",", unrepresentable));
        List<String> keys = new ArrayList<>();
        if (change.key() != null) {
            Map<String, String> known = columnNames;
            Map<String, String> keyNames = known.keySet().containsAll(fieldNames(change.key())) ? known : namesWith(known, image, change.key());
            change.key().fieldNames().forEachRemaining(k -> keys.add(keyNames.get(k)));
        }
        return new Row(names.tableId(change.schema(), change.table()), insertId(change), values, columns, keys);
    }

    /** The header's column names extended by the image's and the key's other fields, in that order. */
    private static Map<String, String> namesWith(Map<String, String> header, ObjectNode image, JsonNode key) {
        List<String> all = new ArrayList<>(header.keySet());
        all.addAll(fieldNames(image));
        all.addAll(fieldNames(key));
        return BigQueryNames.columnNames(all);
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> out = new ArrayList<>();
        if (node != null) {
            node.fieldNames().forEachRemaining(out::add);
        }
        return out;
    }

    /** A commit time as text: the rows of one transaction share it. */
    private final LastValue<Long, String> sourceTs = LastValue.byValue(millis -> Instant.ofEpochMilli(millis).toString());

    /**
     * BIGNUMERIC holds 38 digits before the point and 38 after: an unconstrained Postgres numeric may carry more, and
     * BigQuery refuses the whole row for it ("Invalid BIGNUMERIC value"), so such a value is unrepresentable.
     */
    static boolean fitsBigNumeric(String text) {
        try {
            java.math.BigDecimal d = new java.math.BigDecimal(text);
            return Math.max(d.scale(), 0) <= 38 && Math.max(d.precision() - d.scale(), 0) <= 38;
        } catch (NumberFormatException e) {
            return true; // not a number at all: BigQuery's own answer names it
        }
    }

    /**
     * Why BigQuery cannot hold this value in a column of this type (null when it can): NUMERIC/BIGNUMERIC have no NaN
     * or infinity, DATE/DATETIME/TIMESTAMP only span years 1 to 9999. FLOAT64 holds NaN and ±Infinity.
     */
    static String unrepresentable(JsonNode v, ColumnType type) {
        if (v == null || !v.isTextual() || type.repeated()) {
            return null;
        }
        String t = v.asText();
        return switch (type.type()) {
            case ColumnType.BIGNUMERIC -> t.equals("NaN") || t.endsWith("Infinity") || !fitsBigNumeric(t) ? t : null;
            case ColumnType.DATE, ColumnType.DATETIME, ColumnType.TIMESTAMP -> {
                if (t.endsWith("infinity")) {
                    yield t;
                }
                // a year outside 0001..9999: a sign or more than four digits before the first '-'
                int dash = t.indexOf('-', 1);
                yield t.startsWith("-") || t.startsWith("+") || dash > 4 ? t : null;
            }
            default -> null;
        };
    }

    /**
     * A passthrough record (issue 9): an object already shaped as a row of {@code table}; columns typed from its JSON
     * values; only {@code _ingested_at} of the metadata is filled. The insertId comes from the Kafka position, so a
     * replayed record dedupes.
     */
    public Row mapPassthrough(String table, ObjectNode object, String insertId) {
        Map<String, ColumnType> columns = new LinkedHashMap<>();
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, String> names = BigQueryNames.columnNames(fieldNames(object));
        Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            ColumnType type = ColumnType.infer(f.getValue());
            if (type == null) {
                continue;
            }
            String col = names.get(f.getKey());
            columns.put(col, type);
            values.put(col, value(f.getValue(), type));
        }
        values.put(INGESTED_AT, Instant.now(clock).truncatedTo(java.time.temporal.ChronoUnit.MICROS).toString());
        return new Row(table, insertId, values, columns, List.of());
    }

    /** The table's columns (known from the types header) that an update did not carry: TOAST values left unchanged. */
    private static String unchanged(ChangeEvent change, Map<String, ColumnType> columns, Map<String, Object> values) {
        if (!"u".equals(change.op()) || change.pgTypes().isEmpty()) {
            return null;
        }
        List<String> absent = new ArrayList<>();
        for (String col : columns.keySet()) {
            if (!values.containsKey(col)) {
                absent.add(col);
            }
        }
        return absent.isEmpty() ? null : String.join(",", absent);
    }

    /**
     * The insertId: a hash of (source table, lsn, op, key). A snapshot gives all its rows the same lsn and the key tells
     * them apart; for a table without primary key the row image stands in for the key.
     */
    public static String insertId(ChangeEvent change) {
        JsonNode identity = change.key() != null && !change.key().isEmpty() ? change.key() : change.image();
        String material = change.schema() + "." + change.table() + "\u0000" + change.lsn() + "\u0000" + change.op()
                + "\u0000" + canonical(identity);
        MessageDigest sha256 = SHA256.get();
        byte[] digest = sha256.digest(material.getBytes(StandardCharsets.UTF_8));
        return HEX.formatHex(digest, 0, 20);
    }

    private static final HexFormat HEX = HexFormat.of();

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    });

    /**
     * JSON text with object fields sorted, so equal keys give equal text whatever the field order. The text is part
     * of every insertId: it must not change from one version to the next (BigQueryRowMapperTest pins it).
     */
    static String canonical(JsonNode node) {
        if (node == null) {
            return "null";
        }
        java.io.StringWriter out = new java.io.StringWriter(64);
        try (com.fasterxml.jackson.core.JsonGenerator g = ChangeEvent.JSON.getFactory().createGenerator(out)) {
            writeSorted(g, node);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }

    private static void writeSorted(com.fasterxml.jackson.core.JsonGenerator g, JsonNode node) throws java.io.IOException {
        if (node.isObject()) {
            String[] names = new String[node.size()];
            Iterator<String> it = node.fieldNames();
            for (int i = 0; it.hasNext(); i++) {
                names[i] = it.next();
            }
            java.util.Arrays.sort(names);
            g.writeStartObject();
            for (String name : names) {
                g.writeFieldName(name);
                writeSorted(g, node.get(name));
            }
            g.writeEndObject();
        } else if (node.isArray()) {
            g.writeStartArray();
            for (JsonNode e : node) {
                writeSorted(g, e);
            }
            g.writeEndArray();
        } else if (node.isTextual()) {
            g.writeString(node.textValue());
        } else if (node.isNumber()) {
            // numeric nodes write themselves without a serializer provider, as ObjectMapper would have them
            ((com.fasterxml.jackson.databind.node.NumericNode) node).serialize(g, null);
        } else if (node.isBoolean()) {
            g.writeBoolean(node.booleanValue());
        } else if (node.isNull()) {
            g.writeNull();
        } else {
            ChangeEvent.JSON.writeTree(g, node);
        }
    }

    /** A value as the insertAll JSON wants it for the column's type. */
    static Object value(JsonNode v, ColumnType type) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (type.repeated()) {
            if (!v.isArray()) {
                return scalar(v, type.type());
            }
            List<Object> out = new ArrayList<>(v.size());
            v.forEach(e -> out.add(scalar(e, type.type())));
            return out;
        }
        return scalar(v, type.type());
    }

    private static Object scalar(JsonNode v, String type) {
        if (v == null || v.isNull()) {
            return null;
        }
        switch (type) {
            case ColumnType.INT64:
                if (v.isIntegralNumber() && v.canConvertToLong()) {
                    return v.longValue();
                }
                break;
            case ColumnType.FLOAT64:
                if (v.isNumber()) {
                    return v.doubleValue();
                }
                break;
            case ColumnType.BIGNUMERIC:
                if (v.isNumber()) {
                    return v.decimalValue().toPlainString();
                }
                break;
            case ColumnType.BOOL:
                if (v.isBoolean()) {
                    return v.booleanValue();
                }
                break;
            case ColumnType.JSON:
                // insertAll takes a JSON column as a string holding the JSON text
                return v.toString();
            case ColumnType.STRING:
                return v.isValueNode() ? v.asText() : v.toString();
            default:
                break;
        }
        if (v.isTextual()) {
            return v.asText();
        }
        // anything else goes as it came; BigQuery decides (and a rejected row is dead-lettered with its reason)
        return ChangeEvent.JSON.convertValue(v, Object.class);
    }
}
