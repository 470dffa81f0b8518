package io.cdcbridge.capture;

import java.nio.ByteBuffer;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;

import io.debezium.embedded.KafkaConnectUtil;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.OffsetBackingStore;
import org.apache.kafka.connect.util.Callback;

/**
 * Debezium's offset store (named in the endpoint's {@code offsetStorage}), wrapping the file or Kafka-topic store.
 * Before it persists offsets it waits until Kafka has acknowledged every captured event sent so far; if a send failed
 * it persists nothing. See {@link CapturePublisher} for the whole argument.
 *
 * <p>Debezium creates this class by reflection, so it finds its publisher through {@link #register} by the capture's
 * session name (setting {@value #SESSION}).
 */
public final class AckedOffsetStore implements OffsetBackingStore {

    /** Engine setting naming the capture session (the key of {@link #register}). */
    public static final String SESSION = "cdc.capture.session";
    /** Engine setting choosing the persisted store: {@code file} or {@code kafka}. */
    public static final String DELEGATE = "cdc.capture.offset-store";

    private static final Map<String, CapturePublisher> PUBLISHERS = new ConcurrentHashMap<>();
    private static final Map<String, Runnable> GUARDS = new ConcurrentHashMap<>();

    private OffsetBackingStore delegate;
    private CapturePublisher publisher;
    private Runnable slotGuard;

    public static void register(String session, CapturePublisher publisher) {
        PUBLISHERS.put(session, publisher);
    }

    /**
     * @param slotGuard run before stored offsets are handed to Debezium (each engine start and restart); it throws when
     *                  the slot was lost under them, so the engine stops instead of making a new slot ({@link LostSlot})
     */
    public static void register(String session, CapturePublisher publisher, Runnable slotGuard) {
        PUBLISHERS.put(session, publisher);
        GUARDS.put(session, slotGuard);
    }

    public static void unregister(String session) {
        PUBLISHERS.remove(session);
        GUARDS.remove(session);
    }

    @Override
    public void configure(WorkerConfig config) {
        Map<String, String> all = config.originalsStrings();
        String session = all.get(SESSION);
        publisher = PUBLISHERS.get(session);
        slotGuard = GUARDS.get(session);
        if (publisher == null) {
            throw new IllegalStateException("no capture publisher registered for session " + session);
        }
        delegate = "kafka".equals(all.get(DELEGATE))
                ? KafkaConnectUtil.kafkaOffsetBackingStore(all)
                : KafkaConnectUtil.fileOffsetBackingStore();
        delegate.configure(config);
    }

    @Override
    public Future<Void> set(Map<ByteBuffer, ByteBuffer> values, Callback<Void> callback) {
        try {
            publisher.awaitAcknowledged();
        } catch (RuntimeException e) {
            if (callback != null) {
                callback.onCompletion(e, null);
            }
            return CompletableFuture.failedFuture(e);
        }
        return delegate.set(values, callback);
    }

    @Override
    public void start() {
        delegate.start();
    }

    @Override
    public void stop() {
        delegate.stop();
    }

    @Override
    public Future<Map<ByteBuffer, ByteBuffer>> get(Collection<ByteBuffer> keys) {
        Future<Map<ByteBuffer, ByteBuffer>> stored = delegate.get(keys);
        if (slotGuard == null) {
            return stored;
        }
        try {
            Map<ByteBuffer, ByteBuffer> offsets = stored.get();
            if (offsets.values().stream().anyMatch(java.util.Objects::nonNull)) {
                slotGuard.run(); // offsets to resume from: the slot must still hold what follows them
            }
            return CompletableFuture.completedFuture(offsets);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return CompletableFuture.failedFuture(e);
        } catch (java.util.concurrent.ExecutionException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return delegate.connectorPartitions(connectorName);
    }
}
