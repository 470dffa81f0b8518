package io.cdcbridge.capture;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.debezium.DebeziumConstants;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * The capture route's one step: a Debezium change (the body: Debezium's SourceRecord, see CaptureEndpoint) becomes a
 * ChangeEvent on the table's topic {@code <prefix>.<schema>.<table>} (Debezium already names its records that way),
 * keyed by the primary key JSON. Heartbeats and tombstones carry no operation and are filtered out by the route before
 * this step.
 */
public final class CaptureProcessor implements Processor {

    private final ChangeEventEncoder encoder = new ChangeEventEncoder();
    private final CapturePublisher publisher;
    private final CaptureStats stats;

    public CaptureProcessor(CapturePublisher publisher, CaptureStats stats) {
        this.publisher = publisher;
        this.stats = stats;
    }

    @Override
    public void process(Exchange exchange) {
        Message m = exchange.getIn();
        String op = m.getHeader(DebeziumConstants.HEADER_OPERATION, String.class);
        SourceRecord record = m.getBody(SourceRecord.class);
        Struct envelope = (Struct) record.value();
        Struct src = envelope.getStruct("source");
        String schema = src.getString("schema");
        String table = src.getString("table");
        Struct key = (Struct) record.key();
        Struct before = envelope.getStruct("before");
        Struct after = envelope.getStruct("after");
        long lsn = number(src.get("lsn"));
        Object snap = src.get("snapshot");
        boolean snapshot = snap != null && !"false".equals(snap.toString());
        Object tx = src.get("txId");
        var source = new ChangeEventEncoder.Source(lsn, tx == null ? null : number(tx), number(src.get("ts_ms")), snapshot);

        byte[] value = encoder.value(op, schema, table, key, before, after, source);
        byte[] types = encoder.types((after != null ? after : before).schema());
        if (publisher.send(record.topic(), encoder.key(key), value, types)) {
            stats.captured(schema + "." + table, lsn, snapshot, value);
        }
    }

    private static long number(Object o) {
        return o == null ? 0L : ((Number) o).longValue();
    }
}
