package io.cdcbridge.capture;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.cdcbridge.util.LastValue;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

/**
 * Turns Debezium's {@link Struct}s into the ChangeEvent JSON of docs/architecture.md §4, written straight to bytes with Jackson's
 * streaming generator (no intermediate maps: this runs once per captured row).
 *
 * <p>A pure function of its inputs; the only state is a cache of per-schema type headers.
 */
public final class ChangeEventEncoder {

    /** Debezium's default stand-in for a TOAST value an update left unchanged; such columns are left out. */
    public static final String UNAVAILABLE = "__debezium_unavailable_value";
    private static final String UNAVAILABLE_B64 = Base64.getEncoder().encodeToString(UNAVAILABLE.getBytes(StandardCharsets.UTF_8));
    private static final String SOURCE_TYPE = "__debezium.source.column.type";
    /** Postgres type names sinks know; anything else (domains, enums, extensions) is typed by its values. */
    static final java.util.Set<String> BUILTIN = java.util.Set.of("int2", "int4", "int8", "float4", "float8", "numeric", "decimal",
            "money", "bool", "text", "varchar", "bpchar", "char", "name", "date", "timestamp", "timestamptz", "time", "timetz",
            "interval", "bytea", "uuid", "json", "jsonb", "xml", "inet", "cidr", "macaddr", "macaddr8", "bit", "varbit", "oid",
            "hstore", "ltree", "citext", "point", "tsvector");

    /** What Debezium hands over for Postgres' infinite dates and timestamps (PGStatement's infinity constants). */
    static final long DATE_INFINITY = -2147472692L;
    static final long DATE_MINUS_INFINITY = -2147472691L;
    static final long TS_INFINITY = 9223372036825200000L;
    static final long TS_MINUS_INFINITY = -9223372036832400000L;
    private static final DateTimeFormatter LOCAL_TS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSS");
    private static final DateTimeFormatter LOCAL_TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSS");

    private final JsonFactory json = new JsonFactory();
    private final Map<Schema, byte[]> typeHeaders = new ConcurrentHashMap<>();
    /** Debezium reuses a table's row schema object: checked by identity first (a Schema's hashCode walks every field). */
    private final LastValue<Schema, byte[]> lastTypes = LastValue.byIdentity(this::typesOf);

    /** Where a change happened and in which transaction. */
    public record Source(long lsn, Long txId, long tsMs, boolean snapshot) {
    }

    /**
     * The ChangeEvent JSON. {@code key}, {@code before} and {@code after} may be null; a TRUNCATE (op {@code t}, docs/
     * architecture.md §4) has all three null: Debezium sends one per truncated table, with no row and no key.
     */
    public byte[] value(String op, String schema, String table, Struct key, Struct before, Struct after, Source source) {
        return value(op, schema, table, key, before, after, source, null);
    }

    /**
     * As above; {@code unchanged}, when not null, gets the names of the columns {@code after} left out as unchanged
     * TOAST values (Debezium's placeholder), for {@link UnchangedReselect}: found while writing, so events without them
     * cost nothing more.
     */
    byte[] value(String op, String schema, String table, Struct key, Struct before, Struct after, Source source,
                 List<String> unchanged) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
            g.writeStartObject();
            g.writeNumberField("v", 1);
            g.writeStringField("op", op);
            g.writeStringField("schema", schema);
            g.writeStringField("table", table);
            // a snapshot read (r), initial or backfill, comes from a SELECT: a whole row, so the check per value (~4% of
            // capture's thread in a 1M-row snapshot, JFR) is left out there. Not for inserts: an update that changes the
            // key reaches us as a delete and a create whose row is the update's, unchanged TOAST values included
            boolean whole = "r".equals(op);
            g.writeFieldName("key");
            writeRow(g, key, null, !whole);
            g.writeFieldName("before");
            writeRow(g, before, null, !whole);
            g.writeFieldName("after");
            writeRow(g, after, unchanged, !whole);
            g.writeObjectFieldStart("source");
            g.writeNumberField("lsn", source.lsn());
            if (source.txId() == null) {
                g.writeNullField("txId");
            } else {
                g.writeNumberField("txId", source.txId());
            }
            g.writeNumberField("tsMs", source.tsMs());
            g.writeBooleanField("snapshot", source.snapshot());
            g.writeEndObject();
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** The Kafka key: the primary-key columns as a JSON object, or null for a table without a primary key. */
    public byte[] key(Struct key) {
        if (key == null) {
            return null;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(32);
        try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
            writeRow(g, key, null, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * The {@code cdc.types} header: column name to lower-case Postgres type name ({@code int4}, {@code numeric},
     * {@code _text} for arrays), from the type Debezium propagates with {@code column.propagate.source.type}.
     * Computed once per row schema.
     */
    public byte[] types(Schema rowSchema) {
        return lastTypes.get(rowSchema);
    }

    private byte[] typesOf(Schema rowSchema) {
        return typeHeaders.computeIfAbsent(rowSchema, s -> {
            ByteArrayOutputStream out = new ByteArrayOutputStream(128);
            try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
                g.writeStartObject();
                for (Field f : s.fields()) {
                    Map<String, String> p = f.schema().parameters();
                    String type = p == null ? null : p.get(SOURCE_TYPE);
                    String stored = type == null ? null : storageType(type);
                    // a domain or an enum reports its own name: sinks get the base type its values have
                    g.writeStringField(f.name(), stored == null || !(BUILTIN.contains(stored) || stored.startsWith("_"))
                            ? fallbackType(f.schema()) : stored);
                }
                g.writeEndObject();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return out.toByteArray();
        });
    }

    /** The column's stored type: Debezium reports the DDL's serial pseudo-types as written. */
    static String storageType(String reported) {
        String t = reported.toLowerCase(Locale.ROOT);
        return switch (t) {
            case "smallserial", "serial2" -> "int2";
            case "serial", "serial4" -> "int4";
            case "bigserial", "serial8" -> "int8";
            default -> t;
        };
    }

    private static String fallbackType(Schema s) {
        return switch (s.type()) {
            case INT8, INT16 -> "int2";
            case INT32 -> "int4";
            case INT64 -> "int8";
            case FLOAT32 -> "float4";
            case FLOAT64 -> "float8";
            case BOOLEAN -> "bool";
            case BYTES -> "bytea";
            case ARRAY -> "_text";
            default -> "text";
        };
    }

    /** @param partial whether the image may hold Debezium's placeholder for an unchanged TOAST value */
    private void writeRow(JsonGenerator g, Struct row, List<String> unavailable, boolean partial) throws IOException {
        if (row == null) {
            g.writeNull();
            return;
        }
        g.writeStartObject();
        for (Field f : row.schema().fields()) {
            // by position when the column has no default (Struct.get(Field) would put the default in for a null):
            // the lookup by name hashed the field name for every column of every event (JFR: ~6% of capture's thread)
            Object v = f.schema().defaultValue() == null ? row.get(f) : row.getWithoutDefault(f.name());
            if (partial && isUnavailable(v)) {
                if (unavailable != null) {
                    unavailable.add(f.name());
                }
                continue; // unchanged TOAST column: absent, never the placeholder
            }
            g.writeFieldName(f.name());
            writeValue(g, f.schema(), v);
        }
        g.writeEndObject();
    }

    /** numeric NaN and ±Infinity as Postgres spells them ('NaN', 'Infinity', '-Infinity'), not as Debezium does. */
    static String numericSpecial(Schema schema, String v) {
        if (v.length() < 3 || v.length() > 17 || !Character.isUpperCase(v.charAt(0))) {
            return v;
        }
        String type = schema.parameters() == null ? null : schema.parameters().get(SOURCE_TYPE);
        if (type == null || !(type.equalsIgnoreCase("numeric") || type.equalsIgnoreCase("decimal") || type.equalsIgnoreCase("money"))) {
            return v;
        }
        return switch (v) {
            case "NAN" -> "NaN";
            case "POSITIVE_INFINITY" -> "Infinity";
            case "NEGATIVE_INFINITY" -> "-Infinity";
            default -> v;
        };
    }

    /**
     * bit(n) / varbit: Debezium hands over the bits as little-endian bytes; written as Postgres shows them ('1010').
     * The declared length pads leading zeros; a varbit value's own length is not transmitted (docs/types.md).
     */
    static String bits(byte[] littleEndian, Map<String, String> params) {
        StringBuilder sb = new StringBuilder();
        for (int i = littleEndian.length - 1; i >= 0; i--) {
            String b = Integer.toBinaryString(littleEndian[i] & 0xff);
            sb.append("0".repeat(8 - b.length())).append(b);
        }
        int length = -1;
        if (params != null && params.get("length") != null) {
            try {
                length = Integer.parseInt(params.get("length"));
            } catch (NumberFormatException ignored) {
                // no declared length
            }
        }
        String all = sb.toString();
        // only bit(n) has a fixed length to pad to (varbit declares its maximum, up to Integer.MAX_VALUE)
        boolean fixed = params != null && "bit".equalsIgnoreCase(params.get(SOURCE_TYPE));
        if (fixed && length > 0 && length <= 83_886_080) {
            String padded = "0".repeat(Math.max(0, length - all.length())) + all;
            return padded.substring(padded.length() - length);
        }
        String trimmed = all.replaceFirst("^0+", "");
        return trimmed.isEmpty() && !all.isEmpty() ? "0" : trimmed;
    }

    private static Object bytes(Object v) {
        if (v instanceof ByteBuffer bb) {
            byte[] b = new byte[bb.remaining()];
            bb.duplicate().get(b);
            return b;
        }
        return v;
    }

    static boolean isUnavailable(Object v) {
        if (v == null || v instanceof Number || v instanceof Boolean) {
            return false; // most columns: asked first, it saves the four type checks below per value
        }
        if (v instanceof String s) {
            return s.length() >= 28 && (s.equals(UNAVAILABLE) || s.equals(UNAVAILABLE_B64));
        }
        if (v instanceof List<?> l) {
            return l.size() == 1 && UNAVAILABLE.equals(l.get(0));
        }
        if (v instanceof byte[] b) {
            return b.length == 28 && new String(b, StandardCharsets.UTF_8).equals(UNAVAILABLE);
        }
        if (v instanceof ByteBuffer bb) {
            return bb.remaining() == 28 && StandardCharsets.UTF_8.decode(bb.duplicate()).toString().equals(UNAVAILABLE);
        }
        return false;
    }

    private void writeValue(JsonGenerator g, Schema schema, Object v) throws IOException {
        if (v == null) {
            g.writeNull();
            return;
        }
        String name = schema.name();
        if (name != null) {
            switch (name) {
                case "io.debezium.time.Date" -> {
                    long day = ((Number) v).longValue();
                    // Debezium's stand-ins for Postgres' 'infinity' / '-infinity' dates (its day arithmetic overflows)
                    g.writeString(day == DATE_INFINITY ? "infinity" : day == DATE_MINUS_INFINITY ? "-infinity"
                            : LocalDate.ofEpochDay(day).toString());
                    return;
                }
                case "io.debezium.time.MicroTimestamp" -> {
                    long micros = ((Number) v).longValue();
                    g.writeString(micros == TS_INFINITY ? "infinity" : micros == TS_MINUS_INFINITY ? "-infinity"
                            : localTs(micros, 1_000_000L, 1_000L));
                    return;
                }
                case "io.debezium.data.Bits" -> {
                    g.writeString(bits((byte[]) bytes(v), schema.parameters()));
                    return;
                }
                case "io.debezium.time.Timestamp" -> {
                    g.writeString(localTs(((Number) v).longValue(), 1_000L, 1_000_000L));
                    return;
                }
                case "io.debezium.time.NanoTimestamp" -> {
                    g.writeString(localTs(((Number) v).longValue(), 1_000_000_000L, 1L));
                    return;
                }
                case "io.debezium.time.MicroTime" -> {
                    g.writeString(LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000L).format(LOCAL_TIME));
                    return;
                }
                case "io.debezium.time.Time" -> {
                    g.writeString(LocalTime.ofNanoOfDay(((Number) v).longValue() * 1_000_000L).format(LOCAL_TIME));
                    return;
                }
                case "io.debezium.data.Json" -> {
                    g.writeRawValue((String) v);
                    return;
                }
                case "org.apache.kafka.connect.data.Decimal" -> {
                    g.writeString(((BigDecimal) v).toPlainString());
                    return;
                }
                case "org.apache.kafka.connect.data.Timestamp" -> {
                    g.writeString(LocalDateTime.ofInstant(((java.util.Date) v).toInstant(), ZoneOffset.UTC).format(LOCAL_TS));
                    return;
                }
                case "org.apache.kafka.connect.data.Date" -> {
                    g.writeString(LocalDate.ofInstant(((java.util.Date) v).toInstant(), ZoneOffset.UTC).toString());
                    return;
                }
                default -> {
                    // other logical types are carried by their base type below
                }
            }
        }
        switch (schema.type()) {
            case INT8, INT16, INT32, INT64 -> g.writeNumber(((Number) v).longValue());
            case FLOAT32, FLOAT64 -> {
                double d = ((Number) v).doubleValue();
                if (Double.isNaN(d) || Double.isInfinite(d)) {
                    g.writeString(Double.toString(d)); // JSON has no NaN/Infinity
                } else if (schema.type() == Schema.Type.FLOAT32) {
                    g.writeNumber(((Number) v).floatValue());
                } else {
                    g.writeNumber(d);
                }
            }
            case BOOLEAN -> g.writeBoolean((Boolean) v);
            case STRING -> g.writeString(numericSpecial(schema, v.toString()));
            case BYTES -> {
                byte[] b = v instanceof ByteBuffer bb ? toArray(bb) : (byte[]) v;
                g.writeString(Base64.getEncoder().encodeToString(b));
            }
            case ARRAY -> {
                g.writeStartArray();
                for (Object e : (List<?>) v) {
                    writeValue(g, schema.valueSchema(), e);
                }
                g.writeEndArray();
            }
            case MAP -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    g.writeFieldName(String.valueOf(e.getKey()));
                    writeValue(g, schema.valueSchema(), e.getValue());
                }
                g.writeEndObject();
            }
            case STRUCT -> writeRow(g, (Struct) v, null, true);
            default -> g.writeString(v.toString());
        }
    }

    private static String localTs(long value, long perSecond, long nanosPerUnit) {
        long secs = Math.floorDiv(value, perSecond);
        long nanos = Math.floorMod(value, perSecond) * nanosPerUnit;
        return LocalDateTime.ofEpochSecond(secs, (int) nanos, ZoneOffset.UTC).format(LOCAL_TS);
    }

    private static byte[] toArray(ByteBuffer bb) {
        byte[] b = new byte[bb.remaining()];
        bb.duplicate().get(b);
        return b;
    }

}
