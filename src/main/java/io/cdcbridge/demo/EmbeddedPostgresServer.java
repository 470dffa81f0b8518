package io.cdcbridge.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL server (zonky binaries) with logical decoding on: the demo's database, and the tests' shared one.
 * The data directory is kept, so {@link #stop()} then {@link #start()} is a Postgres restart on the same port.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);

    private final Path dataDir;
    private final int port;
    private EmbeddedPostgres pg;
    private Path certFile;
    private Path keyFile;
    private List<String> hbaRules = List.of();

    public EmbeddedPostgresServer(Path dataDir, int port) {
        this.dataDir = dataDir;
        this.port = port == 0 ? EmbeddedKafkaBroker.freePort() : port;
    }

    /**
     * Serves TLS too (tests of managed-Postgres setups): the server's certificate and key (PEM; the key readable by its
     * owner only, as Postgres insists), and pg_hba.conf lines that come before the usual ones (trust on loopback), e.g.
     * {@code hostssl all +tls_only 127.0.0.1/32 scram-sha-256} and {@code host all +tls_only 127.0.0.1/32 reject}, so
     * chosen roles must use TLS and a password while every other role connects as before. Call before {@link #start()}.
     */
    public synchronized EmbeddedPostgresServer withTls(Path certFile, Path keyFile, List<String> hbaRules) {
        this.certFile = certFile.toAbsolutePath();
        this.keyFile = keyFile.toAbsolutePath();
        this.hbaRules = List.copyOf(hbaRules);
        return this;
    }

    public synchronized EmbeddedPostgresServer start() {
        if (pg != null) {
            return this;
        }
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(dataDir);
            EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
            if (certFile != null) {
                // hba_file, a start-time setting, names our own file: initdb's pg_hba.conf in the data directory is
                // written during the first start, too late to edit without a restart
                Path hba = dataDir.resolveSibling(dataDir.getFileName() + "-pg_hba.conf");
                List<String> lines = new ArrayList<>(hbaRules);
                lines.addAll(List.of("local all all trust", "host all all 127.0.0.1/32 trust", "host all all ::1/128 trust",
                        "local replication all trust", "host replication all 127.0.0.1/32 trust", "host replication all ::1/128 trust"));
                Files.write(hba, lines);
                builder.setServerConfig("ssl", "on")
                        .setServerConfig("ssl_cert_file", certFile.toString())
                        .setServerConfig("ssl_key_file", keyFile.toString())
                        .setServerConfig("hba_file", hba.toAbsolutePath().toString());
            }
            pg = builder
                    .setDataDirectory(dataDir)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setPGStartupWait(Duration.ofSeconds(60))
                    .setServerConfig("wal_level", "logical")
                    .setServerConfig("max_wal_senders", "40")
                    .setServerConfig("max_replication_slots", "80")
                    .setServerConfig("max_connections", "200")
                    .setServerConfig("fsync", "off")
                    .setServerConfig("synchronous_commit", "off")
                    .setServerConfig("full_page_writes", "off")
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("embedded Postgres did not start: " + e.getMessage(), e);
        }
        LOG.info("Embedded Postgres on 127.0.0.1:{} ({} ms, data in {}{})", port, (System.nanoTime() - t0) / 1_000_000, dataDir,
                certFile == null ? "" : ", TLS on");
        return this;
    }

    public int port() {
        return port;
    }

    public String host() {
        return "127.0.0.1";
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** A connection as the superuser {@code postgres} (no password: the embedded server trusts loopback). */
    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), "postgres", "");
    }

    /** Creates a database if it is not there yet. */
    public void createDatabase(String name) {
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            var rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name.replace("'", "''") + "'");
            if (!rs.next()) {
                st.execute("CREATE DATABASE \"" + name.replace("\"", "\"\"") + "\"");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
        }
    }

    public synchronized void stop() {
        if (pg != null) {
            try {
                pg.close();
            } catch (IOException e) {
                LOG.warn("embedded Postgres did not stop cleanly: {}", e.getMessage());
            }
            pg = null;
            LOG.info("Embedded Postgres stopped");
        }
    }

    /**
     * Restarts the server (tests of capture resilience). Client connections, the replication stream included, are
     * cut first: a fast shutdown otherwise waits on the walsender.
     */
    public synchronized void restart() {
        try (Connection c = connect("postgres"); var st = c.createStatement()) {
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type IN ('client backend', 'walsender')");
        } catch (SQLException e) {
            LOG.warn("could not cut connections before the restart: {}", e.getMessage());
        }
        stop();
        start();
    }

    public synchronized boolean running() {
        return pg != null;
    }

    @Override
    public void close() {
        stop();
    }
}
