package io.cdcbridge.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import io.cdcbridge.errors.DeadLetterLog;
import io.cdcbridge.errors.DeadLetterReplay;

/**
 * The console's dead letters (docs/operations.md, "Console"; docs/architecture.md §9, §10):
 * <ul>
 *   <li>{@code GET /api/deadletters}: per enabled sink its topic's count, per table the dead letters read and those not
 *   replayed yet, the last {@link #SHOWN} with their cause ({@code cdc.error.*}) and origin ({@code cdc.origin.*}) and
 *   the record with the columns of {@code cdc.console.sensitive-columns} masked; the replay's state;</li>
 *   <li>{@code POST /api/deadletters/replay?sink=S[&table=schema.table]}: starts the replay, the very code of the
 *   {@code replay} command ({@link DeadLetterReplay}), in the background, one at a time; its progress and result
 *   in {@code GET /api/deadletters} under {@code replay}.</li>
 * </ul>
 * Reading needs what {@code /api/status} needs, starting a replay what a route action needs ({@link ConsoleAccess}).
 */
final class DeadLetterConsole {

    static final int SHOWN = 10;
    /** Dead letters read per sink at most (the newest), for the per-table counts: bounded work per answer. */
    static final int SCANNED = 10_000;
    /** The page asks every few seconds; one read of the topics serves the answers within this. */
    private static final long CACHE_MS = 2000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final DeadLetterLog log;
    private final DeadLetterReplay replay;
    private final Supplier<Set<String>> sinks;
    private final Supplier<Map<String, Map<String, Long>>> sinceStart;
    private final Set<String> sensitive;
    private final ConsoleAccess access;
    private final ExecutorService runner = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "console-replay");
        t.setDaemon(true);
        return t;
    });
    private volatile Map<String, Object> state = Map.of("state", "idle");
    private long readAt;
    private List<Map<String, Object>> cached;

    DeadLetterConsole(DeadLetterLog log, DeadLetterReplay replay, Supplier<Set<String>> sinks,
                      Supplier<Map<String, Map<String, Long>>> sinceStart, Set<String> sensitive, ConsoleAccess access) {
        this.log = log;
        this.replay = replay;
        this.sinks = sinks;
        this.sinceStart = sinceStart;
        this.sensitive = sensitive;
        this.access = access;
    }

    void install(OpsServer server) {
        server.handle("/api/deadletters", this::handle);
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        if (path.equals("/api/deadletters") && "GET".equals(ex.getRequestMethod())) {
            String refused = access.read(ex.getRequestHeaders());
            if (refused != null) {
                OpsServer.send(ex, 403, "application/json", JSON.writeValueAsString(Map.of("error", refused)));
                return;
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("sinks", sinks());
            out.put("replay", state);
            out.put("actionsAllowed", access.act(ex.getRequestHeaders()) == null);
            OpsServer.send(ex, 200, "application/json", JSON.writeValueAsString(out));
        } else if (path.equals("/api/deadletters/replay") && "POST".equals(ex.getRequestMethod())) {
            startReplay(ex);
        } else {
            OpsServer.send(ex, 404, "application/json",
                    "{\"error\":\"GET /api/deadletters or POST /api/deadletters/replay?sink=S[&table=schema.table]\"}");
        }
    }

    private synchronized List<Map<String, Object>> sinks() {
        long now = System.currentTimeMillis();
        if (cached != null && now - readAt < CACHE_MS) {
            return cached;
        }
        Map<String, Map<String, Long>> counted = sinceStart.get();
        List<Map<String, Object>> out = new ArrayList<>();
        for (String sink : new TreeSet<>(sinks.get())) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("sink", sink);
            try {
                DeadLetterLog.View v = log.read(sink, SHOWN, SCANNED);
                m.put("topic", v.topic());
                m.put("inTopic", v.inTopic());
                m.put("scanned", v.scanned());
                List<Map<String, Object>> tables = new ArrayList<>();
                Set<String> names = new TreeSet<>(v.perTable().keySet());
                names.addAll(counted.getOrDefault(sink, Map.of()).keySet());
                for (String t : names) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("table", t);
                    row.put("read", v.perTable().getOrDefault(t, 0L));
                    row.put("pending", v.pendingPerTable().getOrDefault(t, 0L));
                    row.put("sinceStart", counted.getOrDefault(sink, Map.of()).getOrDefault(t, 0L));
                    tables.add(row);
                }
                m.put("tables", tables);
                List<Map<String, Object>> last = new ArrayList<>();
                v.last().forEach(l -> last.add(letter(l)));
                m.put("last", last);
            } catch (RuntimeException e) {
                // Kafka not answering: the page says so for this sink, the rest of it still works
                m.put("error", "could not read the dead-letter topic: " + e.getClass().getSimpleName());
            }
            out.add(m);
        }
        cached = out;
        readAt = now;
        return out;
    }

    /** One dead letter for the page: cause, origin, and the record masked (or only its size, when it is not JSON). */
    Map<String, Object> letter(DeadLetterLog.Letter l) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("table", l.table());
        m.put("at", l.at());
        m.put("dlq", l.partition() + "@" + l.offset());
        m.put("status", status(l.message()));
        m.put("errorClass", l.errorClass());
        m.put("message", l.message());
        m.put("attempts", l.attempts());
        m.put("route", l.route());
        m.put("origin", l.originTopic() + "/" + l.originPartition() + "/" + l.originOffset());
        m.put("replayed", l.replayed());
        m.put("key", masked(l.key(), l.table(), true));
        m.put("record", masked(l.value(), l.table(), false));
        return m;
    }

    /**
     * The record as JSON with the sensitive columns masked. A value that is not JSON (a poison record) cannot be
     * masked, so only its size is shown.
     */
    private Object masked(byte[] bytes, String table, boolean key) {
        if (bytes == null) {
            return null;
        }
        JsonNode n;
        try {
            n = JSON.readTree(bytes);
        } catch (IOException e) {
            n = null;
        }
        if (n == null || !n.isObject()) {
            return "(not a JSON object, " + bytes.length + " bytes: not shown, it cannot be masked)";
        }
        if (key) {
            StatusConsole.maskColumns((ObjectNode) n, table, table.substring(table.indexOf('.') + 1), sensitive);
        } else {
            StatusConsole.mask(n, table, sensitive);
        }
        return n;
    }

    /** The HTTP status a sink's refusal named ("HTTP 400 ...", "400 Bad Request", {"errorCode":400}), or null. */
    static Integer status(String message) {
        if (message == null) {
            return null;
        }
        var m = java.util.regex.Pattern.compile("(?:HTTP[ /]?(?:1\\.1 )?|status[ =:]*|\"errorCode\"\\s*:\\s*|^)([1-5]\\d\\d)\\b",
                java.util.regex.Pattern.CASE_INSENSITIVE).matcher(message);
        return m.find() ? Integer.valueOf(m.group(1)) : null;
    }

    private void startReplay(HttpExchange ex) throws IOException {
        String refused = access.act(ex.getRequestHeaders());
        if (refused != null) {
            OpsServer.send(ex, 403, "application/json", JSON.writeValueAsString(Map.of("error", refused)));
            return;
        }
        Map<String, String> q = OpsServer.query(ex);
        String sink = q.get("sink");
        String table = "".equals(q.get("table")) ? null : q.get("table"); // "table=" with no value: every table
        if (sink == null || !sinks.get().contains(sink)) {
            OpsServer.send(ex, 400, "application/json", JSON.writeValueAsString(Map.of("error", "sink must be one of " + new TreeSet<>(sinks.get()))));
            return;
        }
        if (table != null && (table.isBlank() || table.indexOf('.') <= 0)) {
            OpsServer.send(ex, 400, "application/json", JSON.writeValueAsString(Map.of("error", "table must be schema.table")));
            return;
        }
        synchronized (this) {
            if ("running".equals(state.get("state"))) {
                OpsServer.send(ex, 409, "application/json", JSON.writeValueAsString(Map.of("error", "a replay is running: " + state.get("what"))));
                return;
            }
            String what = sink + (table == null ? " (all tables)" : " " + table);
            String started = Instant.now().toString();
            state = progress(what, "running", started, 0, 0, null, null);
            runner.execute(() -> run(sink, table, what, started));
            OpsServer.send(ex, 202, "application/json", JSON.writeValueAsString(state));
        }
    }

    private void run(String sink, String table, String what, String started) {
        try {
            DeadLetterReplay.Result r = replay.replay(sink, table, false,
                    (looked, pending, soFar) -> state = progress(what, "running", started, looked, pending, soFar, null));
            Map<String, Object> done = new LinkedHashMap<>(progress(what, r.failed() > 0 ? "failed" : "done", started,
                    intOf(state.get("looked")), intOf(state.get("pending")), r, null));
            done.put("finished", Instant.now().toString());
            state = done;
        } catch (RuntimeException e) {
            state = progress(what, "failed", started, intOf(state.get("looked")), intOf(state.get("pending")), null,
                    e.getClass().getSimpleName() + ": " + e.getMessage());
        } finally {
            synchronized (this) {
                cached = null; // the next answer reads the replayed marks
            }
        }
    }

    private static int intOf(Object o) {
        return o instanceof Number n ? n.intValue() : 0;
    }

    private static Map<String, Object> progress(String what, String st, String started, int looked, int pending,
                                                DeadLetterReplay.Result r, String error) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", st);
        m.put("what", what);
        m.put("started", started);
        m.put("looked", looked);
        m.put("pending", pending);
        if (r != null) {
            m.put("replayed", r.replayed());
            m.put("skipped", r.skipped());
            m.put("failed", r.failed());
            m.put("superseded", r.superseded());
            m.put("result", r.toString());
        }
        if (error != null) {
            m.put("error", error);
        }
        return m;
    }

    void close() {
        runner.shutdownNow();
    }
}
