package io.cdcbridge.capture;

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
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

    private final KafkaProducer<byte[], byte[]> producer;
    private final Admin admin;
    private final int partitions;
    private final short replication;
    private final Set<String> knownTopics = ConcurrentHashMap.newKeySet();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Consumer<Throwable> onFailure;

    public CapturePublisher(String bootstrap, Map<String, Object> producerOverrides, int partitions, short replication,
                            Consumer<Throwable> onFailure) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "cdc-bridge-capture");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, String.valueOf(256 * 1024));
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, String.valueOf(64L * 1024 * 1024));
        // how long a send may keep retrying while Kafka is unreachable before capture stops (cdc.capture.kafka-timeout-ms)
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        p.putAll(producerOverrides);
        this.producer = new KafkaProducer<>(p);
        this.admin = Admin.create(Map.of("bootstrap.servers", bootstrap, "client.id", "cdc-bridge-capture-admin"));
        this.partitions = partitions;
        this.replication = replication;
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
        if (failure.get() != null) {
            return false;
        }
        ensureTopic(topic);
        RecordHeaders headers = types == null ? new RecordHeaders()
                : new RecordHeaders(new RecordHeader[] {new RecordHeader("cdc.types", types)});
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
        admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Throwable was = failure.getAndSet(null);
        if (was != null) {
            LOG.info("Kafka answers again; capture resumes from the last acknowledged offsets");
        }
    }

    public boolean failed() {
        return failure.get() != null;
    }

    /** Creates the table's topic on first sight, so capture works where brokers do not auto-create topics. */
    private void ensureTopic(String topic) {
        if (knownTopics.contains(topic)) {
            return;
        }
        try {
            admin.createTopics(List.of(new NewTopic(topic, partitions, replication))).all().get(30, TimeUnit.SECONDS);
            LOG.info("Created topic {} ({} partition(s))", topic, partitions);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                LOG.warn("Could not create topic {} ({}); relying on the broker to create it", topic, e.getCause().toString());
            }
        } catch (Exception e) {
            LOG.warn("Could not create topic {} ({}); relying on the broker to create it", topic, e.toString());
        }
        knownTopics.add(topic);
    }

    @Override
    public void close() {
        try {
            producer.close(java.time.Duration.ofSeconds(30));
        } finally {
            admin.close(java.time.Duration.ofSeconds(5));
        }
    }
}
