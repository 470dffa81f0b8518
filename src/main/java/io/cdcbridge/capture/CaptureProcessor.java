package io.cdcbridge.capture;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.apache.camel.component.debezium.DebeziumConstants;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capture route's one step: a Debezium change (the body: Debezium's SourceRecord, see CaptureEndpoint) becomes a
 * ChangeEvent on the table's topic {@code <prefix>.<schema>.<table>} (Debezium already names its records that way),
 * keyed by the primary key JSON. Heartbeats and tombstones carry no operation and are filtered out by the route before
 * this step.
 */
public final class CaptureProcessor implements Processor {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChangeEventEncoder encoder = new ChangeEventEncoder();
    private final CapturePublisher publisher;
    private final CaptureStats stats;
    private final String deadLetterTopic;

    /** @param topicPrefix {@code cdc.kafka.topic-prefix}: events that cannot be encoded go to {@code <prefix>.dlq.capture} */
    public CaptureProcessor(CapturePublisher publisher, CaptureStats stats, String topicPrefix) {
        this.publisher = publisher;
        this.stats = stats;
        this.deadLetterTopic = topicPrefix + ".dlq.capture";
    }

    @Override
    public void process(Exchange exchange) {
        Message m = exchange.getIn();
        String op = m.getHeader(DebeziumConstants.HEADER_OPERATION, String.class);
        SourceRecord record = m.getBody(SourceRecord.class);
        try {
            publish(op, record);
        } catch (RuntimeException e) {
            // Debezium advances its offset even when this step throws: an event that cannot be encoded (an operation
            // the ChangeEvent has no form for, such as a TRUNCATE or a logical decoding message once
            // skipped.operations is overridden, or a shape the encoder does not know) would be lost without a word.
            // It goes to the capture's dead-letter topic instead, through the same acknowledged path as every event:
            // no offset past it is stored unless Kafka took it (docs/architecture.md §9).
            deadLetter(op, record, e);
        }
    }

    private void publish(String op, SourceRecord record) {
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

    private void deadLetter(String op, SourceRecord record, RuntimeException error) {
        ObjectNode letter = JSON.createObjectNode();
        letter.put("topic", record == null ? null : record.topic());
        letter.put("op", op);
        letter.put("error", error.toString());
        letter.put("record", record == null ? null : String.valueOf(record.value()));
        try {
            publisher.send(deadLetterTopic, null, JSON.writeValueAsBytes(letter), null);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        LOG.warn("Capture could not encode an event of {} (op {}): {}; written to {} instead",
                record == null ? "?" : record.topic(), op, error.toString(), deadLetterTopic);
    }

    private static long number(Object o) {
        return o == null ? 0L : ((Number) o).longValue();
    }
}
