package io.cdcbridge.capture;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.config.SourceSettings;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replication slot lost under stored offsets (issue 21 item 5; docs/operations.md, "Lost slot"): dropped by an admin,
 * invalidated by {@code max_slot_wal_keep_size} ({@code wal_status = 'lost'}, PG 17 {@code invalidation_reason}), or
 * absent after a failover to a replica without it. The changes between the last captured position and now are gone
 * from the slot, so capture must not simply go on from a new slot: {@link #check} stops start-up with one line naming
 * the slot and the way back, {@code java -jar cdc-bridge.jar resync} ({@link #resync}), which removes the stored
 * offsets so the next start makes a new slot and snapshots every table again (the sinks deduplicate by key and LSN).
 *
 * <p>The offsets are Debezium's, keyed (Kafka Connect's JSON converter) by {@code ["<engine name>",{"server":"<topic
 * prefix>"}]} ({@link CaptureRoute#engineName}): the file store keeps a serialized {@code Map<byte[],byte[]>}, the Kafka
 * store a compacted topic where a tombstone for the key removes them.
 */
public final class LostSlot {

    private static final Logger LOG = LoggerFactory.getLogger(LostSlot.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The slot as Postgres reports it. */
    public enum State { HEALTHY, MISSING, INVALIDATED }

    /** The slot's state, and for an invalidated one Postgres's reason ({@code wal_status}, {@code invalidation_reason}). */
    public record Slot(State state, String reason) {
    }

    private LostSlot() {
    }

    /**
     * Before capture starts: a slot missing or invalidated while offsets are stored stops start-up with a
     * {@link ConfigException} (one line, {@code cdc.source.slot}), rather than letting Debezium make a new slot and
     * stream from now. With no stored offsets (first start) a missing slot is normal: Debezium creates it. With
     * {@code cdc.source.snapshot-mode} {@code always} or {@code when_needed} Debezium snapshots again by itself: a warning.
     */
    public static void check(SourceConfig src, KafkaConfig kafka) {
        Slot slot = slot(src);
        if (slot.state() == State.HEALTHY) {
            return;
        }
        String stored;
        try {
            stored = storedOffsets(src, kafka);
        } catch (RuntimeException e) {
            LOG.warn("Replication slot '{}' is {}, and the stored offsets could not be read ({}): if capture ran before, changes "
                    + "may be lost; see docs/operations.md, Lost slot", src.slot(), describe(slot), e.getClass().getSimpleName());
            return;
        }
        if (stored == null) {
            return; // first start: Debezium creates the slot and snapshots
        }
        String what = "replication slot '" + src.slot() + "' is " + describe(slot) + " but the bridge captured from it before (stored "
                + "offsets " + stored + "): the changes between that position and now are lost from the slot";
        if (src.snapshotMode().equals("always") || src.snapshotMode().equals("when_needed")) {
            LOG.warn("{}; {}={} snapshots every table again", what, SourceSettings.SNAPSHOT_MODE.key(), src.snapshotMode());
            return;
        }
        throw new ConfigException(SourceSettings.SLOT.key(), what + "; capture does not start. Way back: stop the bridge, run "
                + "java -jar cdc-bridge.jar resync (a new slot and a new snapshot of every table; the sinks deduplicate by key "
                + "and LSN), start it again; docs/operations.md, Lost slot");
    }

    /**
     * Under a running bridge (issue 21 item 5): Debezium, reconnecting after the slot's walsender was ended, would make a
     * new slot and stream from now. {@link AckedOffsetStore} asks this before the restarted engine reads its stored
     * offsets, so the gap stops capture instead.
     *
     * @return null while the slot is healthy or cannot be read (Postgres down: Debezium retries, and so does this),
     *         else the one ERROR line naming the slot and the way back
     */
    static String lostWhileRunning(SourceConfig src) {
        Slot slot;
        try {
            slot = slot(src);
        } catch (IllegalStateException e) {
            return null;
        }
        if (slot.state() == State.HEALTHY) {
            return null;
        }
        return "replication slot '" + src.slot() + "' is " + describe(slot) + " under the running bridge: the changes since "
                + "the last captured position are lost from the slot, so capture stopped rather than stream from a new slot. "
                + "Way back: stop the bridge, run java -jar cdc-bridge.jar resync (a new slot and a new snapshot of every table; "
                + "the sinks deduplicate by key and LSN), start it again; docs/operations.md, Lost slot";
    }

    /**
     * {@code resync}, with the bridge stopped: drops an invalidated slot (Debezium cannot use it) and removes the stored
     * offsets, so the next start makes a new slot and snapshots again. Refuses a healthy slot unless {@code force}.
     *
     * @return the one line to print; throws {@link IllegalStateException} (its message the line) on a refusal
     */
    public static String resync(SourceConfig src, KafkaConfig kafka, boolean force) {
        Slot slot = slot(src);
        if (slot.state() == State.HEALTHY && !force) {
            throw new IllegalStateException("replication slot '" + src.slot() + "' exists and is healthy: capture resumes from it "
                    + "without loss; resync would snapshot every table again (use --force to do it anyway)");
        }
        String dropped = "";
        if (slot.state() == State.INVALIDATED) {
            sql(src, "SELECT pg_drop_replication_slot(?)", src.slot());
            dropped = "dropped the invalidated slot '" + src.slot() + "', ";
        }
        boolean removed = removeOffsets(src, kafka);
        String where = "kafka".equals(kafka.offsetStore()) ? "topic " + kafka.offsetTopic() : "file " + kafka.offsetFile();
        return "resync: " + dropped + (removed ? "removed the stored offsets of slot '" + src.slot() + "' (" + where + ")"
                : "no stored offsets for slot '" + src.slot() + "' (" + where + ")")
                + ": the next start creates the slot and snapshots every table again";
    }

    /** The slot's state; {@code to_jsonb} reads the columns a server has (wal_status since 13, invalidation_reason 17). */
    static Slot slot(SourceConfig src) {
        try (Connection c = connect(src); PreparedStatement ps = c.prepareStatement(
                "SELECT to_jsonb(s)->>'wal_status', to_jsonb(s)->>'invalidation_reason' FROM pg_replication_slots s WHERE slot_name = ?")) {
            ps.setString(1, src.slot());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new Slot(State.MISSING, null);
                }
                String wal = rs.getString(1);
                String reason = rs.getString(2);
                if ("lost".equals(wal) || reason != null) {
                    return new Slot(State.INVALIDATED, reason != null ? reason : "wal_status lost");
                }
                return new Slot(State.HEALTHY, null);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read replication slot '" + src.slot() + "' at " + src.host() + ":" + src.port()
                    + " (" + SourcePreflight.serverWords(e) + ")", e);
        }
    }

    private static String describe(Slot slot) {
        return slot.state() == State.MISSING ? "missing (dropped, or a failover to a server without it)"
                : "invalidated (" + slot.reason() + ", e.g. max_slot_wal_keep_size)";
    }

    private static void sql(SourceConfig src, String sql, String arg) {
        try (Connection c = connect(src); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            ps.execute();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop replication slot '" + src.slot() + "' (" + SourcePreflight.serverWords(e)
                    + "; is the bridge still running?)", e);
        }
    }

    private static Connection connect(SourceConfig src) throws SQLException {
        Properties p = src.jdbcProperties();
        p.setProperty("connectTimeout", "10");
        p.setProperty("loginTimeout", "10");
        p.setProperty("ApplicationName", "cdc-bridge-slot-check");
        return DriverManager.getConnection(src.jdbcUrl(), p);
    }

    /** Whether a stored offset key is this capture's: {@code ["<engine name>",{"server":"<topic prefix>"}]}. */
    static boolean ours(byte[] key, SourceConfig src, KafkaConfig kafka) {
        if (key == null) {
            return false;
        }
        try {
            JsonNode k = JSON.readTree(key);
            return k.isArray() && k.size() == 2 && CaptureRoute.engineName(src).equals(k.get(0).asText())
                    && kafka.topicPrefix().equals(k.get(1).path("server").asText());
        } catch (IOException e) {
            return false;
        }
    }

    /** The stored offset value (JSON) of this capture, or null when none is stored. */
    static String storedOffsets(SourceConfig src, KafkaConfig kafka) {
        Map<ByteBuffer, byte[]> found = "kafka".equals(kafka.offsetStore()) ? readTopic(src, kafka) : readFile(src, kafka);
        for (byte[] v : found.values()) {
            if (v != null) {
                return new String(v, StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    static boolean removeOffsets(SourceConfig src, KafkaConfig kafka) {
        if ("kafka".equals(kafka.offsetStore())) {
            Map<ByteBuffer, byte[]> found = readTopic(src, kafka);
            if (found.values().stream().allMatch(v -> v == null)) {
                return false;
            }
            try (var producer = new KafkaProducer<>(kafka.clients().producer("cdc-bridge-resync"), new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                for (ByteBuffer key : found.keySet()) {
                    // the exact key bytes Connect wrote: its store and compaction match tombstones by them
                    producer.send(new ProducerRecord<>(kafka.offsetTopic(), bytes(key), null)).get();
                }
            } catch (Exception e) {
                throw new IllegalStateException("cannot write to the offsets topic " + kafka.offsetTopic() + " (" + e + ")", e);
            }
            return true;
        }
        Path file = Path.of(kafka.offsetFile());
        Map<byte[], byte[]> all = readAll(file);
        int before = all.size();
        all.keySet().removeIf(k -> ours(k, src, kafka));
        if (all.size() == before) {
            return false;
        }
        try {
            Path tmp = file.resolveSibling(file.getFileName() + ".resync");
            try (var out = new ObjectOutputStream(Files.newOutputStream(tmp))) {
                out.writeObject(new HashMap<>(all));
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot rewrite " + file, e);
        }
        return true;
    }

    private static Map<ByteBuffer, byte[]> readFile(SourceConfig src, KafkaConfig kafka) {
        Map<ByteBuffer, byte[]> out = new LinkedHashMap<>();
        readAll(Path.of(kafka.offsetFile())).forEach((k, v) -> {
            if (ours(k, src, kafka)) {
                out.put(ByteBuffer.wrap(k), v);
            }
        });
        return out;
    }

    /** Kafka Connect's FileOffsetBackingStore format: one serialized {@code HashMap<byte[], byte[]>}. */
    @SuppressWarnings("unchecked")
    private static Map<byte[], byte[]> readAll(Path file) {
        if (!Files.exists(file)) {
            return new HashMap<>();
        }
        try (InputStream in = Files.newInputStream(file); var obj = new ObjectInputStream(in)) {
            return new HashMap<>((Map<byte[], byte[]>) obj.readObject());
        } catch (IOException | ClassNotFoundException | ClassCastException e) {
            throw new IllegalStateException("cannot read the offsets file " + file + " (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** This capture's keys in the offsets topic and their latest value (null: a tombstone), read to the end. */
    private static Map<ByteBuffer, byte[]> readTopic(SourceConfig src, KafkaConfig kafka) {
        Map<ByteBuffer, byte[]> out = new LinkedHashMap<>();
        Map<String, Object> props = kafka.clients().consumer("cdc-bridge-resync", "cdc-bridge-resync");
        props.put("enable.auto.commit", "false");
        // reading must not make the topic: a broker with auto-creation would make it with cleanup.policy=delete,
        // which Debezium's offset store then refuses (the bridge creates it compacted, KafkaTopics)
        props.put("allow.auto.create.topics", "false");
        try (var consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            var infos = consumer.partitionsFor(kafka.offsetTopic(), Duration.ofSeconds(10));
            if (infos == null || infos.isEmpty()) {
                return out;
            }
            infos.forEach(i -> parts.add(new TopicPartition(i.topic(), i.partition())));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts, Duration.ofSeconds(10));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("timed out reading the offsets topic " + kafka.offsetTopic());
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (ours(r.key(), src, kafka)) {
                        out.put(ByteBuffer.wrap(r.key()), r.value());
                    }
                }
            }
        }
        return out;
    }

    private static byte[] bytes(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
