package io.cdcbridge.carol;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.delivery.SinkMapper;
import io.cdcbridge.event.ChangeEvent;
import io.cdcbridge.util.LastValue;
import io.cdcbridge.delivery.Passthrough;

/**
 * The Carol sink's {@link SinkMapper}: a ChangeEvent becomes its staging record ({@link CarolRecordMapper}), a
 * passthrough record its JSON objects as they are. Each record is serialized once here: its bytes size the request and
 * make its body. With schema management on, each record also names the staging schema its table needs (worked out once
 * per table while its column types and key stay the same), which {@link CarolClient#prepare} makes sure of before the
 * intake.
 */
final class CarolMapper implements SinkMapper<CarolMapper.Record> {

    /**
     * One staging record, serialized, and the schema its staging needs (from the table's types header; null for a
     * passthrough record, or when the bridge does not manage schemas).
     *
     * @param key the record's crosswalk key, its crosswalk fields' values as one canonical string (a JSON array), which
     *            {@link CarolClient#send} keeps at most once per request; null for a passthrough record, a table without
     *            a crosswalk, or a record that lacks one of the fields
     */
    record Record(byte[] json, CarolStagingSchemas.StagingSchema schema, String key) {
    }

    private final CarolRecordMapper records;
    private final Passthrough passthrough;
    private final CarolConfig config;
    private final boolean schemas;
    /** Per table, its staging schema, worked out again only when its column types or key change. */
    private final Map<String, LastValue<SchemaInput, CarolStagingSchemas.StagingSchema>> schemaByTable = new ConcurrentHashMap<>();
    private final Map<String, java.util.concurrent.atomic.AtomicLong> ignoredTruncates = new ConcurrentHashMap<>();
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CarolMapper.class);

    /** What a table's staging schema is made of: its column types (the parsed types header) and its key columns. */
    private record SchemaInput(Map<String, String> columnTypes, List<String> primaryKey) {
    }

    /** @param schemas whether to work out each table's staging schema (cdc.carol.manage-schemas, not in a dry run) */
    CarolMapper(CarolRecordMapper records, Passthrough passthrough, CarolConfig config, boolean schemas) {
        this.records = records;
        this.passthrough = passthrough;
        this.config = config;
        this.schemas = schemas;
    }

    @Override
    public List<Item<Record>> map(Inbound record) {
        String staging = passthrough.carolStaging(record.topic());
        if (staging == null) {
            ChangeEvent event = ChangeEvent.parse(record.value(), record.typesHeader());
            if (event.truncate()) {
                return truncate(event);
            }
            CarolRecordMapper.Mapped m = records.map(event);
            List<String> primaryKey = primaryKey(event);
            CarolStagingSchemas.StagingSchema schema = schemas ? schema(event, record.typesHeader(), primaryKey) : null;
            List<String> crosswalk = schema != null ? schema.keys() : crosswalkFields(event, m.staging(), primaryKey);
            return List.of(item(m.staging(), m.record(), schema, crosswalkKey(m.record(), crosswalk)));
        }
        List<ObjectNode> objects = Passthrough.records(record.value());
        List<Item<Record>> out = new ArrayList<>(objects.size());
        objects.forEach(o -> out.add(item(staging, o, null, null)));
        return out;
    }

    /**
     * A TRUNCATE (op t): Carol's intake has no operation that empties a staging, and sending the table's rows as
     * deletes is impossible (the event names none). Never silent (docs/carol.md, "TRUNCATE"): by default it is
     * dead-lettered with a cause saying so, for an operator to act on; with {@code cdc.carol.truncate=ignore} it is
     * logged at WARN, naming the table, and counted ({@link #ignoredTruncates}).
     */
    private List<Item<Record>> truncate(ChangeEvent event) {
        String staging = config.staging(event.schema(), event.table());
        if (!config.ignoreTruncates()) {
            throw new io.cdcbridge.errors.PermanentDeliveryException("Carol has no truncate: TRUNCATE of " + event.qualifiedTable()
                    + " (LSN " + event.lsn() + ") was not applied to staging " + staging + ", whose records stay; remove them in "
                    + "Carol if they must go, or set " + CarolSettings.TRUNCATE.key() + "=" + CarolSettings.TRUNCATE_IGNORE
                    + " to leave stagings as they are (docs/carol.md, \"TRUNCATE\")");
        }
        long n = ignoredTruncates.computeIfAbsent(event.qualifiedTable(), t -> new java.util.concurrent.atomic.AtomicLong())
                .incrementAndGet();
        LOG.warn("Carol has no truncate: TRUNCATE of {} (LSN {}) ignored ({}={}); staging {} keeps its records ({} truncate(s) of "
                + "this table ignored so far)", event.qualifiedTable(), event.lsn(), CarolSettings.TRUNCATE.key(),
                CarolSettings.TRUNCATE_IGNORE, staging, n);
        return List.of();
    }

    /** Per {@code schema.table}, the truncates ignored under {@code cdc.carol.truncate=ignore} since start. */
    Map<String, Long> ignoredTruncates() {
        Map<String, Long> out = new java.util.TreeMap<>();
        ignoredTruncates.forEach((t, n) -> out.put(t, n.get()));
        return out;
    }

    private CarolStagingSchemas.StagingSchema schema(ChangeEvent event, Object typesHeader, List<String> primaryKey) {
        if (event.pgTypes().isEmpty()) {
            // no types header: the staging's schema is left as it is; one the event could not read is refused, saying why
            return typesHeader == null ? null : CarolStagingSchemas.forTable(config, event.schema(), event.table(), typesHeader, primaryKey);
        }
        return schemaByTable.computeIfAbsent(event.qualifiedTable(), t -> LastValue.byValue(in ->
                        CarolStagingSchemas.forTable(config, event.schema(), event.table(), in.columnTypes(), in.primaryKey())))
                .get(new SchemaInput(event.pgTypes(), primaryKey));
    }

    private static List<String> primaryKey(ChangeEvent event) {
        List<String> keys = new ArrayList<>();
        if (event.key() != null) {
            event.key().fieldNames().forEachRemaining(keys::add);
        }
        return keys;
    }

    /**
     * The crosswalk's field names in the record, without a managed schema to name them: {@code cdc.carol.crosswalk.*}
     * or the primary key, renamed as {@code cdc.carol.fields.<staging>} renames (null when the selection leaves one out).
     */
    private List<String> crosswalkFields(ChangeEvent event, String staging, List<String> primaryKey) {
        List<String> columns = config.crosswalk(event.schema(), event.table(), primaryKey);
        Map<String, String> selection = config.fields().get(staging);
        if (selection == null || selection.isEmpty()) {
            return columns;
        }
        List<String> fields = new ArrayList<>(columns.size());
        for (String c : columns) {
            String f = selection.get(c);
            if (f == null) {
                return null;
            }
            fields.add(f);
        }
        return fields;
    }

    /** The crosswalk fields' values as a JSON array, e.g. {@code [4]}; null without a crosswalk or when one is absent. */
    static String crosswalkKey(ObjectNode record, List<String> fields) {
        if (fields == null || fields.isEmpty()) {
            return null;
        }
        ArrayNode values = CarolRecordMapper.JSON.createArrayNode();
        for (String f : fields) {
            JsonNode v = record.get(f);
            if (v == null || v.isNull()) {
                return null; // Carol would refuse the record anyway: it is not collapsed with others
            }
            values.add(v);
        }
        return values.toString();
    }

    private static Item<Record> item(String staging, ObjectNode record, CarolStagingSchemas.StagingSchema schema, String key) {
        try {
            byte[] json = CarolRecordMapper.JSON.writeValueAsBytes(record);
            return new Item<>(staging, new Record(json, schema, key), json.length + 1); // and a comma
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A request's records with each crosswalk key once: the last record of a key replaces the earlier ones (a delete
     * after an insert sends the delete), because Carol keeps the whole last record per key and pycarol refuses a
     * request with a key twice (docs/architecture.md §8). The survivors keep their order; records without a key all
     * stay. Returns the same list when no key repeats.
     */
    static List<Record> lastPerKey(List<Record> records) {
        if (records.size() < 2) {
            return records;
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        boolean[] superseded = new boolean[records.size()];
        int dropped = 0;
        for (int i = records.size() - 1; i >= 0; i--) {
            String key = records.get(i).key();
            if (key != null && !seen.add(key)) {
                superseded[i] = true;
                dropped++;
            }
        }
        if (dropped == 0) {
            return records;
        }
        List<Record> out = new ArrayList<>(records.size() - dropped);
        for (int i = 0; i < records.size(); i++) {
            if (!superseded[i]) {
                out.add(records.get(i));
            }
        }
        return out;
    }

    /** A request body: the JSON array of its records, from their serialized bytes. */
    static byte[] body(List<Record> records) {
        int size = 2;
        for (Record r : records) {
            size += r.json().length + 1;
        }
        byte[] out = new byte[size - (records.isEmpty() ? 0 : 1)];
        int at = 0;
        out[at++] = '[';
        for (int i = 0; i < records.size(); i++) {
            if (i > 0) {
                out[at++] = ',';
            }
            byte[] r = records.get(i).json();
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        out[at] = ']';
        return out;
    }
}
