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

    /**
     * The longest commit metadata written, under Kafka's {@code offset.metadata.max.bytes} (4096 by default; a longer
     * one fails the commit, and the next replay would resend everything): the progress kept in it is bounded.
     */
    static final int MAX_METADATA = 4000;
    /** A bitmap spans at most this many offsets (1 MB before compression). */
    private static final long MAX_BITMAP_SPAN = 8L * 1024 * 1024;

    /**
     * Offsets replayed beyond the committed one, as one of: {@code "replayed:3,5-7"} (ranges), or
     * {@code "bits:<first>:<base64>"} (a deflated bitmap from the first offset: an interleaved topic replayed with
     * {@code --table} leaves every other offset, which no list of ranges holds in 4 KB).
     */
    static java.util.TreeSet<Long> parseDone(String metadata) {
        java.util.TreeSet<Long> out = new java.util.TreeSet<>();
        if (metadata != null && metadata.startsWith("bits:")) {
            int colon = metadata.indexOf(':', 5);
            long first = Long.parseLong(metadata.substring(5, colon));
            byte[] bitmap = inflate(java.util.Base64.getDecoder().decode(metadata.substring(colon + 1)));
            for (int i = 0; i < bitmap.length * 8; i++) {
                if ((bitmap[i >> 3] & (1 << (i & 7))) != 0) {
                    out.add(first + i);
                }
            }
            return out;
        }
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

    /**
     * The shorter of the two forms of {@link #parseDone}, at most {@link #MAX_METADATA} characters. When even that
     * cannot hold them all, the lowest offsets that fit are kept and the others dropped: those will be replayed again
     * by the next replay (at least once; a warning says how many), never skipped.
     */
    static String formatDone(java.util.SortedSet<Long> offsets) {
        String all = shortest(offsets);
        if (all.length() <= MAX_METADATA) {
            return all;
        }
        java.util.List<Long> list = new ArrayList<>(offsets);
        int fits = 0;
        int lo = 0;
        int hi = list.size();
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (shortest(new java.util.TreeSet<>(list.subList(0, mid))).length() <= MAX_METADATA) {
                fits = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        org.slf4j.LoggerFactory.getLogger(DeadLetterReplay.class).warn("Replay progress: {} dead letters replayed beyond the "
                + "committed offset do not fit Kafka's commit metadata (offset.metadata.max.bytes); the {} last of them will be "
                + "replayed again by the next replay", list.size(), list.size() - fits);
        return shortest(new java.util.TreeSet<>(list.subList(0, fits)));
    }

    private static String shortest(java.util.SortedSet<Long> offsets) {
        String ranges = ranges(offsets);
        if (ranges.length() <= MAX_METADATA || offsets.isEmpty() || offsets.last() - offsets.first() >= MAX_BITMAP_SPAN) {
            return ranges;
        }
        String bits = bits(offsets);
        return bits.length() < ranges.length() ? bits : ranges;
    }

    private static String ranges(java.util.SortedSet<Long> offsets) {
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

    private static String bits(java.util.SortedSet<Long> offsets) {
        long first = offsets.first();
        byte[] bitmap = new byte[(int) ((offsets.last() - first) / 8 + 1)];
        for (long o : offsets) {
            int i = (int) (o - first);
            bitmap[i >> 3] |= (byte) (1 << (i & 7));
        }
        java.util.zip.Deflater deflater = new java.util.zip.Deflater(java.util.zip.Deflater.BEST_COMPRESSION);
        deflater.setInput(bitmap);
        deflater.finish();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!deflater.finished()) {
            out.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        return "bits:" + first + ":" + java.util.Base64.getEncoder().encodeToString(out.toByteArray());
    }

    private static byte[] inflate(byte[] deflated) {
        java.util.zip.Inflater inflater = new java.util.zip.Inflater();
        inflater.setInput(deflated);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            while (!inflater.finished()) {
                int n = inflater.inflate(buf);
                if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                out.write(buf, 0, n);
            }
        } catch (java.util.zip.DataFormatException e) {
            throw new IllegalArgumentException("replay progress is not a bitmap: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
        return out.toByteArray();
    }

    private static Future<RecordMetadata> send(KafkaProducer<byte[], byte[]> producer, ConsumerRecord<byte[], byte[]> r,
                                               String origin, String sink) {
        return producer.send(new ProducerRecord<>(origin, null, r.key(), r.value(), replayHeaders(r, sink)));
    }

    /**
     * Where a record was first read, {@code topic/partition/offset}, carried by its replayed copy (and kept by any later
     * dead letter of it, whose headers outside {@code cdc.error.*}, {@code cdc.origin.*}, {@code cdc.replay.*} are
     * kept): ids a sink derives from the position (BigQuery passthrough insertIds) stay those of the first delivery,
     * so a replayed row is not a new row (docs/architecture.md §9).
     */
    public static final String FIRST_POSITION = "cdc.first.position";

    /**
     * The partition and offset a record of {@code topic} was first read at, from its {@link #FIRST_POSITION} header
     * (a replayed record), or null when it has none (or one of another topic).
     */
    public static long[] firstPosition(String topic, Object header) {
        String v = header instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : header == null ? null : header.toString();
        if (v == null) {
            return null;
        }
        int last = v.lastIndexOf('/');
        int mid = last < 0 ? -1 : v.lastIndexOf('/', last - 1);
        if (mid < 0 || !v.substring(0, mid).equals(topic)) {
            return null;
        }
        try {
            return new long[] {Long.parseLong(v.substring(mid + 1, last)), Long.parseLong(v.substring(last + 1))};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The replayed copy's headers: the dead letter's own, less the error and origin ones, plus the replay's. */
    static RecordHeaders replayHeaders(ConsumerRecord<byte[], byte[]> r, String sink) {
        RecordHeaders headers = new RecordHeaders();
        boolean first = false;
        for (Header h : r.headers()) {
            if (!h.key().startsWith("cdc.error.") && !h.key().startsWith("cdc.origin.") && !h.key().startsWith("cdc.replay.")) {
                headers.add(h);
                first |= h.key().equals(FIRST_POSITION);
            }
        }
        String topic = header(r, DeadLetters.ORIGIN_TOPIC);
        String partition = header(r, DeadLetters.ORIGIN_PARTITION);
        String offset = header(r, DeadLetters.ORIGIN_OFFSET);
        if (!first && topic != null && partition != null && offset != null) {
            headers.add(FIRST_POSITION, (topic + "/" + partition + "/" + offset).getBytes(StandardCharsets.UTF_8));
        }
        headers.add(DeadLetters.REPLAY_SINK, sink.getBytes(StandardCharsets.UTF_8));
        headers.add(DeadLetters.REPLAY_OF, (r.topic() + "/" + r.partition() + "/" + r.offset()).getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
