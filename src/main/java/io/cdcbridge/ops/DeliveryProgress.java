package io.cdcbridge.ops;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

import io.cdcbridge.config.KafkaClients;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery side of the progress lines (docs/architecture.md §10): per sink, at most once per interval while events are
 * delivered or the sink is behind, the events delivered, the rate, and how many events still wait in Kafka (the lag of
 * the sink's consumer group). The lag is also the {@code cdc_sink_lag_events} metric. Quiet when nothing moves.
 */
public final class DeliveryProgress implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryProgress.class);

    private final Admin admin;
    private final Supplier<Map<String, Map<String, Long>>> delivered;
    private final Supplier<Set<String>> sinks;
    private final Function<String, String> groupOf;
    private final long timeoutMs;
    private final Map<String, Long> lastDelivered = new HashMap<>();
    private final Map<String, Long> lag = new ConcurrentHashMap<>();
    private long lastAt = System.currentTimeMillis();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "delivery-progress");
        t.setDaemon(true);
        return t;
    });

    public DeliveryProgress(KafkaClients kafka, Supplier<Map<String, Map<String, Long>>> delivered, Supplier<Set<String>> sinks,
                            Function<String, String> groupOf, long timeoutMs) {
        this.admin = Admin.create(kafka.admin("cdc-bridge-progress", java.time.Duration.ofMillis(timeoutMs)));
        this.delivered = delivered;
        this.sinks = sinks;
        this.groupOf = groupOf;
        this.timeoutMs = timeoutMs;
    }

    public DeliveryProgress start(long periodMs) {
        timer.scheduleWithFixedDelay(this::tick, periodMs, periodMs, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Events the sink's consumer group has not yet committed, -1 if unknown. */
    public long lag(String sink) {
        return lag.getOrDefault(sink, -1L);
    }

    private void tick() {
        try {
            long now = System.currentTimeMillis();
            Map<String, Map<String, Long>> delivered = this.delivered.get();
            for (String sink : sinks.get()) {
                long total = delivered.getOrDefault(sink, Map.of()).values().stream().mapToLong(Long::longValue).sum();
                long behind = measureLag(groupOf.apply(sink));
                long before = lag.getOrDefault(sink, -1L);
                lag.put(sink, behind);
                long delta = total - lastDelivered.getOrDefault(sink, 0L);
                lastDelivered.put(sink, total);
                if (delta > 0 || (behind > 0 && behind != before)) {
                    LOG.info("Delivery {}: {} events delivered (+{}, {}/s); {} behind in Kafka", sink, total, delta,
                            Math.round(delta * 1000.0 / Math.max(1, now - lastAt)), behind < 0 ? "unknown" : behind + " events");
                }
            }
            lastAt = now;
        } catch (RuntimeException e) {
            LOG.debug("delivery progress: {}", e.toString());
        }
    }

    private long measureLag(String group) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(timeoutMs, TimeUnit.MILLISECONDS);
            if (committed.isEmpty()) {
                return -1;
            }
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            committed.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all()
                    .get(timeoutMs, TimeUnit.MILLISECONDS);
            long sum = 0;
            for (var e : committed.entrySet()) {
                if (e.getValue() != null && ends.containsKey(e.getKey())) {
                    sum += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
                }
            }
            return sum;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return -1;
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
