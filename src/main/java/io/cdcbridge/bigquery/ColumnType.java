package io.cdcbridge.bigquery;

import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A BigQuery column type (standard SQL name) and whether the column is an array (mode REPEATED), derived from the
 * Postgres type name in the record's {@code cdc.types} header (docs/architecture.md §7), or inferred from a JSON value when the
 * header is missing.
 */
public record ColumnType(String type, boolean repeated) {

    public static final String INT64 = "INT64";
    public static final String FLOAT64 = "FLOAT64";
    public static final String BIGNUMERIC = "BIGNUMERIC";
    public static final String BOOL = "BOOL";
    public static final String STRING = "STRING";
    public static final String DATE = "DATE";
    public static final String DATETIME = "DATETIME";
    public static final String TIMESTAMP = "TIMESTAMP";
    public static final String TIME = "TIME";
    public static final String JSON = "JSON";
    public static final String BYTES = "BYTES";

    public static ColumnType scalar(String type) {
        return new ColumnType(type, false);
    }

    /**
     * The BigQuery type for a Postgres type name as in {@code pg_type.typname}; arrays are {@code _<element>}.
     * numeric maps to BIGNUMERIC: an unconstrained Postgres numeric may carry more than NUMERIC's 9 fraction digits.
     */
    public static ColumnType forPostgres(String typname) {
        String t = typname.toLowerCase(Locale.ROOT).trim();
        if (t.startsWith("_")) {
            return new ColumnType(scalarFor(t.substring(1)), true);
        }
        if (t.endsWith("[]")) {
            return new ColumnType(scalarFor(t.substring(0, t.length() - 2)), true);
        }
        return scalar(scalarFor(t));
    }

    private static String scalarFor(String t) {
        return switch (t) {
            // JDBC metadata (and so Debezium) names serial columns by their pseudo-type
            case "int2", "int4", "int8", "smallint", "integer", "int", "bigint", "oid",
                 "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2" -> INT64;
            case "float4", "float8", "real", "double precision", "float" -> FLOAT64;
            case "numeric", "decimal", "money" -> BIGNUMERIC;
            case "bool", "boolean" -> BOOL;
            case "date" -> DATE;
            case "timestamp", "timestamp without time zone" -> DATETIME;
            case "timestamptz", "timestamp with time zone" -> TIMESTAMP;
            case "time", "time without time zone" -> TIME;
            case "json", "jsonb" -> JSON;
            case "bytea" -> BYTES;
            // text, varchar, bpchar, uuid, timetz, interval, enums, anything unknown: text is always safe
            default -> STRING;
        };
    }

    /** A type guessed from a value, for records without the {@code cdc.types} header. Null for a JSON null. */
    public static ColumnType infer(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isArray()) {
            for (JsonNode e : value) {
                ColumnType inner = infer(e);
                if (inner != null && !inner.repeated()) {
                    return new ColumnType(inner.type(), true);
                }
                if (inner != null) {
                    return scalar(JSON);
                }
            }
            return new ColumnType(STRING, true);
        }
        if (value.isIntegralNumber()) {
            return scalar(INT64);
        }
        if (value.isNumber()) {
            return scalar(FLOAT64);
        }
        if (value.isBoolean()) {
            return scalar(BOOL);
        }
        if (value.isObject()) {
            return scalar(JSON);
        }
        return scalar(STRING);
    }

    /** The legacy type name the REST API uses in table schemas ({@code INTEGER} for INT64 and so on). */
    public String legacyName() {
        return switch (type) {
            case INT64 -> "INTEGER";
            case FLOAT64 -> "FLOAT";
            case BOOL -> "BOOLEAN";
            default -> type;
        };
    }

    /** Whether a column already typed {@code existing} can take values mapped as this type. */
    public boolean sameAs(String existingType, boolean existingRepeated) {
        return repeated == existingRepeated && normalize(existingType).equals(type);
    }

    /** The standard SQL name for a legacy or standard type name. */
    public static String normalize(String name) {
        return switch (name.toUpperCase(Locale.ROOT)) {
            case "INTEGER", "INT64" -> INT64;
            case "FLOAT", "FLOAT64" -> FLOAT64;
            case "BOOLEAN", "BOOL" -> BOOL;
            default -> name.toUpperCase(Locale.ROOT);
        };
    }
}
