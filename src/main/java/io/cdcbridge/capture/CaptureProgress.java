package io.cdcbridge.capture;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.cdcbridge.config.CaptureSettings;
import io.cdcbridge.config.SourceConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One status line at most every 5 s while events flow (per table counts, rate, the replication slot's lag in bytes),
 * and one a minute when idle. Also keeps the last measured slot lag for metrics.
 */
public final class CaptureProgress implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureProgress.class);
    private static final long IDLE_EVERY_MS = 60_000;

    private final CaptureStats stats;
    private final SourceConfig source;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "capture-progress");
        t.setDaemon(true);
        return t;
    });
    private Connection conn;
    private long lastTotal;
    private long lastAt = System.currentTimeMillis();
    private long lastLogAt;
    private volatile long slotLagBytes = -1;
    private final java.util.concurrent.CompletableFuture<Void> streaming = new java.util.concurrent.CompletableFuture<>();

    private final long lagWarnBytes;
    private boolean lagWarned;

    public CaptureProgress(CaptureStats stats, SourceConfig source, long lagWarnBytes) {
        this.stats = stats;
        this.source = source;
        this.lagWarnBytes = lagWarnBytes;
    }

    public CaptureProgress start(long periodMs) {
        timer.scheduleAtFixedRate(this::tick, periodMs, periodMs, TimeUnit.MILLISECONDS);
        return this;
    }

    /**
     * Logs once when the engine streams from the slot, with the time since JVM start (the figure bench/capture.sh
     * reports), and completes {@link #streaming()}.
     */
    public CaptureProgress watchStreaming(String topicPrefix) {
        java.util.concurrent.ScheduledFuture<?>[] self = new java.util.concurrent.ScheduledFuture<?>[1];
        self[0] = timer.scheduleWithFixedDelay(() -> {
            if (!streaming.isDone() && CaptureReadiness.streaming(topicPrefix)) {
                LOG.info("Streaming changes from slot {} ({} ms after JVM start)", source.slot(),
                        java.lang.management.ManagementFactory.getRuntimeMXBean().getUptime());
                streaming.complete(null);
                self[0].cancel(false);
            }
        }, 20, 20, TimeUnit.MILLISECONDS);
        return this;
    }

    /** Completes once the snapshot is done and changes stream from the slot. */
    public java.util.concurrent.CompletableFuture<Void> streaming() {
        return streaming;
    }

    /** Bytes of WAL the slot still holds back (-1 if unknown). */
    public long slotLagBytes() {
        return slotLagBytes;
    }

    private void tick() {
        long now = System.currentTimeMillis();
        long total = stats.total();
        slotLagBytes = measureLag();
        if (slotLagBytes > lagWarnBytes && !lagWarned) {
            LOG.warn("Replication slot {} holds {} MiB of WAL (above {}): Postgres cannot recycle it until capture catches up",
                    source.slot(), slotLagBytes / (1024 * 1024), CaptureSettings.SLOT_LAG_WARN_BYTES.key());
            lagWarned = true;
        } else if (lagWarned && slotLagBytes >= 0 && slotLagBytes < lagWarnBytes / 2) {
            LOG.info("Replication slot {} lag back to {} MiB", source.slot(), slotLagBytes / (1024 * 1024));
            lagWarned = false;
        }
        long delta = total - lastTotal;
        if (delta == 0 && now - lastLogAt < IDLE_EVERY_MS) {
            return;
        }
        double rate = delta * 1000.0 / Math.max(1, now - lastAt);
        Map<String, Long> perTable = stats.perTable();
        LOG.info("{} {} events captured (+{}, {}/s){}; slot lag {}", stats.snapshotting() ? "Snapshot:" : "Streaming:",
                total, delta, Math.round(rate), perTable.isEmpty() ? "" : " " + perTable,
                slotLagBytes < 0 ? "unknown" : slotLagBytes + " bytes");
        lastTotal = total;
        lastAt = now;
        lastLogAt = now;
    }

    private long measureLag() {
        try {
            if (conn == null || conn.isClosed()) {
                Properties p = source.jdbcProperties();
                p.setProperty("connectTimeout", "5");
                p.setProperty("ApplicationName", "cdc-bridge-progress");
                conn = DriverManager.getConnection(source.jdbcUrl(), p);
            }
            try (PreparedStatement ps = conn.prepareStatement(
                    "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = ?")) {
                ps.setString(1, source.slot());
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : -1;
                }
            }
        } catch (SQLException e) {
            closeConnection();
            return -1;
        }
    }

    private void closeConnection() {
        try {
            if (conn != null) {
                conn.close();
            }
        } catch (SQLException ignored) {
            // best effort
        }
        conn = null;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        closeConnection();
    }
}
