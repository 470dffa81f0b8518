package io.cdcbridge.ops;

import java.util.Map;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * The Prometheus registry behind {@code /metrics}: JVM metrics, Camel's route metrics (camel-micrometer's route
 * policy, added by the bridge) and the bridge's counters, read from {@link BridgeStatus} at scrape time. Tables
 * appear as they are first seen, so their counters are registered on each scrape (idempotent in Micrometer).
 */
public final class OpsMetrics {

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private volatile BridgeStatus status;

    public OpsMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    public void bind(BridgeStatus status) {
        this.status = status;
        Gauge.builder("cdc.slot.lag", status, BridgeStatus::slotLagBytes).baseUnit("bytes")
                .description("WAL the replication slot holds back (-1 unknown)").register(registry);
        Gauge.builder("cdc.capture.last.lsn", status, BridgeStatus::lastLsn).description("LSN of the last captured event").register(registry);
        Gauge.builder("cdc.carol.token.expiry", status, s -> s.carolTokenExpiry() == null ? 0 : s.carolTokenExpiry().getEpochSecond())
                .baseUnit("seconds").description("epoch second the Carol token expires (0 = none)").register(registry);
    }

    /** Events waiting in Kafka for each sink (its consumer group's lag), and those retention deleted before delivery. */
    public void bindSinkLag(java.util.Set<String> sinks, java.util.function.ToLongFunction<String> lag,
                            java.util.function.ToLongFunction<String> lostToRetention) {
        for (String sink : sinks) {
            Gauge.builder("cdc.sink.lag", () -> lag.applyAsLong(sink)).baseUnit("events").tag("sink", sink)
                    .description("change events not yet delivered by the sink (-1 unknown)").register(registry);
            FunctionCounter.builder("cdc.sink.retention.lost", sink, lostToRetention::applyAsLong).baseUnit("events").tag("sink", sink)
                    .description("change events the topics' retention deleted before the sink delivered them").register(registry);
        }
    }

    /** Prometheus text exposition, counters refreshed. */
    public String scrape() {
        BridgeStatus s = status;
        if (s != null) {
            s.captured().keySet().forEach(table -> FunctionCounter.builder("cdc.captured.events", s, st -> st.captured().getOrDefault(table, 0L))
                    .tag("table", table).description("change events captured").register(registry));
            backfills(s);
            perSink("cdc.delivered.records", "records accepted by the sink", s.delivered(), s, true);
            perSink("cdc.dead.lettered.records", "records the sink dead-lettered", s.deadLettered(), s, false);
        }
        return registry.scrape();
    }

    /**
     * Per table, its latest backfill: {@code cdc_backfill_rows_done}, {@code cdc_backfill_rows_expected} (the estimate
     * the % is of), {@code cdc_backfill_progress_ratio} (0-1), {@code cdc_backfill_remaining_seconds} (-1 unknown),
     * {@code cdc_backfill_running} (1 while under way).
     */
    private void backfills(BridgeStatus s) {
        java.util.Set<String> tables = new java.util.TreeSet<>();
        s.backfillProgress().forEach(p -> tables.add(p.table()));
        for (String table : tables) {
            java.util.function.Function<java.util.function.ToDoubleFunction<io.cdcbridge.capture.Backfills.Progress>, java.util.function.ToDoubleFunction<BridgeStatus>> latest =
                    f -> st -> st.backfillProgress().stream().filter(p -> p.table().equals(table)).reduce((a, b) -> b).map(f::applyAsDouble).orElse(0.0);
            Gauge.builder("cdc.backfill.rows.done", s, latest.apply(p -> p.rows())).tag("table", table)
                    .description("rows the table's latest backfill has published").register(registry);
            Gauge.builder("cdc.backfill.rows.expected", s, latest.apply(p -> p.total())).tag("table", table)
                    .description("rows the latest backfill expects (WHERE count or pg_class.reltuples)").register(registry);
            Gauge.builder("cdc.backfill.progress", s, latest.apply(p -> p.percent() / 100)).baseUnit("ratio").tag("table", table)
                    .description("share of the latest backfill done, 0 to 1").register(registry);
            Gauge.builder("cdc.backfill.remaining", s, latest.apply(p -> p.secondsLeft(java.time.Instant.now()))).baseUnit("seconds")
                    .tag("table", table).description("estimated time left of the latest backfill (-1 not known yet)").register(registry);
            Gauge.builder("cdc.backfill.running", s, latest.apply(p -> p.finished() == null ? 1 : 0)).tag("table", table)
                    .description("1 while the table's latest backfill is under way").register(registry);
        }
    }

    private void perSink(String name, String description, Map<String, Map<String, Long>> bySink, BridgeStatus s, boolean delivered) {
        bySink.forEach((sink, tables) -> tables.keySet().forEach(table -> FunctionCounter.builder(name, s,
                        st -> (delivered ? st.delivered() : st.deadLettered()).getOrDefault(sink, Map.of()).getOrDefault(table, 0L))
                .tag("sink", sink).tag("table", table).description(description).register(registry)));
    }
}
