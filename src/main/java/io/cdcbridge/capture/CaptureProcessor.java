package io.cdcbridge.capture;

import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.debezium.DebeziumConstants;
import org.apache.kafka.connect.data.Struct;

/**
 * The capture route's one step: a Debezium change (Camel message with Debezium's headers) becomes a ChangeEvent on the
 * table's topic {@code <prefix>.<schema>.<table>} (Debezium already names its records that way), keyed by the primary
 * key JSON. Heartbeats and tombstones carry no operation and are filtered out by the route before this step.
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
        @SuppressWarnings("unchecked")
        Map<String, Object> src = m.getHeader(DebeziumConstants.HEADER_SOURCE_METADATA, Map.class);
        String schema = (String) src.get("schema");
        String table = (String) src.get("table");
        Struct key = (Struct) m.getHeader(DebeziumConstants.HEADER_KEY);
        Struct before = (Struct) m.getHeader(DebeziumConstants.HEADER_BEFORE);
        Struct after = (Struct) m.getBody();
        long lsn = number(src.get("lsn"));
        Object snap = src.get("snapshot");
        boolean snapshot = snap != null && !"false".equals(snap.toString());
        Object tx = src.get("txId");
        var source = new ChangeEventEncoder.Source(lsn, tx == null ? null : number(tx), number(src.get("ts_ms")), snapshot);

        byte[] value = encoder.value(op, schema, table, key, before, after, source);
        byte[] types = encoder.types((after != null ? after : before).schema());
        if (publisher.send(m.getHeader(DebeziumConstants.HEADER_IDENTIFIER, String.class), encoder.key(key), value, types)) {
            stats.captured(schema + "." + table, lsn, snapshot, value);
        }
    }

    private static long number(Object o) {
        return o == null ? 0L : ((Number) o).longValue();
    }
}
