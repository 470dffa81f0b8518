package io.cdcbridge.capture;

import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.config.KafkaSettings;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capture route's one step: a Debezium change (the body: Debezium's SourceRecord, see CaptureEndpoint) becomes a
 * ChangeEvent on the table's topic {@code <prefix>.<schema>.<table>} (Debezium already names its records that way),
 * keyed by the primary key JSON. Heartbeats and tombstones carry no operation ({@link CaptureEndpoint#operation}): skipped
 * here.
 */
public final class CaptureProcessor implements Processor, org.apache.camel.Service {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureProcessor.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChangeEventEncoder encoder = new ChangeEventEncoder();
    private final CapturePublisher publisher;
    private final CaptureStats stats;
    private final String deadLetterTopic;

    /** Re-selects unchanged TOAST values ({@code cdc.capture.reselect-unchanged}), or null: off. */
    private final UnchangedReselect reselect;
    /** The columns the encoder found unchanged in the event at hand (one capture thread: reused, nothing allocated). */
    private final java.util.List<String> unchanged = new java.util.ArrayList<>();

    /** @param topicPrefix {@code cdc.kafka.topic-prefix}: events that cannot be encoded go to {@code <prefix>.dlq.capture} */
    public CaptureProcessor(CapturePublisher publisher, CaptureStats stats, String topicPrefix) {
        this(publisher, stats, topicPrefix, null);
    }

    CaptureProcessor(CapturePublisher publisher, CaptureStats stats, String topicPrefix, UnchangedReselect reselect) {
        this.publisher = publisher;
        this.stats = stats;
        this.deadLetterTopic = topicPrefix + ".dlq.capture";
        this.reselect = reselect;
    }

    @Override
    public void start() {
        // the re-select's connection opens with its first use
    }

    @Override
    public void stop() {
        if (reselect != null) {
            reselect.close(); // reopened by the next use, should the route start again (a new leader term)
        }
    }

    @Override
    public void process(Exchange exchange) {
        SourceRecord record = exchange.getIn().getBody(SourceRecord.class);
        String op = CaptureEndpoint.operation(record);
        if (op == null) {
            return; // a heartbeat or a tombstone: no change to publish
        }
        try {
            publish(op, record);
        } catch (RuntimeException e) {
            // Debezium advances its offset even when this step throws: an event that cannot be encoded (an operation
            // the ChangeEvent has no form for, such as a logical decoding message, or a shape the encoder does not
            // know) would be lost without a word.
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
        Object snap = src.get("snapshot");
        boolean snapshot = snap != null && !"false".equals(snap.toString());
        Object lsnValue = src.get("lsn");
        Object tx = src.get("txId");
        if (lsnValue == null && snapshot) {
            // Debezium leaves lsn and txId out of an incremental snapshot's (a backfill's) rows; the record's offset is
            // the stream position when the chunk was emitted, after every change the chunk saw: what a backfill row
            // carries (docs/architecture.md §4, Backfill rows), so the sinks order it after those changes
            Map<String, ?> offset = record.sourceOffset();
            lsnValue = offset == null ? null : offset.get("lsn");
            tx = offset == null ? null : offset.get("txId");
        }
        long lsn = number(lsnValue);
        var source = new ChangeEventEncoder.Source(lsn, tx == null ? null : number(tx), number(src.get("ts_ms")), snapshot);

        // an update of a keyed table: the encoder names the unchanged TOAST columns it leaves out, for the re-select
        boolean reselecting = reselect != null && key != null && after != null && "u".equals(op);
        unchanged.clear();
        byte[] value = encoder.value(op, schema, table, key, before, after, source, reselecting ? unchanged : null);
        byte[] kafkaKey = encoder.key(key);
        if (reselecting && !unchanged.isEmpty()) {
            // only such events pay: one primary-key SELECT; it never throws, and leaves the event as it is when it fails
            Struct filled = reselect.fill(schema, table, kafkaKey, after, java.util.List.copyOf(unchanged));
            if (filled != null) {
                after = filled;
                value = encoder.value(op, schema, table, key, before, after, source);
            }
        }
        // a TRUNCATE (op t, one event per table, key and images null) has no row and so no types header (§4)
        Struct row = after != null ? after : before;
        byte[] types = row == null && "t".equals(op) ? null : encoder.types(row.schema());
        if (!publisher.fits(record.topic(), kafkaKey, value, types)) {
            oversize(record.topic(), op, schema, table, kafkaKey, source, CapturePublisher.size(kafkaKey, value, types));
            return;
        }
        if (publisher.send(record.topic(), kafkaKey, value, types)) {
            stats.captured(schema + "." + table, lsn, snapshot, value);
            if (snapshot && "incremental".equals(snap.toString())) { // a backfill's row (Backfills), op r
                stats.backfilled(schema + "." + table);
            }
        }
    }

    /**
     * A change event larger than its topic takes (docs/architecture.md §9, oversize events): Kafka would refuse it, and
     * refuse it again after every restart, so capture would never get past it. A reference goes to the capture's
     * dead-letter topic instead, keyed like the event, through the same acknowledged path (no offset past it is stored
     * before Kafka has it): what was lost is on record, and capture goes on.
     */
    private void oversize(String topic, String op, String schema, String table, byte[] kafkaKey,
                          ChangeEventEncoder.Source source, int size) {
        int limit = publisher.limit(topic);
        ObjectNode ref = JSON.createObjectNode();
        ref.put("reason", "oversize");
        ref.put("topic", topic);
        ref.put("schema", schema);
        ref.put("table", table);
        ref.put("op", op);
        try {
            ref.set("key", kafkaKey == null ? null : JSON.readTree(kafkaKey));
        } catch (java.io.IOException e) {
            ref.put("key", new String(kafkaKey, java.nio.charset.StandardCharsets.UTF_8));
        }
        ref.put("lsn", source.lsn());
        if (source.txId() != null) {
            ref.put("txId", source.txId());
        }
        ref.put("tsMs", source.tsMs());
        ref.put("snapshot", source.snapshot());
        ref.put("bytes", size);
        ref.put("limit", limit);
        String reason = "change event of " + size + " bytes is above the " + limit + " bytes topic " + topic + " takes ("
                + KafkaSettings.MAX_RECORD_BYTES.key() + " less 16 KiB for a dead letter's headers, or the topic's max.message.bytes)";
        var headers = new org.apache.kafka.common.header.internals.RecordHeaders();
        headers.add("cdc.error.class", "io.cdcbridge.capture.OversizeEvent".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        headers.add("cdc.error.message", reason.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        headers.add("cdc.origin.topic", topic.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        try {
            if (publisher.send(deadLetterTopic, kafkaKey, JSON.writeValueAsBytes(ref), headers)) {
                stats.captured(schema + "." + table, source.lsn(), source.snapshot());
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        LOG.warn("Capture did not send a change of {}.{} (key {}, LSN {}): {}; a reference is in {}, the row itself is not "
                + "delivered (raise {} to send such rows)", schema, table, ref.get("key"), source.lsn(), reason, deadLetterTopic,
                KafkaSettings.MAX_RECORD_BYTES.key());
    }

    private void deadLetter(String op, SourceRecord record, RuntimeException error) {
        ObjectNode letter = JSON.createObjectNode();
        letter.put("topic", record == null ? null : record.topic());
        letter.put("op", op);
        letter.put("error", error.toString());
        // bounded: an event that failed to encode may be as large as the largest row
        String text = record == null ? null : String.valueOf(record.value());
        letter.put("record", text == null || text.length() <= 65_536 ? text : text.substring(0, 65_536) + "...");
        try {
            publisher.send(deadLetterTopic, null, JSON.writeValueAsBytes(letter), (byte[]) null);
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
