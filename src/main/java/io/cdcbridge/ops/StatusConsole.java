package io.cdcbridge.ops;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.cdcbridge.capture.CaptureStats;
import io.cdcbridge.config.OpsSettings;
import org.apache.camel.CamelContext;

/**
 * The status console on the HTTP port: {@code /} (a static page polling the API) and a small JSON API for scripts:
 * <ul>
 *   <li>{@code GET /api/status}: per table captured / delivered / dead-lettered, last LSN, slot lag, token expiry,
 *   routes and their states, health at a glance ({@link HealthSummary}), whether route actions are allowed for this caller;</li>
 *   <li>{@code GET /api/events?table=schema.table}: the table's last change events, sensitive columns masked;</li>
 *   <li>{@code GET /api/history}: the charts' series over the last hour ({@link ConsoleHistory});</li>
 *   <li>{@code /api/deadletters}: {@link DeadLetterConsole};</li>
 *   <li>{@code POST /api/routes/{id}/suspend} and {@code …/resume}.</li>
 * </ul>
 * Who may read and act: {@link ConsoleAccess} (beyond loopback, the token for every {@code /api/*} request; on
 * loopback, a loopback Host; actions only from the console's own page).
 */
public final class StatusConsole {

    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String MASK = "•••";

    private final BridgeStatus status;
    private final CaptureStats capture;
    private final CamelContext camel;
    private final ConsoleAccess access;
    private final Set<String> sensitive;

    public StatusConsole(BridgeStatus status, CaptureStats capture, CamelContext camel, boolean loopbackOnly, String token,
                         Set<String> sensitive) {
        this.status = status;
        this.capture = capture;
        this.camel = camel;
        this.access = new ConsoleAccess(loopbackOnly, token);
        this.sensitive = sensitive;
    }

    private java.util.function.Supplier<Map<String, String>> leftOut = Map::of;

    /** Tables left out of capture, and why (shown on the page and in {@code /api/status}). */
    public StatusConsole leftOut(java.util.function.Supplier<Map<String, String>> tables) {
        this.leftOut = tables;
        return this;
    }

    private java.util.function.Supplier<List<Map<String, String>>> health = List::of;

    /** Health at a glance ({@link HealthSummary}), listed in {@code /api/status} and drawn as badges on the page. */
    public StatusConsole health(java.util.function.Supplier<List<Map<String, String>>> parts) {
        this.health = parts;
        return this;
    }

    private java.util.function.Supplier<Map<String, Object>> history = Map::of;

    /** The charts' series over the last hour ({@link ConsoleHistory}), served as {@code GET /api/history}. */
    public StatusConsole history(java.util.function.Supplier<Map<String, Object>> series) {
        this.history = series;
        return this;
    }

    ConsoleAccess access() {
        return access;
    }

    public void install(OpsServer server) {
        server.handle("/api/history", ex -> {
            if (readable(ex)) {
                OpsServer.send(ex, 200, "application/json", JSON.writeValueAsString(history.get()));
            }
        });
        server.handle("/api/status", ex -> {
            if (readable(ex)) {
                OpsServer.send(ex, 200, "application/json", JSON.writeValueAsString(status(ex)));
            }
        });
        server.handle("/api/events", ex -> {
            if (readable(ex)) {
                events(ex);
            }
        });
        server.handle("/api/routes/", this::routeAction);
        server.handle("/api/backfill", this::backfill);
        server.handle("/", this::page);
    }

    Map<String, Object> status(HttpExchange ex) {
        Map<String, Map<String, Long>> delivered = status.delivered();
        Map<String, Map<String, Long>> dead = status.deadLettered();
        Set<String> tables = new TreeSet<>(status.captured().keySet());
        delivered.values().forEach(m -> tables.addAll(m.keySet()));
        List<Map<String, Object>> rows = new ArrayList<>();
        for (String t : tables) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("table", t);
            row.put("captured", status.captured().getOrDefault(t, 0L));
            Map<String, Long> d = new LinkedHashMap<>();
            Map<String, Long> dl = new LinkedHashMap<>();
            delivered.forEach((sink, m) -> d.put(sink, m.getOrDefault(t, 0L)));
            dead.forEach((sink, m) -> dl.put(sink, m.getOrDefault(t, 0L)));
            row.put("delivered", d);
            row.put("deadLettered", dl);
            rows.add(row);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("tables", rows);
        out.put("lastLsn", status.lastLsn());
        out.put("slotLagBytes", status.slotLagBytes());
        out.put("carolTokenExpiry", status.carolTokenExpiry() == null ? null : status.carolTokenExpiry().toString());
        List<Map<String, String>> routes = new ArrayList<>();
        status.routes().forEach((id, state) -> routes.add(Map.of("id", id, "state", state)));
        out.put("routes", routes);
        out.put("leftOut", leftOut.get());
        out.put("health", health.get());
        java.time.Instant now = java.time.Instant.now();
        out.put("backfills", status.backfillProgress().stream().map(p -> p.json(now)).toList());
        out.put("actionsAllowed", access.act(ex.getRequestHeaders()) == null);
        return out;
    }

    private void events(HttpExchange ex) throws IOException {
        String table = OpsServer.query(ex).get("table");
        if (table == null) {
            OpsServer.send(ex, 400, "application/json", "{\"error\":\"?table=schema.table is required\"}");
            return;
        }
        ArrayNode out = JSON.createArrayNode();
        for (byte[] e : capture.recent(table)) {
            JsonNode n = JSON.readTree(e);
            mask(n, table, sensitive);
            out.add(n);
        }
        OpsServer.send(ex, 200, "application/json", out.toString());
    }

    /**
     * Masks, in a ChangeEvent's {@code key}, {@code before} and {@code after}, the columns of
     * {@code cdc.console.sensitive-columns} ({@code Column}, {@code Table.Column} or {@code schema.Table.Column}):
     * the recent events and the dead letters the console shows.
     */
    static void mask(JsonNode event, String table, Set<String> sensitive) {
        String bare = table.substring(table.indexOf('.') + 1);
        for (String part : List.of("key", "before", "after")) {
            if (event.get(part) instanceof ObjectNode o) {
                maskColumns(o, table, bare, sensitive);
            }
        }
    }

    /** Masks the sensitive columns of one row image or key. */
    static void maskColumns(ObjectNode o, String table, String bare, Set<String> sensitive) {
        List<String> names = new ArrayList<>();
        o.fieldNames().forEachRemaining(names::add);
        for (String f : names) {
            if (sensitive.contains(f) || sensitive.contains(bare + "." + f) || sensitive.contains(table + "." + f)) {
                o.put(f, MASK);
            }
        }
    }

    private void routeAction(HttpExchange ex) throws IOException {
        String[] parts = ex.getRequestURI().getPath().substring("/api/routes/".length()).split("/");
        if (!"POST".equals(ex.getRequestMethod()) || parts.length != 2 || !Set.of("suspend", "resume").contains(parts[1])) {
            OpsServer.send(ex, 404, "application/json", "{\"error\":\"POST /api/routes/{id}/suspend or /resume\"}");
            return;
        }
        String refused = access.act(ex.getRequestHeaders());
        if (refused != null) {
            OpsServer.send(ex, 403, "application/json", JSON.writeValueAsString(Map.of("error", refused)));
            return;
        }
        String id = parts[0];
        if (camel.getRoute(id) == null) {
            OpsServer.send(ex, 404, "application/json", JSON.writeValueAsString(Map.of("error", "no route " + id)));
            return;
        }
        try {
            if (parts[1].equals("suspend")) {
                camel.getRouteController().suspendRoute(id);
            } else {
                camel.getRouteController().resumeRoute(id);
            }
        } catch (Exception e) {
            OpsServer.send(ex, 500, "application/json", JSON.writeValueAsString(Map.of("error", String.valueOf(e.getMessage()))));
            return;
        }
        OpsServer.send(ex, 200, "application/json",
                JSON.writeValueAsString(Map.of("id", id, "state", String.valueOf(camel.getRouteController().getRouteStatus(id)))));
    }

    /**
     * {@code POST /api/backfill} with {@code {"table":"schema.table","where":"…"}} (where optional): starts a backfill
     * (docs/operations.md, "Backfill"), under the same rules as the route actions. 200 with the line saying what
     * started, 400 with the reason for a request that cannot be done, 409 when this instance cannot backfill now.
     */
    private void backfill(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            OpsServer.send(ex, 405, "application/json", JSON.writeValueAsString(Map.of("error", "POST /api/backfill with {\"table\":\"schema.table\", \"where\":\"...\"}")));
            return;
        }
        String refused = access.act(ex.getRequestHeaders());
        if (refused != null) {
            OpsServer.send(ex, 403, "application/json", JSON.writeValueAsString(Map.of("error", refused)));
            return;
        }
        JsonNode body;
        try (InputStream in = ex.getRequestBody()) {
            body = JSON.readTree(in.readNBytes(64 * 1024));
        } catch (IOException e) {
            body = null;
        }
        if (body == null || !body.path("table").isTextual()) {
            OpsServer.send(ex, 400, "application/json", JSON.writeValueAsString(Map.of("error", "the body must be {\"table\":\"schema.table\", \"where\":\"...\"}")));
            return;
        }
        var backfills = status.backfills();
        if (backfills == null) {
            OpsServer.send(ex, 409, "application/json", JSON.writeValueAsString(Map.of("error", "capture is off on this instance")));
            return;
        }
        try {
            String line = backfills.start(body.get("table").asText(), body.path("where").isTextual() ? body.get("where").asText() : null);
            OpsServer.send(ex, 200, "application/json", JSON.writeValueAsString(Map.of("message", line)));
        } catch (IllegalArgumentException e) {
            OpsServer.send(ex, 400, "application/json", JSON.writeValueAsString(Map.of("error", e.getMessage())));
        } catch (IllegalStateException e) {
            OpsServer.send(ex, 409, "application/json", JSON.writeValueAsString(Map.of("error", e.getMessage())));
        }
    }

    /** Whether the caller may read the API; if not, the refusal has been answered (403, the reason, never the token). */
    private boolean readable(HttpExchange ex) throws IOException {
        String refused = access.read(ex.getRequestHeaders());
        if (refused != null) {
            OpsServer.send(ex, 403, "application/json", JSON.writeValueAsString(Map.of("error", refused)));
        }
        return refused == null;
    }

    private void page(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (!path.equals("/") && !path.equals("/index.html")) {
            OpsServer.send(ex, 404, "text/plain", "not found");
            return;
        }
        try (InputStream in = StatusConsole.class.getResourceAsStream("/console/index.html")) {
            OpsServer.send(ex, 200, "text/html; charset=utf-8", new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
