package io.cdcbridge.carol;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.errors.PermanentDeliveryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Staging schemas made and kept by the bridge (docs/architecture.md, Carol; docs/carol.md), read, created and
 * overwritten as pycarol does: GET / POST / PUT {@code {url}/api/v2/staging/tables/{staging}/schema?connectorId=…}
 * with {@code {"mdmStagingType", "mdmFlexible": false, "mdmStagingMapping": {"properties": {field: {"type": t}}},
 * "mdmCrosswalkTemplate": {"mdmCrossreference": {staging: [key fields]}}}}.
 *
 * <p>Two halves: {@link #forTable} is a pure function from a table's Postgres column types (the {@code cdc.types}
 * header) and crosswalk columns to the schema the bridge wants; {@link #ensure} makes Carol's staging fit it: creates a
 * missing schema, adds missing fields (PUT of the union: fields are never removed or retyped), leaves a fitting one
 * alone; a field whose column's type changed so that its values no longer fit gets a field of its own,
 * {@code <field>_<type>} ({@link #retypedName}; {@link #renames} says where the values go; docs/types.md "Schema
 * changes"); only a crosswalk field that no longer fits refuses the records ({@link CarolSchemaException}, the caller
 * dead-letters). What is known
 * of each staging is cached, so a fitting staging costs no request; only a refusal is checked again, at most once a
 * {@link #RECHECK}, in case someone fixed the staging in Carol meanwhile.
 *
 * <p>Requests carry the same credentials as intake: the token (raw or {@code Bearer}) in {@code Authorization}, or
 * {@code X-Auth-Key} and {@code X-Auth-ConnectorId}. A 401/403 renews the token once; refused again, it is a
 * {@link CarolCredentialsException} (the route stops, nothing committed). 408, 409, 429, 5xx and I/O failures are
 * {@link CarolRetryableException}s.
 */
public final class CarolStagingSchemas {

    /** The field types a staging schema may hold, as the issue and pycarol list them. */
    public static final Set<String> TYPES = Set.of("long", "double", "string", "boolean", "date", "object", "nested", "base64");
    /** How long a refusal stands before the staging is read again (a person may have changed it in Carol). */
    static final Duration RECHECK = Duration.ofMinutes(1);
    private static final Logger LOG = LoggerFactory.getLogger(CarolStagingSchemas.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * The schema the bridge wants for a staging.
     *
     * @param fields field name in Carol → type (one of {@link #TYPES}), in the table's column order
     * @param keys   the crosswalk: the fields that identify a record (the primary key), empty when the table has none
     * @param table  the source table {@code schema.table} it is made from (named in messages), or null
     */
    public record StagingSchema(String staging, Map<String, String> fields, List<String> keys, String table) {
        public StagingSchema {
            fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
            keys = List.copyOf(keys);
        }

        public StagingSchema(String staging, Map<String, String> fields, List<String> keys) {
            this(staging, fields, keys, null);
        }
    }

    /** What is known of a staging in Carol: its schema body (the fields pycarol sends), field types, crosswalk. */
    private record Known(ObjectNode body, Map<String, String> types, List<String> keys, Instant readAt) {
    }

    private final CarolConfig config;
    private final CarolTokenCache tokens;
    private final HttpClient http;
    private final Clock clock;
    private final Map<String, Known> known = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Set<String> crosswalkWarned = ConcurrentHashMap.newKeySet();
    private final AtomicInteger requests = new AtomicInteger();

    /** @param tokens null in API-key mode */
    public CarolStagingSchemas(CarolConfig config, CarolTokenCache tokens, HttpClient http, Clock clock) {
        this.config = config;
        this.tokens = tokens;
        this.http = http;
        this.clock = clock;
    }

    // ---- the pure half: Postgres types → Carol schema ----

    /**
     * The Carol type of a Postgres column ({@code pg_type.typname} as in the {@code cdc.types} header; arrays are
     * {@code _<element>}), matching the values docs/types.md says Carol gets: integers → long; real and double →
     * double; numeric, money → double (string with {@code cdc.carol.numeric-as=string}, which sends the decimal text);
     * boolean; date, timestamp, timestamptz → date (ISO-8601 text); json, jsonb, hstore → object; bytea → base64; an
     * array → its element's type (a Carol field holds one value or an array of them); everything else → string.
     */
    public static String carolType(String postgresType, boolean numericAsNumber) {
        String t = postgresType == null ? "" : postgresType.toLowerCase(Locale.ROOT).trim();
        if (t.startsWith("_")) {
            return carolType(t.substring(1), numericAsNumber);
        }
        if (t.endsWith("[]")) {
            return carolType(t.substring(0, t.length() - 2), numericAsNumber);
        }
        return switch (t) {
            case "int2", "int4", "int8", "smallint", "integer", "int", "bigint", "oid",
                 "serial", "serial4", "bigserial", "serial8", "smallserial", "serial2" -> "long";
            case "float4", "float8", "real", "double precision", "float" -> "double";
            case "numeric", "decimal", "money" -> numericAsNumber ? "double" : "string";
            case "bool", "boolean" -> "boolean";
            case "date", "timestamp", "timestamptz", "timestamp without time zone", "timestamp with time zone" -> "date";
            case "json", "jsonb", "hstore" -> "object";
            case "bytea" -> "base64";
            // text, varchar, bpchar, uuid, time, timetz, interval, enums, xml, inet, bit, anything unknown: text
            default -> "string";
        };
    }

    /**
     * The schema for a table's staging.
     *
     * @param columnTypes    column → Postgres type, in column order (see {@link #columnTypes})
     * @param keyColumns     the crosswalk columns (primary key or {@code cdc.carol.crosswalk.*}), may be empty
     * @param fieldSelection {@code cdc.carol.fields.<staging>}: column → field name; null or empty = every column as is
     * @throws CarolSchemaException when a crosswalk column is not a column, or the field selection leaves it out
     */
    public static StagingSchema forTable(String staging, Map<String, String> columnTypes, List<String> keyColumns,
                                         Map<String, String> fieldSelection, boolean numericAsNumber) {
        boolean all = fieldSelection == null || fieldSelection.isEmpty();
        Map<String, String> fields = new LinkedHashMap<>();
        columnTypes.forEach((column, type) -> {
            if (all || fieldSelection.containsKey(column)) {
                fields.put(all ? column : fieldSelection.get(column), carolType(type, numericAsNumber));
            }
        });
        List<String> keys = new ArrayList<>();
        for (String k : keyColumns) {
            if (!columnTypes.containsKey(k)) {
                throw new CarolSchemaException(staging, "crosswalk column '" + k + "' of staging " + staging
                        + " is not a column of the table (columns: " + columnTypes.keySet() + ")");
            }
            if (!all && !fieldSelection.containsKey(k)) {
                throw new CarolSchemaException(staging, CarolSettings.FIELDS.key(staging) + " leaves out '" + k
                        + "', a crosswalk column of staging " + staging + ": every record needs it");
            }
            keys.add(all ? k : fieldSelection.get(k));
        }
        return new StagingSchema(staging, fields, keys);
    }

    /**
     * {@link #forTable} with the settings: the staging ({@code cdc.carol.staging.*}), field selection
     * ({@code cdc.carol.fields.*}), {@code cdc.carol.numeric-as} and the crosswalk ({@code cdc.carol.crosswalk.*}, else
     * {@code primaryKey}).
     *
     * @param typesHeader the record's {@code cdc.types} header (bytes or text)
     * @param primaryKey  the table's key columns (the ChangeEvent's {@code key} field names), empty if it has none
     */
    public static StagingSchema forTable(CarolConfig config, String schema, String table, Object typesHeader, List<String> primaryKey) {
        return forTable(config, schema, table, columnTypes(typesHeader), primaryKey);
    }

    /** As above, from the column types already read from the header ({@code ChangeEvent.pgTypes()}, in column order). */
    public static StagingSchema forTable(CarolConfig config, String schema, String table, Map<String, String> columnTypes,
                                         List<String> primaryKey) {
        String staging = config.staging(schema, table);
        StagingSchema s = forTable(staging, columnTypes, config.crosswalk(schema, table, primaryKey), config.fields().get(staging),
                config.numericAsNumber());
        // values a typed field cannot hold travel as null, named here (CarolRecordMapper)
        Map<String, String> fields = new LinkedHashMap<>(s.fields());
        fields.put(CarolRecordMapper.UNREPRESENTABLE, "string");
        return new StagingSchema(s.staging(), fields, s.keys(), schema + "." + table);
    }

    /** The {@code cdc.types} header (a JSON object, column → Postgres type) as an ordered map. */
    public static Map<String, String> columnTypes(Object typesHeader) {
        JsonNode n;
        try {
            if (typesHeader instanceof byte[] b) {
                n = JSON.readTree(b);
            } else if (typesHeader instanceof String s) {
                n = JSON.readTree(s);
            } else {
                throw new PermanentDeliveryException("no cdc.types header: the table's column types, and so its staging schema, are unknown");
            }
        } catch (IOException e) {
            throw new PermanentDeliveryException("cdc.types header is not JSON: " + e.getMessage());
        }
        if (!n.isObject()) {
            throw new PermanentDeliveryException("cdc.types header is not a JSON object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        n.fields().forEachRemaining(f -> out.put(f.getKey(), f.getValue().asText()));
        return out;
    }

    // ---- the client half ----

    /** {@link #ensure(String, Map, List)} for a schema from {@link #forTable}. */
    public void ensure(StagingSchema wanted) {
        ensure(wanted.staging(), wanted.fields(), wanted.keys());
    }

    /**
     * Makes the staging's schema in Carol fit {@code fields}: created when missing (crosswalk {@code keys}), the
     * missing fields added, nothing done when it already fits (no request once known). Does nothing when
     * {@code cdc.carol.manage-schemas=false}.
     *
     * @param fields field → type, one of {@link #TYPES}
     * @param keys   the crosswalk fields; needed only to create the schema
     * @throws CarolSchemaException      a field's type differs in Carol, the table has no crosswalk, or Carol refused
     *                                   the schema: dead-letter the records with its message
     * @throws CarolRetryableException   408/409/429/5xx/I-O: retry later
     * @throws CarolCredentialsException credentials refused after one forced token refresh: stop the route
     */
    public void ensure(String staging, Map<String, String> fields, List<String> keys) {
        if (!config.manageSchemas()) {
            return;
        }
        fields.forEach((f, t) -> {
            if (!TYPES.contains(t)) {
                throw new IllegalArgumentException("field " + f + " of staging " + staging + ": '" + t + "' is not a Carol type " + TYPES);
            }
        });
        Known k = known.get(staging);
        if (k != null && fits(k, fields)) {
            return;
        }
        synchronized (locks.computeIfAbsent(staging, s -> new Object())) {
            k = known.get(staging);
            if (k != null && fits(k, fields)) {
                return; // another thread made it fit meanwhile
            }
            boolean refusalStands = k != null && conflicts(k, fields) != null && clock.instant().isBefore(k.readAt().plus(RECHECK));
            if (!refusalStands) {
                // read afresh before any change: a PUT overwrites the whole schema, so it must start from Carol's copy
                k = read(staging);
            }
            if (k == null) {
                k = create(staging, fields, keys);
                if (k == null) {
                    return;
                }
            }
            String conflicts = conflicts(k, fields);
            if (conflicts != null) {
                known.put(staging, k);
                throw new CarolSchemaException(staging, "Carol staging " + staging + " does not fit the table: " + conflicts
                        + ". Records are refused until the staging's field is changed in Carol (or " + CarolSettings.FIELDS.key(staging)
                        + " leaves the column out); the bridge never retypes a field");
            }
            if (!k.keys().isEmpty() && !keys.isEmpty() && !k.keys().equals(keys) && crosswalkWarned.add(staging)) {
                LOG.warn("Carol staging {} has the crosswalk {}, the table's key is {}: the staging's is kept", staging, k.keys(), keys);
            }
            Map<String, String> add = missing(k, fields);
            Known now = add.isEmpty() ? k : extend(staging, k, add, keys);
            known.put(staging, now);
            Map<String, String> retyped = renames(now, fields);
            if (!retyped.isEmpty()) {
                // said each time the bridge reads the staging afresh for these fields (a start, a change), not per batch
                LOG.warn("Carol staging {}: fields {} no longer hold their columns' values (a type change); the values go to {}",
                        staging, retyped.keySet(), retyped.values());
            }
        }
    }

    /**
     * Where a record's fields go when their column's type changed: field → its retyped field ({@link #retypedName}),
     * for the fields whose type in Carol cannot hold the values and whose retyped field can. Empty nearly always.
     */
    public Map<String, String> renames(StagingSchema wanted) {
        Known k = known.get(wanted.staging());
        return k == null ? Map.of() : renames(k, wanted.fields());
    }

    private static Map<String, String> renames(Known k, Map<String, String> fields) {
        Map<String, String> out = new LinkedHashMap<>();
        fields.forEach((f, t) -> {
            String have = k.types().get(f);
            if (have != null && !compatible(have, t)) {
                String alt = k.types().get(retypedName(f, t));
                if (alt != null && compatible(alt, t)) {
                    out.put(f, retypedName(f, t));
                }
            }
        });
        return out;
    }

    /** The field made for a column's values once its type changed incompatibly: {@code code_string}. */
    static String retypedName(String field, String type) {
        return field + "_" + type;
    }

    /** Forget what is known of a staging (Carol refused records that fitted it: it may have changed). */
    public void forget(String staging) {
        known.remove(staging);
    }

    /** Requests made to the schema API so far. */
    public int requests() {
        return requests.get();
    }

    private boolean fits(Known k, Map<String, String> fields) {
        for (Map.Entry<String, String> f : fields.entrySet()) {
            String have = k.types().get(f.getKey());
            if (have == null) {
                return false;
            }
            if (!compatible(have, f.getValue())) {
                String alt = k.types().get(retypedName(f.getKey(), f.getValue()));
                if (alt == null || !compatible(alt, f.getValue())) {
                    return false;
                }
            }
        }
        return true;
    }

    private static Map<String, String> missing(Known k, Map<String, String> fields) {
        Map<String, String> out = new LinkedHashMap<>();
        fields.forEach((f, t) -> {
            String have = k.types().get(f);
            if (have == null) {
                out.put(f, t);
            } else if (!compatible(have, t) && !k.keys().contains(f) && !k.types().containsKey(retypedName(f, t))) {
                out.put(retypedName(f, t), t);
            }
        });
        return out;
    }

    /**
     * The fields whose type in Carol cannot hold the column's values and that cannot move to a retyped field (a
     * crosswalk field: the key must stay; or a retyped field that exists with another type), described; null when none.
     */
    private static String conflicts(Known k, Map<String, String> fields) {
        List<String> out = new ArrayList<>();
        fields.forEach((f, t) -> {
            String have = k.types().get(f);
            if (have != null && !compatible(have, t)) {
                String alt = k.types().get(retypedName(f, t));
                if (k.keys().contains(f)) {
                    out.add("field " + f + " is " + have + " in Carol, the column's values are " + t + " (a crosswalk field cannot move)");
                } else if (alt != null && !compatible(alt, t)) {
                    out.add("field " + f + " is " + have + " in Carol, the column's values are " + t + ", and field "
                            + retypedName(f, t) + " is " + alt);
                }
            }
        });
        return out.isEmpty() ? null : String.join("; ", out);
    }

    /**
     * Whether a field of type {@code have} holds values the bridge sends for type {@code want}: the same type; whole
     * numbers in a double (or pycarol's {@code integer}); date and base64 values (strings) in a string field; JSON
     * objects in object or nested.
     */
    static boolean compatible(String have, String want) {
        return have.equals(want)
                || (want.equals("long") && (have.equals("double") || have.equals("integer")))
                || (have.equals("string") && (want.equals("date") || want.equals("base64")))
                || (want.equals("object") && have.equals("nested")) || (want.equals("nested") && have.equals("object"));
    }

    /** The staging's schema in Carol, or null when it has none. */
    private Known read(String staging) {
        HttpResponse<String> r = call("GET", config.schemaUri(staging), null, staging);
        int status = r.statusCode();
        if (status == 404) {
            return null;
        }
        if (status / 100 != 2) {
            throw failed(staging, "reading", r);
        }
        JsonNode n;
        try {
            n = r.body() == null || r.body().isBlank() ? null : JSON.readTree(r.body());
        } catch (IOException e) {
            throw new CarolRetryableException(status, "Carol's schema of staging " + staging + " is not JSON");
        }
        // some services answer 200 with nothing for "no schema": the same as 404
        if (n == null || !n.isObject() || !n.path("mdmStagingMapping").path("properties").isObject()) {
            return null;
        }
        return known(staging, (ObjectNode) n);
    }

    /** POSTs the schema; null when it is made and known. A refusal because it exists (made meanwhile) reads it. */
    private Known create(String staging, Map<String, String> fields, List<String> keys) {
        if (keys.isEmpty()) {
            throw new CarolSchemaException(staging, "staging " + staging + " has no schema in Carol and its table no primary key:"
                    + " set " + CarolSettings.CROSSWALK.pattern() + "=column,… to the columns that identify a row");
        }
        ObjectNode body = JSON.createObjectNode();
        body.put("mdmStagingType", staging);
        body.put("mdmFlexible", false);
        ObjectNode properties = body.putObject("mdmStagingMapping").putObject("properties");
        fields.forEach((f, t) -> properties.putObject(f).put("type", t));
        ArrayNode cross = body.putObject("mdmCrosswalkTemplate").putObject("mdmCrossreference").putArray(staging);
        keys.forEach(cross::add);
        HttpResponse<String> r = call("POST", config.schemaUri(staging), body, staging);
        if (r.statusCode() / 100 == 2) {
            LOG.info("Carol staging {}: schema created, {} fields, crosswalk {}", staging, fields.size(), keys);
            known.put(staging, known(staging, body));
            return null;
        }
        if (r.statusCode() == 400 || r.statusCode() == 409) {
            Known now = read(staging); // another bridge (or a person) made it first?
            if (now != null) {
                return now;
            }
        }
        throw failed(staging, "creating", r);
    }

    /** PUTs the schema read from Carol with the fields added; its other parts as they were. */
    private Known extend(String staging, Known k, Map<String, String> add, List<String> keys) {
        ObjectNode body = k.body().deepCopy();
        ObjectNode properties = (ObjectNode) body.path("mdmStagingMapping").path("properties");
        add.forEach((f, t) -> properties.putObject(f).put("type", t));
        if (!body.path("mdmCrosswalkTemplate").path("mdmCrossreference").path(staging).isArray() && !keys.isEmpty()) {
            // a staging without a crosswalk of its own (made by hand): a PUT must carry one, the table's key
            var crosswalk = body.putObject("mdmCrosswalkTemplate").putObject("mdmCrossreference").putArray(staging);
            keys.forEach(crosswalk::add);
        }
        HttpResponse<String> r = call("PUT", config.schemaUri(staging), body, staging);
        if (r.statusCode() / 100 != 2) {
            throw failed(staging, "extending", r);
        }
        LOG.info("Carol staging {}: fields added {}", staging, add);
        return known(staging, body);
    }

    /** The parts of a schema pycarol sends (what a PUT may carry back), its field types and crosswalk. */
    private Known known(String staging, ObjectNode n) {
        ObjectNode body = JSON.createObjectNode();
        body.put("mdmStagingType", n.path("mdmStagingType").asText(staging));
        body.put("mdmFlexible", n.path("mdmFlexible").asBoolean(false));
        body.set("mdmStagingMapping", n.get("mdmStagingMapping").deepCopy());
        if (n.has("mdmCrosswalkTemplate")) {
            body.set("mdmCrosswalkTemplate", n.get("mdmCrosswalkTemplate").deepCopy());
        }
        if (n.has("mdmExportData")) {
            body.set("mdmExportData", n.get("mdmExportData").deepCopy());
        }
        Map<String, String> types = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = body.path("mdmStagingMapping").path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode type = f.getValue().path("type");
            // a field defined by its sub-properties alone is an object, as in Elasticsearch
            types.put(f.getKey(), type.isTextual() ? type.asText() : f.getValue().has("properties") ? "object" : "(untyped)");
        }
        List<String> keys = new ArrayList<>();
        JsonNode cross = body.path("mdmCrosswalkTemplate").path("mdmCrossreference");
        JsonNode mine = cross.has(staging) ? cross.get(staging) : cross.elements().hasNext() ? cross.elements().next() : null;
        if (mine != null && mine.isArray()) {
            mine.forEach(e -> keys.add(e.asText()));
        }
        return new Known(body, types, keys, clock.instant());
    }

    private RuntimeException failed(String staging, String doing, HttpResponse<String> r) {
        int status = r.statusCode();
        String stop = CarolStatus.stop(r, doing + " the schema of staging " + staging);
        if (stop != null) {
            // wrong URL or connector: every staging alike; the route stops (CarolClient.prepare) instead of dead-lettering
            return new CarolCredentialsException(stop);
        }
        String what = "Carol answered HTTP " + status + " " + doing + " the schema of staging " + staging + ": "
                + CarolTokenCache.carolMessage(r.body());
        return CarolStatus.retryable(status) ? new CarolRetryableException(status, what) : new CarolSchemaException(staging, what);
    }

    /** One request with intake's credentials; 401/403 renews the token once; refused again: credentials error. */
    private HttpResponse<String> call(String method, URI uri, ObjectNode body, String staging) {
        boolean retried = false;
        while (true) {
            String token = tokens == null ? null : tokens.token();
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofMillis(config.timeoutMs())).header("Accept", "application/json");
            if (token != null) {
                b.header("Authorization", config.authScheme().equals("bearer") ? "Bearer " + token : token);
            } else {
                b.header("X-Auth-Key", config.apiKey()).header("X-Auth-ConnectorId", config.connectorId());
            }
            if (body == null) {
                b.method(method, HttpRequest.BodyPublishers.noBody());
            } else {
                b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(bytes(body)));
            }
            HttpResponse<String> r;
            requests.incrementAndGet();
            try {
                r = http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new CarolRetryableException("Carol schema API unreachable: " + e.getClass().getSimpleName(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CarolRetryableException("interrupted while calling Carol's schema API", e);
            }
            int status = r.statusCode();
            if ((status == 401 || status == 403) && tokens != null && !retried) {
                retried = true;
                tokens.invalidate(token);
                continue;
            }
            if (status == 401 || status == 403) {
                throw new CarolCredentialsException("Carol refused the bridge's credentials for the schema of staging " + staging
                        + " (HTTP " + status + "): " + CarolTokenCache.carolMessage(r.body()) + ". Give the user (or API key) "
                        + "the right to manage staging schemas, or set " + CarolSettings.MANAGE_SCHEMAS.key() + "=false and make the stagings by hand");
            }
            return r;
        }
    }

    private static byte[] bytes(ObjectNode body) {
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
