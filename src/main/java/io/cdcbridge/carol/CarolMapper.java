package io.cdcbridge.carol;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.delivery.SinkMapper;
import io.cdcbridge.event.ChangeEvent;
import io.cdcbridge.delivery.Passthrough;

/**
 * The Carol sink's {@link SinkMapper}: a ChangeEvent becomes its staging record ({@link CarolRecordMapper}), a
 * passthrough record its JSON objects as they are. Each record is serialized once here: its bytes size the request and
 * make its body. With schema management on, each record also names the staging schema its table needs (worked out once
 * per types header), which {@link CarolClient#prepare} makes sure of before the intake.
 */
final class CarolMapper implements SinkMapper<CarolMapper.Record> {

    /**
     * One staging record, serialized, and the schema its staging needs (from the table's types header; null for a
     * passthrough record, or when the bridge does not manage schemas).
     */
    record Record(byte[] json, CarolStagingSchemas.StagingSchema schema) {
    }

    private final CarolRecordMapper records;
    private final Passthrough passthrough;
    private final CarolConfig config;
    private final boolean schemas;
    /** Per table, the last types header and the schema made from it: a table's records repeat one header. */
    private final Map<String, Object[]> lastSchema = new ConcurrentHashMap<>();

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
            CarolRecordMapper.Mapped m = records.map(event);
            return List.of(item(m.staging(), m.record(), schemas ? schema(event, record.typesHeader()) : null));
        }
        List<ObjectNode> objects = Passthrough.records(record.value());
        List<Item<Record>> out = new ArrayList<>(objects.size());
        objects.forEach(o -> out.add(item(staging, o, null)));
        return out;
    }

    private CarolStagingSchemas.StagingSchema schema(ChangeEvent event, Object header) {
        if (header == null) {
            return null; // no column types: the staging's schema is left as it is
        }
        Object[] last = lastSchema.get(event.qualifiedTable());
        if (last != null && (last[0] == header || (header instanceof byte[] b && last[0] instanceof byte[] a && Arrays.equals(a, b))
                || header.equals(last[0]))) {
            return (CarolStagingSchemas.StagingSchema) last[1];
        }
        List<String> keys = new ArrayList<>();
        if (event.key() != null) {
            event.key().fieldNames().forEachRemaining(keys::add);
        }
        CarolStagingSchemas.StagingSchema s = CarolStagingSchemas.forTable(config, event.schema(), event.table(), header, keys);
        lastSchema.put(event.qualifiedTable(), new Object[] {header, s});
        return s;
    }

    private static Item<Record> item(String staging, ObjectNode record, CarolStagingSchemas.StagingSchema schema) {
        try {
            byte[] json = CarolRecordMapper.JSON.writeValueAsBytes(record);
            return new Item<>(staging, new Record(json, schema), json.length + 1); // and a comma
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
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
