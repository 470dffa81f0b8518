package io.cdcbridge.ops;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.TreeMap;

import javax.management.ObjectName;

import io.cdcbridge.errors.DeadLetterReplay;
import org.apache.camel.CamelContext;

/** The {@link BridgeMXBean}: numbers from {@link BridgeStatus}, sink pause/resume through Camel's route controller. */
public final class BridgeManagement implements BridgeMXBean, AutoCloseable {

    public static final String NAME = "io.cdcbridge:type=Bridge";

    private final BridgeStatus status;
    private final CamelContext camel;
    private final DeadLetterReplay replay;
    private ObjectName registered;

    public BridgeManagement(BridgeStatus status, CamelContext camel, DeadLetterReplay replay) {
        this.status = status;
        this.camel = camel;
        this.replay = replay;
    }

    public BridgeManagement register() throws Exception {
        ObjectName name = new ObjectName(NAME);
        var server = ManagementFactory.getPlatformMBeanServer();
        if (server.isRegistered(name)) {
            server.unregisterMBean(name); // a previous bridge in this JVM (tests)
        }
        server.registerMBean(this, name);
        registered = name;
        return this;
    }

    @Override
    public Map<String, Long> getCapturedEvents() {
        return status.captured();
    }

    @Override
    public Map<String, Long> getDeliveredRecords() {
        return flatten(status.delivered());
    }

    @Override
    public Map<String, Long> getDeadLetteredRecords() {
        return flatten(status.deadLettered());
    }

    @Override
    public long getLastLsn() {
        return status.lastLsn();
    }

    @Override
    public long getSlotLagBytes() {
        return status.slotLagBytes();
    }

    @Override
    public String getCarolTokenExpiry() {
        var at = status.carolTokenExpiry();
        return at == null ? "" : at.toString();
    }

    @Override
    public Map<String, String> getRouteStates() {
        return status.routes();
    }

    @Override
    public String pauseSink(String sink) throws Exception {
        String route = route(sink);
        camel.getRouteController().suspendRoute(route);
        return route + " " + camel.getRouteController().getRouteStatus(route);
    }

    @Override
    public String resumeSink(String sink) throws Exception {
        String route = route(sink);
        camel.getRouteController().resumeRoute(route);
        return route + " " + camel.getRouteController().getRouteStatus(route);
    }

    @Override
    public String backfill(String table, String where) {
        var backfills = status.backfills();
        if (backfills == null) {
            throw new IllegalStateException("capture is off on this instance (cdc.capture.enabled=false): backfill on the capturing one");
        }
        try {
            return backfills.start(table, where);
        } catch (IllegalArgumentException | IllegalStateException e) {
            // a JDK exception type, so a remote JMX client can read it without the bridge's classes
            throw new IllegalArgumentException(e.getMessage());
        }
    }

    @Override
    public Map<String, String> getBackfills() {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        var backfills = status.backfills();
        if (backfills != null) {
            java.time.Instant now = java.time.Instant.now();
            for (var p : backfills.progress()) {
                long left = p.secondsLeft(now);
                out.put(p.id(), p.table() + " " + p.state() + " " + p.rows() + "/" + p.total() + " rows "
                        + Math.round(p.percent()) + "%" + (left < 0 ? "" : " " + left + " s left"));
            }
        }
        return out;
    }

    @Override
    public String replayDeadLetters(String sink, String table, boolean dryRun) {
        route(sink);
        return replay.replay(sink, table == null || table.isBlank() ? null : table, dryRun).toString();
    }

    private String route(String sink) {
        String route = sink + "-delivery";
        if (camel.getRoute(route) == null) {
            throw new IllegalArgumentException("no sink named '" + sink + "' (bigquery, carol)");
        }
        return route;
    }

    private static Map<String, Long> flatten(Map<String, Map<String, Long>> bySink) {
        Map<String, Long> out = new TreeMap<>();
        bySink.forEach((sink, tables) -> tables.forEach((t, n) -> out.put(sink + ":" + t, n)));
        return out;
    }

    @Override
    public void close() throws Exception {
        if (registered != null && ManagementFactory.getPlatformMBeanServer().isRegistered(registered)) {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(registered);
        }
    }
}
