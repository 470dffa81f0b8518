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
    public record Result(int replayed, int skipped, int failed, int superseded) {
        public Result(int replayed, int skipped, int failed) {
            this(replayed, skipped, failed, 0);
        }

        /** {@code superseded} only when there are some (only a sink that keeps one record per key has any). */
        @Override
        public String toString() {
            return "replayed=" + replayed + " skipped=" + skipped + " failed=" + failed
                    + (superseded > 0 ? " superseded=" + superseded : "");
        }
    }

    /**
     * Sinks that keep one record per key and no version of it (Carol's crosswalk, docs/architecture.md §8): a dead
     * letter whose key has a newer change on its origin partition is superseded and not replayed, or it would put the
     * older version over the newer one (§9). BigQuery is not among them: its changelog keeps every version and its
     * latest view orders by LSN, so a replayed old version cannot win there.
     */
    static final java.util.Set<String> ONE_RECORD_PER_KEY = java.util.Set.of("carol");

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeadLetterReplay.class);
    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

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
        return replay(sink, table, dryRun, Progress.NONE);
    }

    /**
     * How far a replay is (the console shows it): after each dead letter looked at, how many of the {@code pending}
     * (present when it started, not replayed yet) have been looked at, and the counts so far.
     */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (looked, pending, soFar) -> { };

        void update(int looked, int pending, Result soFar);
    }

    /** {@link #replay(String, String, boolean)}, telling {@code progress} as it goes. */
    public Result replay(String sink, String table, boolean dryRun, Progress progress) {
        String dlq = prefix + ".dlq." + sink;
        String onlyTopic = table == null ? null : prefix + "." + table;
        Map<String, Object> c = clients.consumer("cdc-bridge-replay", "cdc-bridge-replay-" + sink);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        Map<String, Object> p = clients.producer("cdc-bridge-replay");
        int replayed = 0;
        int skipped = 0;
        int failed = 0;
        int superseded = 0;
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
            Supersession supersession = new Supersession();
            if (ONE_RECORD_PER_KEY.contains(sink)) {
                // first pass: the keys of the dead letters to replay, and where their origin partitions are to be read from
                forEachPending(consumer, parts, end, done, r -> {
                    String origin = header(r, DeadLetters.ORIGIN_TOPIC);
                    if (onlyTopic == null || onlyTopic.equals(origin)) {
                        TopicPartition at = originPartition(r);
                        if (at != null && r.key() != null && isChangeEvent(r.value())) {
                            supersession.want(at, r.key(), originOffset(r));
                        }
                    }
                });
                readOrigins(c, sink, supersession);
                parts.forEach(tp -> consumer.seek(tp, startAt.get(tp)));
            }
            Map<String, Integer> supersededByTable = new java.util.TreeMap<>();
            int[] counts = new int[3];
            int pending = 0;
            for (TopicPartition tp : parts) {
                long from = startAt.get(tp);
                pending += (int) (end.get(tp) - from - done.get(tp).subSet(from, end.get(tp)).size());
            }
            int toLook = Math.max(0, pending);
            int[] looked = {0};
            progress.update(0, toLook, new Result(0, 0, 0));
            forEachPending(consumer, parts, end, done, r -> {
                lookAt(r, sink, dryRun, onlyTopic, producer, supersession, supersededByTable, done, counts);
                looked[0]++;
                progress.update(looked[0], toLook, new Result(counts[0], counts[1], counts[2],
                        supersededByTable.values().stream().mapToInt(Integer::intValue).sum()));
            });
            replayed = counts[0];
            skipped = counts[1];
            failed = counts[2];
            supersededByTable.forEach((t, n) -> LOG.info("Replay for {}: {} dead letter(s) of {} superseded, {}: a newer change of "
                    + "the same key is on {}.{} (delivered, or a dead letter replayed in its place), and the sink keeps one record "
                    + "per key (docs/architecture.md §9)", sink, n, t, dryRun ? "would not be replayed" : "not replayed", prefix, t));
            superseded = supersededByTable.values().stream().mapToInt(Integer::intValue).sum();
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
        return new Result(replayed, skipped, failed, superseded);
    }

    /** One pending dead letter of the second pass: skipped (another table), failed, superseded, or re-published. */
    private void lookAt(ConsumerRecord<byte[], byte[]> r, String sink, boolean dryRun, String onlyTopic, KafkaProducer<byte[], byte[]> producer,
                        Supersession supersession, Map<String, Integer> supersededByTable,
                        Map<TopicPartition, java.util.TreeSet<Long>> done, int[] counts) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        String origin = header(r, DeadLetters.ORIGIN_TOPIC);
        if (onlyTopic != null && !onlyTopic.equals(origin)) {
            counts[1]++;
            return;
        }
        if (origin == null || origin.isBlank() || "null".equals(origin)) {
            counts[2]++;
            return;
        }
        TopicPartition at = originPartition(r);
        if (at != null && r.key() != null && supersession.superseded(at, r.key(), originOffset(r))) {
            supersededByTable.merge(origin.startsWith(prefix + ".") ? origin.substring(prefix.length() + 1) : origin, 1, Integer::sum);
            if (!dryRun) {
                done.get(tp).add(r.offset());
            }
            return;
        }
        if (!dryRun) {
            try {
                send(producer, r, origin, sink).get(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                counts[2]++;
                return;
            } catch (Exception e) {
                counts[2]++;
                return;
            }
            done.get(tp).add(r.offset());
        }
        counts[0]++;
    }

    /** Hands each dead letter below the end offsets read at the start and not replayed yet to {@code action}, in order. */
    private static void forEachPending(KafkaConsumer<byte[], byte[]> consumer, List<TopicPartition> parts, Map<TopicPartition, Long> end,
                                       Map<TopicPartition, java.util.TreeSet<Long>> done,
                                       java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> action) {
        while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                TopicPartition tp = new TopicPartition(r.topic(), r.partition());
                if (r.offset() < end.get(tp) && !done.get(tp).contains(r.offset())) {
                    action.accept(r);
                }
            }
        }
    }

    /**
     * Reads the origin partitions of the wanted keys, from the smallest origin offset among the dead letters up to
     * their end now, and notes per wanted key the highest offset of a record the sink delivers. A record's versions
     * all go to one partition (keyed by primary key, docs/architecture.md §1), so the partition is where a newer one is.
     */
    private void readOrigins(Map<String, Object> consumerProps, String sink, Supersession supersession) {
        if (supersession.from().isEmpty()) {
            return;
        }
        Map<String, Object> c = new HashMap<>(consumerProps);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"); // the start may be past retention already
        try (KafkaConsumer<byte[], byte[]> origin = new KafkaConsumer<>(c)) {
            List<TopicPartition> parts = new ArrayList<>(supersession.from().keySet());
            origin.assign(parts);
            Map<TopicPartition, Long> end = origin.endOffsets(parts);
            supersession.from().forEach(origin::seek);
            while (parts.stream().anyMatch(tp -> origin.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : origin.poll(Duration.ofMillis(500))) {
                    if (r.key() != null && deliveredBy(r, sink)) {
                        supersession.seen(new TopicPartition(r.topic(), r.partition()), r.key(), r.offset());
                    }
                }
            }
        }
    }

    /**
     * Whether the sink delivers this record of an origin topic: any record but a copy replayed for another sink (that
     * copy is an old version the sink skips, so it supersedes nothing for it).
     */
    static boolean deliveredBy(ConsumerRecord<byte[], byte[]> r, String sink) {
        String target = header(r, DeadLetters.REPLAY_SINK);
        return target == null || target.equals(sink);
    }

    /**
     * A ChangeEvent (docs/architecture.md §4): a JSON object with {@code v} and {@code op}. Anything else (passthrough
     * records) is replayed as it is: its sink does not keep it by a key of ours.
     */
    static boolean isChangeEvent(byte[] value) {
        if (value == null) {
            return false;
        }
        try {
            var node = JSON.readTree(value);
            return node != null && node.isObject() && node.has("v") && node.has("op");
        } catch (java.io.IOException e) {
            return false;
        }
    }

    private static TopicPartition originPartition(ConsumerRecord<byte[], byte[]> r) {
        String topic = header(r, DeadLetters.ORIGIN_TOPIC);
        String partition = header(r, DeadLetters.ORIGIN_PARTITION);
        if (topic == null || partition == null || originOffset(r) < 0) {
            return null;
        }
        try {
            int p = Integer.parseInt(partition);
            return p < 0 ? null : new TopicPartition(topic, p);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static long originOffset(ConsumerRecord<byte[], byte[]> r) {
        try {
            String o = header(r, DeadLetters.ORIGIN_OFFSET);
            return o == null ? -1 : Long.parseLong(o);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /**
     * Which dead letters a newer change of their key supersedes (docs/architecture.md §9). Memory: the keys of the dead
     * letters being replayed, one offset each; the origin records read are not kept.
     */
    static final class Supersession {
        private final Map<TopicPartition, Map<java.nio.ByteBuffer, Long>> newest = new HashMap<>();
        private final Map<TopicPartition, Long> from = new HashMap<>();

        /** A dead letter to be replayed: its record was at {@code offset} of {@code origin}, with this key. */
        void want(TopicPartition origin, byte[] key, long offset) {
            newest.computeIfAbsent(origin, k -> new HashMap<>()).merge(java.nio.ByteBuffer.wrap(key.clone()), offset, Math::max);
            from.merge(origin, offset, Math::min);
        }

        /** Where each origin partition is to be read from: the smallest origin offset of its dead letters. */
        Map<TopicPartition, Long> from() {
            return from;
        }

        /** A record the sink delivers, read from an origin partition: a newer version of a wanted key, maybe. */
        void seen(TopicPartition origin, byte[] key, long offset) {
            Map<java.nio.ByteBuffer, Long> keys = newest.get(origin);
            if (keys != null) {
                keys.computeIfPresent(java.nio.ByteBuffer.wrap(key), (k, o) -> Math.max(o, offset));
            }
        }

        /** Whether a newer record of the key than the dead letter's own is on its origin partition. */
        boolean superseded(TopicPartition origin, byte[] key, long offset) {
            Map<java.nio.ByteBuffer, Long> keys = newest.get(origin);
            Long highest = keys == null ? null : keys.get(java.nio.ByteBuffer.wrap(key));
            return highest != null && offset < highest;
        }
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
