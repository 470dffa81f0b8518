package io.cdcbridge.bigquery;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.google.cloud.bigquery.storage.v1.BQTableSchemaToProtoDescriptor;
import com.google.cloud.bigquery.storage.v1.BigDecimalByteStringEncoder;
import com.google.cloud.bigquery.storage.v1.CivilTimeEncoder;
import com.google.cloud.bigquery.storage.v1.ProtoSchema;
import com.google.cloud.bigquery.storage.v1.ProtoSchemaConverter;
import com.google.cloud.bigquery.storage.v1.TableFieldSchema;
import com.google.cloud.bigquery.storage.v1.TableSchema;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors;

/**
 * Rows for the Storage Write API as the serialized protobuf messages its {@code AppendRows} takes, written straight from
 * the mapped values (docs/architecture.md §7). Pure: a table schema in, a writer schema out; a row's values in, its
 * bytes out. The client's {@code JsonStreamWriter} does the same through org.json, a {@code DynamicMessage} per row and
 * its reflective serialization: profiled, that was three quarters of the BigQuery sender thread (docs/benchmarks.md).
 * The proto descriptor is the client's own ({@link BQTableSchemaToProtoDescriptor}), so field types and names are as
 * the service expects; the value conversions are those of the client's JSON writer, which a test compares value by
 * value (StorageWriteRowsTest). A value that does not fit its column is a {@link BadValue}: that row alone is refused.
 */
final class StorageWriteRows {

    private StorageWriteRows() {
    }

    /** Why one value cannot be written: the row is refused (dead-lettered) with this message. */
    static final class BadValue extends Exception {
        BadValue(String message) {
            super(message, null, false, false);
        }
    }

    /** One column of a table's writer schema. */
    record Column(String name, int number, TableFieldSchema.Type type, Descriptors.FieldDescriptor.Type proto, boolean repeated) {
    }

    /** A table's writer schema: the proto schema sent with the first append, and its columns by lower-case name. */
    record Shape(ProtoSchema protoSchema, Descriptors.Descriptor descriptor, Map<String, Column> columns) {

        Column column(String name) {
            Column c = columns.get(name);
            return c != null ? c : columns.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** The writer schema of a table with this schema (BigQuery's column names are case-insensitive). */
    static Shape shape(TableSchema schema) {
        Descriptors.Descriptor d;
        try {
            d = BQTableSchemaToProtoDescriptor.convertBQTableSchemaToProtoDescriptor(schema);
        } catch (Descriptors.DescriptorValidationException e) {
            throw new IllegalArgumentException("the table schema gives no proto descriptor: " + e.getMessage(), e);
        }
        Map<String, Column> columns = new HashMap<>();
        List<TableFieldSchema> fields = schema.getFieldsList();
        for (int i = 0; i < fields.size(); i++) {
            TableFieldSchema f = fields.get(i);
            Descriptors.FieldDescriptor fd = d.getFields().get(i); // the converter keeps the schema's order
            Column c = new Column(f.getName(), fd.getNumber(), f.getType(), fd.getType(), f.getMode() == TableFieldSchema.Mode.REPEATED);
            columns.put(f.getName(), c);
            columns.putIfAbsent(f.getName().toLowerCase(Locale.ROOT), c);
        }
        return new Shape(ProtoSchemaConverter.convert(d), d, Map.copyOf(columns));
    }

    /** Thrown for a value whose column the writer schema lacks: the caller refreshes the schema once, then refuses the row. */
    static final class UnknownColumn extends Exception {
        final String column;

        UnknownColumn(String column) {
            super("the row has a field unknown to the table's schema: " + column, null, false, false);
            this.column = column;
        }
    }

    /**
     * One row's message. Nulls are left out (NULL in BigQuery); a list is a repeated field (its nulls left out, as the
     * insertAll path stores them); BYTES come as base64 text (as insertAll takes them) or bytes.
     */
    static ByteString encode(Shape shape, Map<String, Object> values) throws BadValue, UnknownColumn {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
        CodedOutputStream out = CodedOutputStream.newInstance(buffer, 256);
        try {
            for (Map.Entry<String, Object> e : values.entrySet()) {
                Object v = e.getValue();
                if (v == null) {
                    continue;
                }
                Column c = shape.column(e.getKey());
                if (c == null) {
                    throw new UnknownColumn(e.getKey());
                }
                if (v instanceof List<?> list) {
                    if (!c.repeated()) {
                        throw new BadValue("field " + c.name() + ": an array for a column that is not REPEATED");
                    }
                    for (Object item : list) {
                        if (item != null) {
                            write(out, c, item);
                        }
                    }
                } else if (c.repeated()) {
                    throw new BadValue("field " + c.name() + ": a single value for a REPEATED column");
                } else {
                    write(out, c, v);
                }
            }
            out.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e); // into memory: does not happen
        }
        return ByteString.copyFrom(buffer.toByteArray());
    }

    private static void write(CodedOutputStream out, Column c, Object v) throws BadValue, IOException {
        int n = c.number();
        switch (c.proto()) {
            case BOOL -> out.writeBool(n, bool(c, v));
            case INT64 -> out.writeInt64(n, int64(c, v));
            case INT32 -> out.writeInt32(n, int32(c, v));
            case DOUBLE -> out.writeDouble(n, float64(c, v));
            case STRING -> {
                if (v instanceof String s) {
                    out.writeString(n, s);
                } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Boolean) {
                    out.writeString(n, String.valueOf(v)); // as the client's JSON writer takes them
                } else {
                    throw bad(c, v, "text");
                }
            }
            case BYTES -> out.writeBytes(n, bytes(c, v));
            default -> throw new BadValue("field " + c.name() + ": a " + c.type() + " column, which cdc-bridge does not write");
        }
    }

    private static boolean bool(Column c, Object v) throws BadValue {
        if (v instanceof Boolean b) {
            return b;
        }
        if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
            return Boolean.parseBoolean(s);
        }
        throw bad(c, v, "a boolean");
    }

    private static long int64(Column c, Object v) throws BadValue {
        switch (c.type()) {
            case TIMESTAMP -> {
                if (v instanceof Long || v instanceof Integer) {
                    return ((Number) v).longValue(); // microseconds
                }
                if (v instanceof String s) {
                    Long micros = TimestampMicros.parse(s);
                    return micros != null ? micros : timestamp(c, s);
                }
                throw bad(c, v, "a timestamp");
            }
            case DATETIME -> {
                if (v instanceof Long l) {
                    return l;
                }
                if (v instanceof String s) {
                    try {
                        return CivilTimeEncoder.encodePacked64DatetimeMicrosLocalDateTime(LocalDateTime.parse(s.replace(' ', 'T')));
                    } catch (DateTimeParseException | IllegalArgumentException e) {
                        throw bad(c, v, "a datetime");
                    }
                }
                throw bad(c, v, "a datetime");
            }
            case TIME -> {
                if (v instanceof Long l) {
                    return l;
                }
                if (v instanceof String s) {
                    try {
                        return CivilTimeEncoder.encodePacked64TimeMicrosLocalTime(LocalTime.parse(s));
                    } catch (DateTimeParseException | IllegalArgumentException e) {
                        throw bad(c, v, "a time");
                    }
                }
                throw bad(c, v, "a time");
            }
            default -> {
                if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                    return ((Number) v).longValue();
                }
                if (v instanceof BigInteger b && b.bitLength() < 64) {
                    return b.longValue();
                }
                if (v instanceof String s) {
                    try {
                        return Long.parseLong(s);
                    } catch (NumberFormatException e) {
                        throw bad(c, v, "an INT64");
                    }
                }
                throw bad(c, v, "an INT64");
            }
        }
    }

    /** Other timestamp text: ISO with an offset, or a space before the time (as BigQuery's own text form). */
    private static long timestamp(Column c, String s) throws BadValue {
        try {
            OffsetDateTime t = OffsetDateTime.parse(s.indexOf('T') < 0 ? s.replaceFirst(" ", "T") : s, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            return Math.addExact(Math.multiplyExact(t.toEpochSecond(), 1_000_000L), t.getNano() / 1_000);
        } catch (DateTimeParseException | ArithmeticException e) {
            throw bad(c, s, "a timestamp");
        }
    }

    private static int int32(Column c, Object v) throws BadValue {
        if (v instanceof Integer || v instanceof Short || v instanceof Byte || (v instanceof Long l && l == l.intValue())) {
            return ((Number) v).intValue(); // DATE: days since the epoch
        }
        if (v instanceof String s) {
            try {
                return c.type() == TableFieldSchema.Type.DATE ? Math.toIntExact(LocalDate.parse(s).toEpochDay()) : Integer.parseInt(s);
            } catch (DateTimeParseException | NumberFormatException | ArithmeticException e) {
                throw bad(c, v, c.type() == TableFieldSchema.Type.DATE ? "a date" : "an INT32");
            }
        }
        throw bad(c, v, c.type() == TableFieldSchema.Type.DATE ? "a date" : "an INT32");
    }

    private static double float64(Column c, Object v) throws BadValue {
        if (v instanceof Number x) {
            return x.doubleValue();
        }
        if (v instanceof String s) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw bad(c, v, "a FLOAT64");
            }
        }
        throw bad(c, v, "a FLOAT64");
    }

    private static ByteString bytes(Column c, Object v) throws BadValue {
        boolean numeric = c.type() == TableFieldSchema.Type.NUMERIC;
        if (numeric || c.type() == TableFieldSchema.Type.BIGNUMERIC) {
            BigDecimal d;
            if (v instanceof BigDecimal b) {
                d = b;
            } else if (v instanceof Long || v instanceof Integer || v instanceof Short) {
                d = BigDecimal.valueOf(((Number) v).longValue());
            } else if (v instanceof Double || v instanceof Float) {
                d = new BigDecimal(String.valueOf(v));
                if (numeric && d.scale() > 9) {
                    d = d.setScale(9, RoundingMode.HALF_UP); // as the client's JSON writer does for a double
                }
            } else if (v instanceof String s) {
                try {
                    d = new BigDecimal(s);
                } catch (NumberFormatException e) {
                    throw bad(c, v, "a number");
                }
            } else {
                throw bad(c, v, "a number");
            }
            try {
                return numeric ? BigDecimalByteStringEncoder.encodeToNumericByteString(d)
                        : BigDecimalByteStringEncoder.encodeToBigNumericByteString(d);
            } catch (IllegalArgumentException e) {
                throw new BadValue("field " + c.name() + ": " + e.getMessage());
            }
        }
        if (v instanceof ByteString b) {
            return b;
        }
        if (v instanceof byte[] b) {
            return ByteString.copyFrom(b);
        }
        if (v instanceof String s) {
            try {
                return ByteString.copyFrom(Base64.getDecoder().decode(s));
            } catch (IllegalArgumentException e) {
                throw bad(c, s, "base64 bytes");
            }
        }
        throw bad(c, v, "bytes");
    }

    private static BadValue bad(Column c, Object v, String wanted) {
        // the value itself stays out of the reason (a dead letter's cause is logged and shown): its kind only
        String kind = v instanceof String ? "text" : v.getClass().getSimpleName();
        return new BadValue("field " + c.name() + " (" + c.type() + "): a " + kind + " value that is not " + wanted);
    }
}
