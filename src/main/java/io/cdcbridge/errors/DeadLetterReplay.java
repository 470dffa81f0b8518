package io.cdcbridge.errors;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.cdcbridge.config.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Moves a sink's dead letters back to their origin topics (docs/architecture.md §9): {@code replay --sink carol [--table
 * public.Users] [--dry-run]} and the JMX operation. A replayed record carries {@code cdc.replay.sink}, so only that
 * sink delivers it again (the other sinks already have it); if it fails again it is dead-lettered again.
 *
 * <p>Progress is kept in the consumer group {@code cdc-bridge-replay-<sink>} on the dead-letter topic, only for
 * records whose copy Kafka acknowledged: the committed offset is the first record not yet replayed, and the commit's
 * metadata lists the records replayed beyond it (those after one the table filter left out), so a later replay finds
 * what was left out and replays nothing twice.
 */
public final class DeadLetterReplay {

    /** What a replay did. {@code failed}: dead letters that could not be re-published (no origin topic, Kafka error). */
    public record Result(int replayed, int skipped, int failed) {
        @Override
        public String toString() {
            return "replayed=" + replayed + " skipped=" + skipped + " failed=" + failed;
        }
    }

    private final KafkaClients clients;
    private final String prefix;

    /** @param clients every Kafka client's properties ({@code cdc.kafka.client.*}: a secured cluster) */
    public DeadLetterReplay(KafkaClients clients, String topicPrefix) {
        this.clients = clients;
        this.prefix = topicPrefix;
    }

    /** Plain clients of these brokers (tests, tools). */
    public DeadLetterReplay(String brokers, String topicPrefix) {
        this(KafkaClients.of(brokers), topicPrefix);
    }

    /**
     * Replays what is in the sink's dead-letter topic now.
     *
     * @param table  {@code schema.table} to replay only that table's records, or null for all
     * @param dryRun count what would be replayed; publish and commit nothing
     */
    public Result replay(String sink, String table, boolean dryRun) {
        String dlq = prefix + ".dlq." + sink;
        String onlyTopic = table == null ? null : prefix + "." + table;
        Map<String, Object> c = clients.consumer("cdc-bridge-replay", "cdc-bridge-replay-" + sink);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, Object> p = clients.producer("cdc-bridge-replay");
        int replayed = 0;
        int skipped = 0;
        int failed = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c); KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(dlq, Duration.ofSeconds(30)).forEach(i -> parts.add(new TopicPartition(dlq, i.partition())));
            if (parts.isEmpty()) {
                return new Result(0, 0, 0);
            }
            consumer.assign(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new java.util.HashSet<>(parts));
            Map<TopicPartition, java.util.TreeSet<Long>> done = new HashMap<>();
            for (TopicPartition tp : parts) {
                OffsetAndMetadata om = committed.get(tp);
                done.put(tp, om == null ? new java.util.TreeSet<>() : parseDone(om.metadata()));
                if (om != null) {
                    consumer.seek(tp, om.offset());
                }
            }
            Map<TopicPartition, Long> startAt = new HashMap<>();
            parts.forEach(tp -> startAt.put(tp, consumer.position(tp)));
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= end.get(tp) || done.get(tp).contains(r.offset())) {
                        continue;
                    }
                    String origin = header(r, DeadLetters.ORIGIN_TOPIC);
                    if (onlyTopic != null && !onlyTopic.equals(origin)) {
                        skipped++;
                        continue;
                    }
                    if (origin == null || origin.isBlank() || "null".equals(origin)) {
                        failed++;
                        continue;
                    }
                    if (!dryRun) {
                        try {
                            send(producer, r, origin, sink).get(60, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            failed++;
                            continue;
                        }
                        done.get(tp).add(r.offset());
                    }
                    replayed++;
                }
            }
            if (!dryRun) {
                Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
                for (TopicPartition tp : parts) {
                    java.util.TreeSet<Long> d = done.get(tp);
                    long low = startAt.get(tp);
                    while (d.remove(low)) {
                        low++;
                    }
                    d.headSet(low).clear();
                    commits.put(tp, new OffsetAndMetadata(low, formatDone(d)));
                }
                consumer.commitSync(commits);
            }
        }
        return new Result(replayed, skipped, failed);
    }

    /** "replayed:3,5-7": offsets replayed beyond the committed one. */
    static java.util.TreeSet<Long> parseDone(String metadata) {
        java.util.TreeSet<Long> out = new java.util.TreeSet<>();
        if (metadata == null || !metadata.startsWith("replayed:") || metadata.length() == 9) {
            return out;
        }
        for (String part : metadata.substring(9).split(",")) {
            String[] ab = part.split("-");
            long a = Long.parseLong(ab[0]);
            long b = ab.length > 1 ? Long.parseLong(ab[1]) : a;
            for (long o = a; o <= b; o++) {
                out.add(o);
            }
        }
        return out;
    }

    static String formatDone(java.util.SortedSet<Long> offsets) {
        StringBuilder sb = new StringBuilder("replayed:");
        Long from = null;
        Long prev = null;
        for (Long o : offsets) {
            if (prev != null && o == prev + 1) {
                prev = o;
                continue;
            }
            if (from != null) {
                sb.append(sb.length() > 9 ? "," : "").append(from).append(from.equals(prev) ? "" : "-" + prev);
            }
            from = o;
            prev = o;
        }
        if (from != null) {
            sb.append(sb.length() > 9 ? "," : "").append(from).append(from.equals(prev) ? "" : "-" + prev);
        }
        return sb.toString();
    }

    private static Future<RecordMetadata> send(KafkaProducer<byte[], byte[]> producer, ConsumerRecord<byte[], byte[]> r,
                                               String origin, String sink) {
        RecordHeaders headers = new RecordHeaders();
        for (Header h : r.headers()) {
            if (!h.key().startsWith("cdc.error.") && !h.key().startsWith("cdc.origin.") && !h.key().startsWith("cdc.replay.")) {
                headers.add(h);
            }
        }
        headers.add(DeadLetters.REPLAY_SINK, sink.getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetters.REPLAY_OF, (r.topic() + "/" + r.partition() + "/" + r.offset()).getBytes(StandardCharsets.UTF_8));
        return producer.send(new ProducerRecord<>(origin, null, r.key(), r.value(), headers));
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
