package io.cdcbridge.ops;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

import io.cdcbridge.bigquery.BigQueryDelivery;
import io.cdcbridge.capture.CaptureStats;
import io.cdcbridge.carol.CarolDelivery;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;

/**
 * One read of the bridge's numbers, for JMX, /metrics and /api/status: events captured per table, delivered and
 * dead-lettered per sink and table, last LSN, the slot's lag, the Carol token's expiry, the routes' states.
 */
public final class BridgeStatus {

    private final CamelContext camel;
    private final CaptureStats capture;
    private final LongSupplier slotLag;

    public BridgeStatus(CamelContext camel, CaptureStats capture, LongSupplier slotLag) {
        this.camel = camel;
        this.capture = capture;
        this.slotLag = slotLag;
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

    /** {@code sink → table (or staging) → count}. */
    public Map<String, Map<String, Long>> delivered() {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        BigQueryDelivery bq = camel.getRegistry().lookupByNameAndType("bigQueryDelivery", BigQueryDelivery.class);
        CarolDelivery carol = camel.getRegistry().lookupByNameAndType("carolDelivery", CarolDelivery.class);
        out.put("bigquery", bq == null ? Map.of() : bq.deliveredCounts());
        out.put("carol", carol == null ? Map.of() : carol.deliveredCounts());
        return out;
    }

    /** {@code sink → table → count} of records the sink itself dead-lettered (poison, refused records). */
    public Map<String, Map<String, Long>> deadLettered() {
        Map<String, Map<String, Long>> out = new TreeMap<>();
        BigQueryDelivery bq = camel.getRegistry().lookupByNameAndType("bigQueryDelivery", BigQueryDelivery.class);
        CarolDelivery carol = camel.getRegistry().lookupByNameAndType("carolDelivery", CarolDelivery.class);
        out.put("bigquery", bq == null ? Map.of() : bq.deadLetteredCounts());
        out.put("carol", carol == null ? Map.of() : carol.deadLetteredCounts());
        return out;
    }

    /** When Carol's token expires, or null (API key, dry run, no token yet). */
    public Instant carolTokenExpiry() {
        CarolDelivery carol = camel.getRegistry().lookupByNameAndType("carolDelivery", CarolDelivery.class);
        return carol == null ? null : carol.tokenExpiresAt();
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
