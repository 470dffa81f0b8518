package io.cdcbridge.errors;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

import io.cdcbridge.config.KafkaClients;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * Reads a sink's dead-letter topic {@code <prefix>.dlq.<sink>} for the console (docs/architecture.md §9, §10): how many
 * it holds, per table how many of the last ones read and how many of those are not replayed yet, and the last few
 * with their cause. Bounded: at most {@code scanAtMost} records are read (the newest), {@code keep} are kept.
 *
 * <p>Whether a dead letter was replayed is read from the replay's own progress (the committed offset and metadata of
 * the group {@code cdc-bridge-replay-<sink>}, {@link DeadLetterReplay}); this reader assigns partitions and never
 * commits, so it leaves that progress as it is.
 */
public final class DeadLetterLog {

    /** One dead letter as read: where it is, its cause (the {@code cdc.error.*} headers), where it came from. */
    public record Letter(int partition, long offset, long timestamp, String table, String errorClass, String message, String attempts,
                         String route, String at, String originTopic, String originPartition, String originOffset, byte[] key,
                         byte[] value, boolean replayed) {
    }

    /**
     * @param inTopic dead letters the topic holds now (all partitions, from their first to their end offset)
     * @param scanned of those, how many were read (the newest)
     * @param perTable of those read, per {@code schema.table} (the origin topic less the prefix)
     * @param pendingPerTable of those read, per table, how many the replay has not replayed yet
     * @param last the newest read, oldest first
     */
    public record View(String sink, String topic, long inTopic, long scanned, Map<String, Long> perTable, Map<String, Long> pendingPerTable,
                       List<Letter> last) {
    }

    private final KafkaClients clients;
    private final String prefix;

    public DeadLetterLog(KafkaClients clients, String topicPrefix) {
        this.clients = clients;
        this.prefix = topicPrefix;
    }

    public View read(String sink, int keep, int scanAtMost) {
        String dlq = prefix + ".dlq." + sink;
        Map<String, Long> perTable = new TreeMap<>();
        Map<String, Long> pending = new TreeMap<>();
        // the replay's group, only to read its committed progress: assign() joins no group, and nothing is committed
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(clients.consumer("cdc-bridge-console", "cdc-bridge-replay-" + sink))) {
            if (!consumer.listTopics(Duration.ofSeconds(10)).containsKey(dlq)) {
                return new View(sink, dlq, 0, 0, perTable, pending, List.of());
            }
            List<TopicPartition> parts = new ArrayList<>();
            consumer.partitionsFor(dlq, Duration.ofSeconds(10)).forEach(i -> parts.add(new TopicPartition(dlq, i.partition())));
            consumer.assign(parts);
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(parts));
            long inTopic = 0;
            for (TopicPartition tp : parts) {
                inTopic += end.get(tp) - begin.get(tp);
            }
            long perPartition = Math.max(1, scanAtMost / Math.max(1, parts.size()));
            for (TopicPartition tp : parts) {
                consumer.seek(tp, Math.max(begin.get(tp), end.get(tp) - perPartition));
            }
            Map<Integer, ArrayDeque<Letter>> newest = new TreeMap<>(); // per partition its last ones, merged by time below
            long scanned = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                    if (r.offset() >= end.get(tp)) {
                        continue;
                    }
                    scanned++;
                    OffsetAndMetadata om = committed.get(tp);
                    boolean replayed = om != null && (r.offset() < om.offset() || parsedDone(om).contains(r.offset()));
                    String origin = header(r, DeadLetters.ORIGIN_TOPIC);
                    String table = origin == null ? "?" : origin.startsWith(prefix + ".") ? origin.substring(prefix.length() + 1) : origin;
                    perTable.merge(table, 1L, Long::sum);
                    if (!replayed) {
                        pending.merge(table, 1L, Long::sum);
                    }
                    ArrayDeque<Letter> own = newest.computeIfAbsent(r.partition(), p -> new ArrayDeque<>());
                    own.addLast(new Letter(r.partition(), r.offset(), r.timestamp(), table, header(r, DeadLetters.ERROR_CLASS),
                            header(r, DeadLetters.ERROR_MESSAGE), header(r, DeadLetters.ERROR_ATTEMPTS), header(r, DeadLetters.ERROR_ROUTE),
                            header(r, DeadLetters.ERROR_TS), origin, header(r, DeadLetters.ORIGIN_PARTITION),
                            header(r, DeadLetters.ORIGIN_OFFSET), r.key(), r.value(), replayed));
                    while (own.size() > keep) {
                        own.removeFirst();
                    }
                }
            }
            List<Letter> last = new ArrayList<>();
            newest.values().forEach(last::addAll);
            last.sort(Comparator.comparingLong(Letter::timestamp).thenComparingInt(Letter::partition).thenComparingLong(Letter::offset));
            return new View(sink, dlq, inTopic, scanned, perTable, pending, List.copyOf(last.subList(Math.max(0, last.size() - keep), last.size())));
        }
    }

    private final Map<String, TreeSet<Long>> doneCache = new java.util.concurrent.ConcurrentHashMap<>();

    private TreeSet<Long> parsedDone(OffsetAndMetadata om) {
        String metadata = om.metadata() == null ? "" : om.metadata();
        if (doneCache.size() > 16) {
            doneCache.clear();
        }
        return doneCache.computeIfAbsent(metadata, DeadLetterReplay::parseDone);
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
