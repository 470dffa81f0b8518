package io.cdcbridge.demo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the demo alive: a few row changes per second on {@code "Sales"}, like the POC's generator (book 1–7, type
 * 1–4, user 1–3, value 20–199, dates up to 254 days back), plus an occasional update and delete.
 */
public final class SalesGenerator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(SalesGenerator.class);

    private final Supplier<Connection> connections;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "demo-sales-generator");
        t.setDaemon(true);
        return t;
    });
    private Connection conn;
    private long tick;

    public SalesGenerator(Supplier<Connection> connections) {
        this.connections = connections;
    }

    /** Starts about {@code perSecond} changes a second. */
    public SalesGenerator start(int perSecond) {
        if (perSecond > 0) {
            timer.scheduleAtFixedRate(this::step, 1000, Math.max(1, 1000 / perSecond), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    private void step() {
        try {
            if (conn == null || conn.isClosed()) {
                conn = connections.get();
            }
            ThreadLocalRandom r = ThreadLocalRandom.current();
            long n = tick++;
            if (n % 10 == 7) {
                try (PreparedStatement ps = conn.prepareStatement(
                        "UPDATE \"Sales\" SET \"Value\" = ? WHERE \"SaleId\" = (SELECT max(\"SaleId\") FROM \"Sales\")")) {
                    ps.setDouble(1, 20 + r.nextInt(180) + r.nextInt(100) / 100.0);
                    ps.executeUpdate();
                }
            } else if (n % 20 == 13) {
                try (PreparedStatement ps = conn.prepareStatement(
                        "DELETE FROM \"Sales\" WHERE \"SaleId\" = (SELECT min(\"SaleId\") FROM \"Sales\")")) {
                    ps.executeUpdate();
                }
            } else {
                try (PreparedStatement ps = conn.prepareStatement("INSERT INTO \"Sales\" (\"BookId\", \"BookTypeId\", \"UserId\", \"Value\", \"EntryDateTime\") "
                        + "VALUES (?, ?, ?, ?, now() - make_interval(days => ?))")) {
                    ps.setInt(1, 1 + r.nextInt(7));
                    ps.setInt(2, 1 + r.nextInt(4));
                    ps.setInt(3, 1 + r.nextInt(3));
                    ps.setDouble(4, 20 + r.nextInt(180) + r.nextInt(100) / 100.0);
                    ps.setInt(5, r.nextInt(255));
                    ps.executeUpdate();
                }
            }
        } catch (SQLException | RuntimeException e) {
            LOG.debug("sales generator step failed (will retry): {}", e.getMessage());
            closeQuietly();
        }
    }

    private void closeQuietly() {
        try {
            if (conn != null) {
                conn.close();
            }
        } catch (SQLException ignored) {
            // reconnects next step
        }
        conn = null;
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeQuietly();
    }
}
