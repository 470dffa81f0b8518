package io.cdcbridge.ops;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

import io.cdcbridge.capture.CaptureStats;
import io.cdcbridge.delivery.DeliveryEngine;
import io.cdcbridge.delivery.SinkComponent;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;

/**
 * One read of the bridge's numbers, for JMX, /metrics and /api/status: events captured per table, delivered and
 * dead-lettered per sink and table, last LSN, the slot's lag, the Carol token's expiry, the routes' states.
 */
public final class BridgeStatus {

    /** The sinks every status lists, delivering or not. */
    private static final java.util.List<String> SINKS = java.util.List.of("bigquery", "carol");

    private final CamelContext camel;
    private final CaptureStats capture;
    private final LongSupplier slotLag;

    public BridgeStatus(CamelContext camel, CaptureStats capture, LongSupplier slotLag) {
        this.camel = camel;
        this.capture = capture;
        this.slotLag = slotLag;
    }

    private volatile io.cdcbridge.capture.Backfills backfills;

    /** Capture's backfills, shown and started through the status (null with capture off). */
    public BridgeStatus backfills(io.cdcbridge.capture.Backfills b) {
        this.backfills = b;
        return this;
    }

    public io.cdcbridge.capture.Backfills backfills() {
        return backfills;
    }

    /** Every backfill since start (empty with capture off). */
    public java.util.List<io.cdcbridge.capture.Backfills.Progress> backfillProgress() {
        var b = backfills;
        return b == null ? java.util.List.of() : b.progress();
    }

    public Map<String, Long> captured() {
        return capture.perTable();
    }

    public long lastLsn() {
        return capture.lastLsn();
    }

    public long slotLagBytes() {
        return slotLag.getAsLong();
    }

    /** {@code sink → source table → count} of items accepted (or written, in dry run). */
    public Map<String, Map<String, Long>> delivered() {
        return counts(DeliveryEngine::deliveredCounts);
    }

    /** {@code sink → source table → count} of records dead-lettered. */
    public Map<String, Map<String, Long>> deadLettered() {
        return counts(DeliveryEngine::deadLetteredCounts);
    }

    private Map<String, Map<String, Long>> counts(java.util.function.Function<DeliveryEngine<?>, Map<String, Long>> what) {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        SinkComponent sinks = camel.hasComponent(SinkComponent.SCHEME) instanceof SinkComponent c ? c : null;
        for (String sink : SINKS) {
            DeliveryEngine<?> engine = sinks == null ? null : sinks.engine(sink);
            out.put(sink, engine == null ? Map.of() : what.apply(engine));
        }
        return out;
    }

    /** When Carol's token expires, or null (API key, dry run, no token yet). */
    public Instant carolTokenExpiry() {
        SinkComponent sinks = camel.hasComponent(SinkComponent.SCHEME) instanceof SinkComponent c ? c : null;
        DeliveryEngine<?> carol = sinks == null ? null : sinks.engine("carol");
        return carol == null ? null : carol.credentialsExpireAt();
    }

    /** The sink's delivery engine, or null (not enabled, or its route not built yet). */
    DeliveryEngine<?> engine(String sink) {
        SinkComponent sinks = camel.hasComponent(SinkComponent.SCHEME) instanceof SinkComponent c ? c : null;
        return sinks == null ? null : sinks.engine(sink);
    }

    /** Route id → Started, Suspended, Stopped, ... */
    public Map<String, String> routes() {
        Map<String, String> out = new LinkedHashMap<>();
        for (Route r : camel.getRoutes()) {
            out.put(r.getRouteId(), String.valueOf(camel.getRouteController().getRouteStatus(r.getRouteId())));
        }
        return out;
    }
}
