package io.cdcbridge.delivery;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.DefaultKafkaManualSyncCommit;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What every sink's delivery does with a camel-kafka batch (one exchange whose body is the list of per-record
 * exchanges, auto-commit off): the records, the manual commits to run once the batch is delivered or dead-lettered,
 * per-table counters, dry-run files.
 */
public final class KafkaBatch {

    private KafkaBatch() {
    }

    /** The batch's per-record exchanges (a lone record is a batch of one). */
    @SuppressWarnings("unchecked")
    public static List<Exchange> records(Exchange exchange) {
        Object body = exchange.getMessage().getBody();
        if (body instanceof List<?> list && (list.isEmpty() || list.get(0) instanceof Exchange)) {
            return (List<Exchange>) list;
        }
        return List.of(exchange);
    }

    /** Per partition, the manual commit of the batch's last record on it. */
    public static Map<String, KafkaManualCommit> commits(List<Exchange> records) {
        Map<String, KafkaManualCommit> out = new LinkedHashMap<>();
        // from the end: a partition's last record in the batch has its highest offset. Header lookups cost (Camel's
        // headers are case-insensitive): a run of records from the partition just committed is passed over by
        // comparing the header objects the consumer shares between them.
        Object doneTopic = null;
        Object donePartition = null;
        for (int i = records.size() - 1; i >= 0; i--) {
            var m = records.get(i).getMessage();
            Object topic = m.getHeader(KafkaConstants.TOPIC);
            Object partition = m.getHeader(KafkaConstants.PARTITION);
            if (topic != null && topic.equals(doneTopic) && partition != null && partition.equals(donePartition)) {
                continue;
            }
            String tp = topic + "-" + partition;
            KafkaManualCommit commit = m.getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
            if (commit == null || m.getHeader(KafkaConstants.OFFSET) == null || out.containsKey(tp)) {
                continue;
            }
            out.put(tp, commit);
            doneTopic = topic;
            donePartition = partition;
        }
        return out;
    }

    /** Runs the commits kept in the exchange property (set by {@link #commits} at the batch's start). */
    public static void commit(Exchange exchange, String property) {
        @SuppressWarnings("unchecked")
        Map<String, KafkaManualCommit> commits = exchange.getProperty(property, Map.class);
        if (commits != null) {
            commitAll(commits.values());
        }
    }

    /**
     * Runs a batch's commits (one per partition). camel-kafka's sync commit is a {@code commitSync} round trip to the
     * group coordinator per partition, in turn: with a topic per table, a batch of twenty tables waited for twenty of
     * them before the next batch was read. Sync commits of one consumer (without camel's offset repository) go as one
     * {@code commitSync} of all their offsets instead, the offsets and timeout camel's own would use; anything else
     * commits as camel does.
     */
    public static void commitAll(Collection<KafkaManualCommit> commits) {
        if (commits.size() > 1) {
            Consumer<?, ?> consumer = null;
            Map<TopicPartition, OffsetAndMetadata> offsets = new LinkedHashMap<>();
            long timeout = 0;
            for (KafkaManualCommit c : commits) {
                if (!(c instanceof DefaultKafkaManualSyncCommit s) || s.getOffsetRepository() != null
                        || (consumer != null && s.getConsumer() != consumer)) {
                    consumer = null;
                    break;
                }
                consumer = s.getConsumer();
                // what camel's forceCommit sends for one record: the offset after it
                offsets.put(s.getPartition(), new OffsetAndMetadata(s.getRecordOffset() + 1));
                timeout = Math.max(timeout, s.getCommitTimeout());
            }
            if (consumer != null) {
                consumer.commitSync(offsets, Duration.ofMillis(timeout));
                return;
            }
        }
        commits.forEach(KafkaManualCommit::commit);
    }

    /** Thread-safe counters by name (table), read as a sorted snapshot. */
    public static final class Counters {
        private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

        public void add(String key, long n) {
            counts.computeIfAbsent(key, k -> new LongAdder()).add(n);
        }

        public void increment(String key) {
            add(key, 1);
        }

        public Map<String, Long> snapshot() {
            Map<String, Long> out = new TreeMap<>();
            counts.forEach((k, v) -> out.put(k, v.sum()));
            return out;
        }
    }

    /** Appends to a dry-run file (one writer at a time: lines of concurrent batches do not interleave). */
    public static synchronized void append(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
