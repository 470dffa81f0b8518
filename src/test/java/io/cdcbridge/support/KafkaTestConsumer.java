package io.cdcbridge.support;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/** Reads what is on a topic of the shared broker, from the beginning. */
public final class KafkaTestConsumer {

    private KafkaTestConsumer() {
    }

    /**
     * A record as text: key, value and headers (header values as UTF-8), and its timestamp (the producer's send time:
     * the bridge's producers use CreateTime).
     */
    public record Rec(String topic, int partition, long offset, String key, String value, Map<String, String> headers, long timestamp) {
    }

    /**
     * Polls from the beginning until at least {@code count} records are read or the timeout passes; returns all read.
     * The caller asserts on the count, so a shortfall fails with what did arrive.
     */
    public static List<Rec> read(String topic, int count, Duration timeout) {
        List<Rec> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer()) {
            List<TopicPartition> parts = awaitPartitions(c, topic, timeout);
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (out.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(toRec(r));
                }
            }
            // anything beyond the expected count that is already there (duplicates would show up here)
            for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
                out.add(toRec(r));
            }
        }
        return out;
    }

    /** Everything on the topic right now (up to the current end offsets). */
    public static List<Rec> readAll(String topic) {
        return readAll(TestInfra.kafka().bootstrapServers(), topic);
    }

    /** {@link #readAll(String)} on another broker (e.g. {@link TestInfra#securedKafka()}'s PLAINTEXT listener). */
    public static List<Rec> readAll(String bootstrapServers, String topic) {
        List<Rec> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = consumer(bootstrapServers)) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
            if (parts.isEmpty()) {
                return out;
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            while (parts.stream().anyMatch(p -> c.position(p) < end.get(p))) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(toRec(r));
                }
            }
        }
        return out;
    }

    private static List<TopicPartition> awaitPartitions(KafkaConsumer<byte[], byte[]> c, String topic, Duration timeout) {
        var infos = org.awaitility.Awaitility.await("topic " + topic).atMost(timeout).pollInterval(Duration.ofMillis(100))
                .until(() -> c.listTopics(Duration.ofSeconds(5)).get(topic), l -> l != null && !l.isEmpty());
        return infos.stream().map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toList());
    }

    private static Rec toRec(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> headers = new java.util.LinkedHashMap<>();
        r.headers().forEach(h -> headers.put(h.key(), h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8)));
        return new Rec(r.topic(), r.partition(), r.offset(), r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8),
                r.value() == null ? null : new String(r.value(), StandardCharsets.UTF_8), headers, r.timestamp());
    }

    private static KafkaConsumer<byte[], byte[]> consumer() {
        return consumer(TestInfra.kafka().bootstrapServers());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrapServers) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "test-reader-" + UUID.randomUUID(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "5000",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()));
    }
}
