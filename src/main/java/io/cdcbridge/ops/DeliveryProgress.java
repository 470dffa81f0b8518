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
 *
 * <p>It also watches for events a sink can no longer read (docs/operations.md, "Retention"): a partition whose first
 * offset has moved past the group's committed offset lost the events between them to the topic's retention before the
 * sink delivered them (a sink paused or stuck longer than {@code retention.ms}). The consumer would skip them without a
 * word ({@code auto.offset.reset=earliest}); here each such gap is one ERROR naming sink, partition and count, the
 * {@code cdc_sink_retention_lost_events_total} metric, and readiness DOWN for that sink until restart, because
 * those rows now differ in the sink and only a re-snapshot of the table brings them back.
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
    /** Per sink: events lost to retention, and the last partition where it happened (for readiness). */
    private final Map<String, Long> lostToRetention = new ConcurrentHashMap<>();
    private final Map<String, String> lostWhere = new ConcurrentHashMap<>();
    /** Per sink and partition: the first offset already reported, so one gap is one ERROR. */
    private final Map<String, Long> reportedStart = new HashMap<>();
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

    /** Events the topics' retention deleted before the sink delivered them, since start. */
    public long lostToRetention(String sink) {
        return lostToRetention.getOrDefault(sink, 0L);
    }

    /** Per sink that lost events to retention, why it is not ready; empty when none did. */
    public Map<String, String> problems() {
        Map<String, String> out = new java.util.TreeMap<>();
        lostToRetention.forEach((sink, n) -> out.put("retention:" + sink, "DOWN: " + n + " events were deleted by the topic's "
                + "retention before " + sink + " committed them (last " + lostWhere.get(sink) + "): re-snapshot those "
                + "tables (docs/operations.md, Retention)"));
        return out;
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
                long behind = measureLag(sink, groupOf.apply(sink));
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

    private long measureLag(String sink, String group) {
        try {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(timeoutMs, TimeUnit.MILLISECONDS);
            if (committed.isEmpty()) {
                return -1;
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = offsets(committed.keySet(), OffsetSpec.latest());
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> starts = offsets(committed.keySet(), OffsetSpec.earliest());
            long sum = 0;
            for (var e : committed.entrySet()) {
                if (e.getValue() == null) {
                    continue;
                }
                if (ends.containsKey(e.getKey())) {
                    sum += Math.max(0, ends.get(e.getKey()).offset() - e.getValue().offset());
                }
                if (starts.containsKey(e.getKey())) {
                    checkRetention(sink, e.getKey(), e.getValue().offset(), starts.get(e.getKey()).offset());
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

    private Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> offsets(Set<TopicPartition> partitions, OffsetSpec spec)
            throws Exception {
        Map<TopicPartition, OffsetSpec> wanted = new HashMap<>();
        partitions.forEach(tp -> wanted.put(tp, spec));
        return admin.listOffsets(wanted).all().get(timeoutMs, TimeUnit.MILLISECONDS);
    }

    /** A committed offset below the partition's first offset: the events between were deleted before delivery. */
    void checkRetention(String sink, TopicPartition tp, long committed, long firstOffset) {
        if (committed >= firstOffset) {
            return;
        }
        String where = sink + "@" + tp;
        // the same gap seen again (the consumer has not moved yet) is counted once, from the last first offset seen
        long from = Math.max(committed, reportedStart.getOrDefault(where, committed));
        if (firstOffset <= from) {
            return;
        }
        long lost = firstOffset - from;
        reportedStart.put(where, firstOffset);
        lostToRetention.merge(sink, lost, Long::sum);
        lostWhere.put(sink, "offsets " + from + "-" + (firstOffset - 1) + " of " + tp);
        // "committed": a few of them may have been fetched before the deletion and still be delivered
        LOG.error("Sink {}: offsets {}-{} of {} ({} events) were deleted by the topic's retention before the sink committed "
                + "them; those changes may be missing in the sink (raise retention.ms above the longest pause, then "
                + "re-snapshot the table; docs/operations.md, Retention)", sink, from, firstOffset - 1, tp, lost);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        admin.close(java.time.Duration.ofSeconds(2));
    }
}
