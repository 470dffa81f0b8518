package io.cdcbridge.capture;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.config.SourceSettings;
import io.debezium.pipeline.signal.SignalRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backfill on demand (issue 21 item 2; docs/operations.md, "Backfill"): the current rows of one captured table, or those
 * a WHERE clause selects, read again while streaming goes on, as {@code op r} ChangeEvents on the table's topic
 * (docs/architecture.md §4). It is Debezium's read-only incremental snapshot ({@code read.only=true}, PG 13+: chunks in
 * key order between {@code pg_current_snapshot()} watermarks, deduplicated against the changes streamed meanwhile), so
 * no signal table is written: the {@code execute-snapshot} signal and Debezium's progress notifications travel in the
 * JVM through {@link BackfillChannel}, keyed by the topic prefix.
 *
 * <p>Before the signal goes out the request is checked against Postgres, so a table not captured, without a primary key,
 * or a WHERE clause Postgres refuses is one readable line (an {@link IllegalArgumentException}), never a stack trace in
 * Debezium's log; the same query gives the total the progress is measured against (the WHERE-filtered count, or
 * {@code pg_class.reltuples} without one). Rows done are the backfill's rows capture published
 * ({@link CaptureStats#backfilledRows}); a progress line is logged per tenth.
 */
public final class Backfills implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Backfills.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Bridges of this JVM by topic prefix (Debezium's logical name), for {@link BackfillChannel}. */
    private static final Map<String, Backfills> BY_PREFIX = new ConcurrentHashMap<>();
    /**
     * The prefix of the logical decoding message a backfill writes to move an idle stream on ({@link #nudge}); capture
     * tells Debezium to leave messages of this prefix out (CaptureRoute), so none reaches a topic.
     */
    public static final String MESSAGE_PREFIX = "cdc-bridge";
    /** A backfill whose rows have not grown for this long is nudged again. */
    private static final Duration NUDGE_AFTER = Duration.ofSeconds(30);

    /** One backfill as the status shows it. */
    public record Progress(String id, String table, String where, long total, long rows, String state, Instant started,
                           Instant finished, String detail) {

        /** 0-100, capped: the total is an estimate ({@code reltuples}) or a count that rows inserted since outgrow. */
        public double percent() {
            if ("done".equals(state)) {
                return 100;
            }
            return total <= 0 ? 0 : Math.min(99.9, 100.0 * rows / total);
        }

        /** Estimated seconds left at the rate so far, -1 when not known yet, 0 once finished. */
        public long secondsLeft(Instant now) {
            if (finished != null) {
                return 0;
            }
            double elapsed = Duration.between(started, now).toMillis() / 1000.0;
            if (rows <= 0 || elapsed <= 0 || total <= 0) {
                return -1;
            }
            return Math.max(0, Math.round((total - rows) / (rows / elapsed)));
        }

        public Map<String, Object> json(Instant now) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("table", table);
            m.put("where", where);
            m.put("state", state);
            m.put("rows", rows);
            m.put("total", total);
            m.put("percent", Math.round(percent() * 10) / 10.0);
            m.put("secondsLeft", secondsLeft(now));
            m.put("started", started.toString());
            m.put("finished", finished == null ? null : finished.toString());
            m.put("detail", detail);
            return m;
        }
    }

    /** A backfill under way: state changes come from the request, Debezium's notifications and the progress tick. */
    private static final class Run {
        final String id;
        final String table;
        final String where;
        /** Rows to expect; -1 until a resumed run's estimate is read (the progress tick reads it, off Debezium's thread). */
        volatile long total;
        final long base;
        final Instant started;
        volatile String state = "requested";
        volatile Instant finished;
        volatile String detail;
        volatile long finalRows = -1;
        int loggedTenth;
        /** Done, its line not logged yet: the last rows may still be on their way through capture's queue. */
        boolean doneUnlogged;
        long rowsAtLastTick = -1;
        /** When the rows last grew (to {@code rowsAtLastMove}), or the stream was last nudged for this run. */
        Instant lastMove;
        long rowsAtLastMove = -1;
        /** A nudge failed once: its warning is not repeated. */
        boolean nudgeWarned;

        Run(String id, String table, String where, long total, long base, Instant started) {
            this.id = id;
            this.table = table;
            this.where = where;
            this.total = total;
            this.base = base;
            this.started = started;
        }

        boolean active() {
            return finished == null;
        }
    }

    private final SourceConfig src;
    private final String prefix;
    private final CaptureStats stats;
    private final BooleanSupplier streaming;
    private final Supplier<Set<String>> leftOut;
    private final int serverVersion;
    private final Queue<SignalRecord> signals = new ConcurrentLinkedQueue<>();
    private final Map<String, Run> runs = new LinkedHashMap<>();
    private final ScheduledExecutorService ticker;

    /**
     * @param streaming     whether this instance's Debezium engine streams now (a backfill is refused otherwise)
     * @param serverVersion {@code server_version_num}: read-only incremental snapshots need 130000 or more
     */
    public Backfills(SourceConfig src, String prefix, CaptureStats stats, BooleanSupplier streaming, Supplier<Set<String>> leftOut,
                     int serverVersion) {
        this.src = src;
        this.prefix = prefix;
        this.stats = stats;
        this.streaming = streaming;
        this.leftOut = leftOut;
        this.serverVersion = serverVersion;
        BY_PREFIX.put(prefix, this);
        ticker = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "cdc-backfill-progress");
            t.setDaemon(true);
            return t;
        });
        ticker.scheduleWithFixedDelay(this::tick, 1, 1, TimeUnit.SECONDS);
    }

    /** Whether Postgres lets Debezium backfill without a signal table (pg_current_snapshot, PG 13). */
    public static boolean supported(int serverVersion) {
        return serverVersion >= 130000;
    }

    /** {@code server_version_num}, or 0 when it cannot be read (the preflight has just reached the server). */
    public static int serverVersion(SourceConfig src) {
        Properties p = src.jdbcProperties();
        p.setProperty("connectTimeout", "10");
        p.setProperty("ApplicationName", "cdc-bridge-backfill-check");
        try (Connection c = DriverManager.getConnection(src.jdbcUrl(), p); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SHOW server_version_num")) {
            return rs.next() ? Integer.parseInt(rs.getString(1)) : 0;
        } catch (SQLException | NumberFormatException e) {
            LOG.warn("could not read the Postgres version ({}): backfills are off", e.toString());
            return 0;
        }
    }

    static Backfills forPrefix(String prefix) {
        return BY_PREFIX.get(prefix);
    }

    /** The next signal for Debezium's signal processor ({@link BackfillChannel#read}). */
    SignalRecord nextSignal() {
        return signals.poll();
    }

    /**
     * Checks the request against Postgres and hands Debezium the signal.
     *
     * @param table {@code schema.table}, names as in Postgres
     * @param where a SQL condition on the table's columns, or null/blank for every row
     * @return the one line to show: what was started, and where its progress is
     * @throws IllegalArgumentException a request that cannot be done as asked (its message names why)
     * @throws IllegalStateException    this instance cannot backfill now (not streaming, server too old)
     */
    public String start(String table, String where) {
        String filter = where == null || where.isBlank() ? null : where.trim();
        if (table == null || !table.matches("[^.]+\\..+")) {
            throw new IllegalArgumentException("--table must be schema.table (names as in Postgres), got " + table);
        }
        if (!supported(serverVersion)) {
            throw new IllegalStateException("backfill needs Postgres 13 or later (read-only incremental snapshots use "
                    + "pg_current_snapshot()); this server is " + serverVersion);
        }
        if (!streaming.getAsBoolean()) {
            throw new IllegalStateException("capture is not streaming on this instance (a standby, capture off, or the initial "
                    + "snapshot still running): ask the capturing instance, or wait until it streams");
        }
        int dot = table.indexOf('.');
        String schema = table.substring(0, dot);
        String name = table.substring(dot + 1);
        if (leftOut.get().contains(table)) {
            throw new IllegalArgumentException(table + " is left out of capture (see /api/status leftOut): it cannot be backfilled");
        }
        if (!src.tables().isBlank() && java.util.Arrays.stream(src.tables().split(",")).map(String::trim).noneMatch(table::equals)) {
            throw new IllegalArgumentException(table + " is not captured: it is not in " + SourceSettings.TABLES.key()
                    + " (" + src.tables() + ")");
        }
        long total = check(schema, name, filter);
        synchronized (runs) {
            for (Run r : runs.values()) {
                if (r.table.equals(table) && r.active()) {
                    throw new IllegalArgumentException("a backfill of " + table + " is already under way (" + r.id + ")");
                }
            }
            String id = "backfill-" + UUID.randomUUID().toString().substring(0, 8);
            Run run = new Run(id, table, filter, total, stats.backfilledRows(table), Instant.now());
            runs.put(id, run);
            signals.add(new SignalRecord(id, "execute-snapshot", signalData(schema, name, filter), Map.of()));
            nudgeSoon(run);
            LOG.info("Backfill {} of {} requested{}: about {} rows, read in key order while streaming goes on", id, table,
                    filter == null ? "" : " (WHERE " + filter + ")", total);
            return "backfill " + id + " of " + table + (filter == null ? "" : " WHERE " + filter) + " started: about " + total
                    + " rows; progress in the log, in /metrics (cdc_backfill_*) and in /api/status";
        }
    }

    /** Every backfill since start, oldest first. */
    public List<Progress> progress() {
        List<Progress> out = new ArrayList<>();
        synchronized (runs) {
            for (Run r : runs.values()) {
                out.add(progress(r));
            }
        }
        return out;
    }

    private Progress progress(Run r) {
        long rows = r.finalRows >= 0 ? r.finalRows : stats.backfilledRows(r.table) - r.base;
        return new Progress(r.id, r.table, r.where, r.total, rows, r.state, r.started, r.finished, r.detail);
    }

    /**
     * The table exists, is published, has a primary key (Debezium reads it in key order), and the WHERE clause is one
     * Postgres accepts, in a read-only transaction (so a condition can change nothing): returns the rows to expect.
     */
    private long check(String schema, String name, String filter) {
        String table = schema + "." + name;
        try (Connection c = connect()) {
            long reltuples;
            try (PreparedStatement ps = c.prepareStatement("SELECT c.reltuples::bigint, "
                    + "EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary), "
                    + "EXISTS (SELECT 1 FROM pg_publication_tables p WHERE p.pubname = ? AND p.schemaname = n.nspname AND p.tablename = c.relname) "
                    + "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ? AND c.relkind IN ('r', 'p')")) {
                ps.setString(1, src.publication());
                ps.setString(2, schema);
                ps.setString(3, name);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new IllegalArgumentException("there is no table " + table + " in database " + src.database()
                                + " (names are case-sensitive, as in Postgres)");
                    }
                    reltuples = rs.getLong(1);
                    if (!rs.getBoolean(3)) {
                        throw new IllegalArgumentException(table + " is not captured: it is not in publication " + src.publication());
                    }
                    if (!rs.getBoolean(2)) {
                        throw new IllegalArgumentException(table + " has no primary key: a backfill reads a table in key order "
                                + "(Debezium's incremental snapshot); resync snapshots every table instead");
                    }
                }
            }
            if (filter == null && reltuples > 0) {
                return reltuples;
            }
            c.setAutoCommit(false);
            c.setReadOnly(true);
            try (Statement st = c.createStatement()) {
                st.execute("SET LOCAL statement_timeout = '120s'");
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + quote(schema) + "." + quote(name)
                        + (filter == null ? "" : " WHERE (" + filter + ")"))) {
                    rs.next();
                    return rs.getLong(1);
                }
            } catch (SQLException e) {
                throw new IllegalArgumentException("--where is not a condition Postgres accepts on " + table + ": "
                        + SourcePreflight.serverWords(e));
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot reach Postgres at " + src.host() + ":" + src.port() + " to check the backfill ("
                    + SourcePreflight.serverWords(e) + ")");
        }
    }

    /** Debezium's {@code execute-snapshot} data: the table as an anchored regex, the WHERE as its additional condition. */
    static String signalData(String schema, String name, String filter) {
        String collection = Pattern.quote(schema) + "\\." + Pattern.quote(name);
        ObjectNode d = JSON.createObjectNode();
        d.put("type", "incremental");
        d.putArray("data-collections").add(collection);
        if (filter != null) {
            ObjectNode cond = d.putArray("additional-conditions").addObject();
            cond.put("data-collection", collection);
            cond.put("filter", filter);
        }
        return d.toString();
    }

    private static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    private Connection connect() throws SQLException {
        Properties p = src.jdbcProperties();
        p.setProperty("connectTimeout", "10");
        p.setProperty("ApplicationName", "cdc-bridge-backfill-check");
        return DriverManager.getConnection(src.jdbcUrl(), p);
    }

    /**
     * Debezium's incremental snapshot notification ({@link BackfillChannel#send}): {@code STARTED},
     * {@code TABLE_SCAN_COMPLETED} (per table, with its status), {@code COMPLETED}, {@code ABORTED}.
     */
    void notified(String type, String correlationId, Map<String, String> data) {
        synchronized (runs) {
            Run run = correlationId == null ? null : runs.get(correlationId);
            switch (type) {
                case "STARTED" -> {
                    if (run != null && run.active()) {
                        run.state = "running";
                    }
                }
                case "TABLE_SCAN_COMPLETED" -> {
                    String scanned = data.getOrDefault("scanned_collection", "");
                    for (Run r : runs.values()) {
                        if (r.active() && (scanned.equals(r.table) || scanned.endsWith("." + r.table))) {
                            String status = data.getOrDefault("status", "");
                            finish(r, "SUCCEEDED".equals(status) || "EMPTY".equals(status) ? "done" : "failed",
                                    "Debezium read " + data.getOrDefault("total_rows_scanned", "?") + " rows (" + status + ")");
                        }
                    }
                }
                case "ABORTED" -> runs.values().stream().filter(Run::active)
                        .forEach(r -> finish(r, "failed", "Debezium aborted the incremental snapshot"));
                case "COMPLETED" -> runs.values().stream().filter(Run::active)
                        .forEach(r -> finish(r, "done", "incremental snapshot completed"));
                case "IN_PROGRESS" -> {
                    if (run == null && correlationId != null) {
                        resumed(correlationId, data.getOrDefault("current_collection_in_progress", ""));
                    }
                }
                default -> {
                    // PAUSED, RESUMED: the rows published say more
                }
            }
        }
    }

    /**
     * A chunk of a backfill this instance did not request: one requested before a restart (or on the instance that held
     * capture before a failover), which Debezium resumes from the position it keeps in the offsets. It is shown from
     * here on, its rows counted from now; the estimate is the table's whole size, so its % is a lower bound and its time
     * left an upper one. Debezium's collection id may lead with the database name ({@code db.schema.table}).
     */
    private void resumed(String id, String collection) {
        String[] parts = collection.split("\\.");
        if (parts.length < 2) {
            return;
        }
        String table = parts[parts.length - 2] + "." + parts[parts.length - 1];
        for (Run r : runs.values()) {
            if (r.table.equals(table) && r.active()) {
                return;
            }
        }
        Run run = new Run(id, table, null, -1, stats.backfilledRows(table), Instant.now());
        run.state = "running";
        run.detail = "resumed after a restart: rows counted from then (the % is a lower bound, the time left an upper one)";
        runs.put(id, run);
        LOG.info("Backfill {} of {} resumed where it was before the restart (Debezium keeps its position in the offsets)", id, table);
        nudgeSoon(run);
    }

    private void finish(Run r, String state, String detail) {
        r.state = state;
        r.detail = detail;
        r.finished = Instant.now();
        Progress p = progress(r);
        if (state.equals("done")) {
            r.doneUnlogged = true; // logged by the tick once the rows stop coming
        } else {
            LOG.error("Backfill {} of {} failed after {} rows: {}", r.id, r.table, p.rows(), detail);
        }
    }

    /** A progress line per tenth of the expected rows. */
    private void tick() {
        try {
            Instant now = Instant.now();
            synchronized (runs) {
                for (Run r : runs.values()) {
                    if (r.doneUnlogged) {
                        long rows = progress(r).rows();
                        if (rows == r.rowsAtLastTick) {
                            r.doneUnlogged = false;
                            LOG.info("Backfill {} of {} done: {} rows published in {} s ({})", r.id, r.table, rows,
                                    Math.max(1, Duration.between(r.started, r.finished).toSeconds()), r.detail);
                        }
                        r.rowsAtLastTick = rows;
                    }
                    if (!r.active()) {
                        continue;
                    }
                    if (r.total < 0) {
                        int dot = r.table.indexOf('.');
                        try {
                            r.total = check(r.table.substring(0, dot), r.table.substring(dot + 1), null);
                        } catch (RuntimeException e) {
                            r.total = 0; // shown as not known; the rows still count
                        }
                    }
                    Progress p = progress(r);
                    if (p.rows() > 0 && "requested".equals(r.state)) {
                        r.state = "running";
                    }
                    if (p.rows() != r.rowsAtLastMove) { // rowsAtLastMove starts at -1: the first tick sets lastMove
                        r.rowsAtLastMove = p.rows();
                        r.lastMove = now;
                    } else if (Duration.between(r.lastMove, now).compareTo(NUDGE_AFTER) >= 0) {
                        r.lastMove = now;
                        nudgeSoon(r);
                    }
                    int tenth = (int) Math.min(9, p.percent() / 10);
                    if (tenth > r.loggedTenth) {
                        r.loggedTenth = tenth;
                        long left = p.secondsLeft(now);
                        LOG.info("Backfill {} of {}: {} of about {} rows ({}%), {}", r.id, r.table, p.rows(), p.total(),
                                Math.round(p.percent()), left < 0 ? "time left not known yet" : "about " + left + " s left");
                    }
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("backfill progress: {}", e.toString());
        }
    }

    private void nudgeSoon(Run run) {
        ticker.execute(() -> nudge(run));
    }

    /**
     * Writes one transactional logical decoding message ({@value #MESSAGE_PREFIX}) to the WAL, so the stream has a
     * transaction to read. Why: after a restart Debezium looks for its stored position in the stream and reads nothing
     * else, dispatching no heartbeat to the incremental snapshot, until Postgres sends the next transaction; on an idle
     * database a backfill requested or resumed then would wait for a change that may never come (its chunk waits for
     * the stream to pass it). Any role may call {@code pg_logical_emit_message}; it changes no table, and Debezium
     * leaves the message out (CaptureRoute). Also sent when a run's rows have not grown for {@link #NUDGE_AFTER}: a
     * chunk that waits for the stream on an idle database. Called on the progress thread, never Debezium's.
     */
    private void nudge(Run run) {
        if (!run.active()) {
            return;
        }
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement("SELECT pg_logical_emit_message(true, ?, ?)")) {
            ps.setString(1, MESSAGE_PREFIX);
            ps.setString(2, "backfill " + run.id);
            ps.execute();
        } catch (SQLException e) {
            if (!run.nudgeWarned) {
                run.nudgeWarned = true;
                LOG.warn("Backfill {} of {}: could not write the logical decoding message that moves an idle stream on ({}); "
                        + "on an idle database the backfill goes on with the next change", run.id, run.table,
                        SourcePreflight.serverWords(e));
            }
        }
    }

    @Override
    public void close() {
        ticker.shutdownNow();
        BY_PREFIX.remove(prefix, this);
    }
}
