package io.cdcbridge.carol;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.delivery.SinkMapper;
import io.cdcbridge.event.ChangeEvent;
import io.cdcbridge.passthrough.Passthrough;

/**
 * The Carol sink's {@link SinkMapper}: a ChangeEvent becomes its staging record ({@link CarolRecordMapper}), a
 * passthrough record its JSON objects as they are. Each record is serialized once here: its bytes size the request and
 * make its body.
 */
final class CarolMapper implements SinkMapper<byte[]> {

    private final CarolRecordMapper records;
    private final Passthrough passthrough;

    CarolMapper(CarolRecordMapper records, Passthrough passthrough) {
        this.records = records;
        this.passthrough = passthrough;
    }

    @Override
    public List<Item<byte[]>> map(Inbound record) {
        String staging = passthrough.carolStaging(record.topic());
        if (staging == null) {
            CarolRecordMapper.Mapped m = records.map(ChangeEvent.parse(record.value(), record.typesHeader()));
            return List.of(item(m.staging(), m.record()));
        }
        List<ObjectNode> objects = Passthrough.records(record.value());
        List<Item<byte[]>> out = new ArrayList<>(objects.size());
        objects.forEach(o -> out.add(item(staging, o)));
        return out;
    }

    private static Item<byte[]> item(String staging, ObjectNode record) {
        try {
            byte[] json = CarolRecordMapper.JSON.writeValueAsBytes(record);
            return new Item<>(staging, json, json.length + 1); // and a comma
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A request body: the JSON array of its records, from their serialized bytes. */
    static byte[] body(List<byte[]> records) {
        int size = 2;
        for (byte[] r : records) {
            size += r.length + 1;
        }
        byte[] out = new byte[size - (records.isEmpty() ? 0 : 1)];
        int at = 0;
        out[at++] = '[';
        for (int i = 0; i < records.size(); i++) {
            if (i > 0) {
                out[at++] = ',';
            }
            byte[] r = records.get(i);
            System.arraycopy(r, 0, out, at, r.length);
            at += r.length;
        }
        out[at] = ']';
        return out;
    }
}
