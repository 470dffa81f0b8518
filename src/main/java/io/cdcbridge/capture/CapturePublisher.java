package io.cdcbridge.capture;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import io.cdcbridge.config.KafkaClients;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.KafkaSettings;
import io.cdcbridge.config.KafkaTopics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends captured events to Kafka without waiting for each acknowledgement, and tells the offset store when it is safe
 * to persist Debezium's offsets.
 *
 * <h2>Why no event can be lost</h2>
 * Debezium hands records to the capture route one at a time and, every {@code offset.flush.interval.ms}, persists the
 * offsets of all records the route has returned from. Waiting for Kafka's ack per record would cost one round trip per
 * row, so {@link #send} only queues the record in the producer and returns. The guarantee moves to the flush:
 * {@link AckedOffsetStore#set} first calls {@link #awaitAcknowledged()}, which calls {@code producer.flush()}. That
 * blocks until every record sent so far (so every record whose offset is about to be persisted) is acknowledged by
 * Kafka ({@code acks=all}, idempotent producer, so retries keep per-partition order). If any send ever failed, the
 * failure is latched, this and every later flush refuses, nothing is persisted, and {@code onFailure} stops the capture:
 * after a restart Debezium resumes from the last offsets Kafka had acknowledged, which is at-least-once.
 */
public final class CapturePublisher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CapturePublisher.class);

    /** How long after a failed creation of a topic capture tries again (each event would otherwise ask Kafka). */
    private static final long RETRY_CREATE_MS = 10_000;

    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaTopics topics;
    private final int maxEventBytes;
    /** Topics made or found, with the largest event each takes (docs/architecture.md §9, oversize events). */
    private final Map<String, Integer> knownTopics = new ConcurrentHashMap<>();
    private final Map<String, Long> failedCreations = new ConcurrentHashMap<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Consumer<Throwable> onFailure;

    /**
     * @param tuning capture's producer defaults and timeouts, under {@code cdc.kafka.client.*} and
     *               {@code cdc.kafka.producer.*} ({@link KafkaClients#captureProducer})
     */
    public CapturePublisher(KafkaConfig kafka, Map<String, Object> tuning, Consumer<Throwable> onFailure) {
        Map<String, Object> defaults = new HashMap<>();
        defaults.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        defaults.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        defaults.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        defaults.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        defaults.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64L * 1024 * 1024));
        // how long a send may keep retrying while Kafka is unreachable before capture stops (cdc.capture.kafka-timeout-ms)
        defaults.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        defaults.putAll(tuning);
        this.producer = new KafkaProducer<>(kafka.clients().captureProducer("cdc-bridge-capture", defaults));
        this.topics = new KafkaTopics(kafka, "cdc-bridge-capture-admin");
        this.maxEventBytes = kafka.clients().maxEventBytes();
        this.onFailure = onFailure;
    }

    /**
     * Queues one event. Blocks only when the producer's buffer is full (back-pressure on Debezium). Once a send has
     * failed, events are dropped here on purpose: no offset past the failure is ever stored (see
     * {@link #awaitAcknowledged()}), and capture restarts from the last stored offset, so each of them is read again.
     * Throwing instead would make Debezium log every remaining queued record as an error.
     *
     * @return whether the event was handed to Kafka
     */
    public boolean send(String topic, byte[] key, byte[] value, byte[] types) {
        return send(topic, key, value, types == null ? new RecordHeaders()
                : new RecordHeaders(new RecordHeader[] {new RecordHeader("cdc.types", types)}));
    }

    /** {@link #send(String, byte[], byte[], byte[])} with any headers. */
    public boolean send(String topic, byte[] key, byte[] value, RecordHeaders headers) {
        if (failure.get() != null) {
            return false;
        }
        ensureTopic(topic);
        try {
            producer.send(new ProducerRecord<>(topic, null, key, value, headers), (meta, e) -> {
                if (e != null) {
                    fail(topic, e);
                }
            });
        } catch (RuntimeException e) {
            // send() itself gave up (no metadata or buffer space within max.block.ms, interrupted): Debezium moves on
            // to the next record when the route throws, so latch the failure first: no offset is stored after this.
            fail(topic, e);
            return false;
        }
        return true;
    }

    private void fail(String topic, Throwable e) {
        if (failure.compareAndSet(null, e)) {
            LOG.error("Kafka did not accept a captured event for {}: {}. Capture stops; offsets after the last "
                    + "acknowledged event are not stored, so a restart resends from there.", topic, e.toString());
            onFailure.accept(e);
        }
    }

    /**
     * Blocks until everything sent so far is acknowledged; throws if any send failed. Called by the offset store
     * before it persists offsets.
     */
    public void awaitAcknowledged() {
        producer.flush();
        Throwable failed = failure.get();
        if (failed != null) {
            throw new IllegalStateException("not storing capture offsets: a Kafka send failed (" + failed.getMessage() + ")");
        }
    }

    /**
     * After a failed send: waits until every send still in flight has completed or failed, checks that Kafka answers
     * again, and clears the failure so capture can start over from its stored (acknowledged) offsets. Throws while
     * Kafka is unreachable. Only call while the capture route is stopped.
     */
    public void recover(java.time.Duration timeout) throws Exception {
        producer.flush();
        topics.admin().describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        // Kafka answers: a topic whose creation failed meanwhile is tried again at its next event, not 10 s later
        failedCreations.clear();
        Throwable was = failure.getAndSet(null);
        if (was != null) {
            LOG.info("Kafka answers again; capture resumes from the last acknowledged offsets");
        }
    }

    public boolean failed() {
        return failure.get() != null;
    }

    /**
     * Whether the event fits the topic: its size (key, value, headers and the record's overhead, uncompressed, as the
     * producer measures it) is at most {@code cdc.kafka.max-record-bytes} less room for a dead letter's headers, and
     * within the topic's own {@code max.message.bytes} when an existing topic has a smaller one.
     */
    public boolean fits(String topic, byte[] key, byte[] value, byte[] types) {
        return size(key, value, types) <= limit(topic);
    }

    /** The largest event the topic takes ({@link #fits}). */
    public int limit(String topic) {
        Integer limit = ensureTopic(topic);
        return limit == null ? maxEventBytes : limit;
    }

    /** An upper bound of a record's size in a batch: its bytes plus Kafka's per-record and per-batch overhead. */
    public static int size(byte[] key, byte[] value, byte[] types) {
        return 128 + (key == null ? 0 : key.length) + (value == null ? 0 : value.length)
                + (types == null ? 0 : types.length + "cdc.types".length() + 8);
    }

    /**
     * Creates these topics now rather than on their first event ({@link #ensureTopic}): the sinks' consumers subscribe
     * by pattern and see a topic made later only at their next metadata refresh and rebalance, seconds during which a
     * new table's first changes wait. A failure is logged and tried again on the first event, as always.
     */
    public void createTopics(java.util.Collection<String> names) {
        for (String name : names) {
            ensureTopic(name);
        }
    }

    /**
     * Creates the table's topic on first sight (docs/architecture.md §5), so capture works where brokers do not
     * auto-create topics. A failed creation is not remembered: it is tried again (at most every
     * {@value #RETRY_CREATE_MS} ms), and meanwhile the send goes ahead, in case the broker or an operator makes it.
     *
     * @return the largest event the topic takes, or null while it is not known to exist
     */
    private Integer ensureTopic(String topic) {
        Integer known = knownTopics.get(topic);
        if (known != null) {
            return known;
        }
        Long failedAt = failedCreations.get(topic);
        if (failedAt != null && System.currentTimeMillis() - failedAt < RETRY_CREATE_MS) {
            return null;
        }
        try {
            int limit = maxEventBytes;
            if (topics.ensure(topics.dataTopic(topic))) {
                LOG.info("Created topic {}", topic);
            } else {
                // made by someone else: its own max.message.bytes may be smaller than ours
                Integer theirs = topics.maxMessageBytes(topic).orElse(null);
                if (theirs != null && theirs - KafkaClients.DEAD_LETTER_HEADROOM < limit) {
                    limit = Math.max(0, theirs - KafkaClients.DEAD_LETTER_HEADROOM);
                    LOG.warn("Topic {} takes records up to {} bytes (its max.message.bytes), below {}: larger change "
                            + "events are dead-lettered as references", topic, theirs, KafkaSettings.MAX_RECORD_BYTES.key());
                }
            }
            failedCreations.remove(topic);
            knownTopics.put(topic, limit);
            return limit;
        } catch (KafkaTopics.TopicException e) {
            failedCreations.put(topic, System.currentTimeMillis());
            LOG.error("{}", e.getMessage());
            return null;
        }
    }

    @Override
    public void close() {
        try {
            producer.close(java.time.Duration.ofSeconds(30));
        } finally {
            topics.close();
        }
    }
}
