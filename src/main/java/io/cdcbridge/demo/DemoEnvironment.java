package io.cdcbridge.demo;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cdcbridge.app.Demo;
import io.cdcbridge.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded demo: when {@code cdc.source.host} is empty (and capture runs) it runs a Postgres with the bookstore
 * and a sales generator; when {@code cdc.kafka.brokers} is empty it runs a KRaft broker. The bridge finds this class
 * only through {@link Demo} (ServiceLoader, {@code META-INF/services/io.cdcbridge.app.Demo}) and only when the
 * settings ask for it; nothing else refers to this package, so the production jar is built without it.
 */
public final class DemoEnvironment implements Demo {

    private static final Logger LOG = LoggerFactory.getLogger(DemoEnvironment.class);

    private final List<AutoCloseable> started = new ArrayList<>();
    private final Map<String, String> overrides = new HashMap<>();
    private final List<String> banner = new ArrayList<>();

    @Override
    public Settings start(Settings s) {
        Path data = Path.of(s.get("cdc.data-dir", "data"));
        // the same rule as Demo.askedBy: an instance that only delivers needs no database
        boolean demoDb = !s.has("cdc.source.host") && s.getBool("cdc.capture.enabled", true);
        if (demoDb) {
            EmbeddedPostgresServer pg = new EmbeddedPostgresServer(data.resolve("postgres"), s.getPort("cdc.demo.postgres-port", 5433)).start();
            started.add(pg);
            String db = s.get("cdc.source.database", "postgres");
            pg.createDatabase(db);
            try (Connection c = pg.connect(db)) {
                if (Bookstore.install(c, true)) {
                    LOG.info("Loaded the bookstore schema and seed rows into the embedded database '{}'", db);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot load the bookstore into the embedded Postgres: " + e.getMessage(), e);
            }
            overrides.put("cdc.source.host", pg.host());
            overrides.put("cdc.source.port", String.valueOf(pg.port()));
            overrides.put("cdc.source.user", "postgres");
            overrides.put("cdc.source.password", "postgres"); // the embedded server trusts loopback; any password works
            int rate = s.getInt("cdc.demo.generator-rate", 5);
            started.add(new SalesGenerator(() -> {
                try {
                    return pg.connect(db);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }).start(rate));
            // The demo shows what each sink would send without a cloud account: sinks run in dry run.
            if (!s.has("cdc.sink.dry-run")) {
                overrides.put("cdc.sink.dry-run", "true");
                banner.add("Sinks:    DRY RUN, what would be sent is written under " + data.resolve("out")
                        + ". Set cdc.sink.dry-run=false to deliver.");
            }
            if (!s.has("cdc.bigquery.project") && s.getBool("cdc.bigquery.enabled", true)) {
                overrides.put("cdc.bigquery.enabled", "true");
                overrides.put("cdc.bigquery.project", "cdc-bridge-demo");
                overrides.put("cdc.bigquery.dataset", "bookstore");
                banner.add("BigQuery: demo project (rows in " + data.resolve("out/bigquery")
                        + "). Set cdc.bigquery.project, cdc.bigquery.dataset and cdc.bigquery.keyfile for yours.");
            }
            if (!s.has("cdc.carol.url") && s.getBool("cdc.carol.enabled", true)) {
                overrides.put("cdc.carol.enabled", "true");
                overrides.put("cdc.carol.url", "https://demo.carol.ai");
                overrides.put("cdc.carol.connector-id", "demo");
                overrides.put("cdc.carol.auth", "apikey");
                overrides.put("cdc.carol.api-key", "demo");
                banner.add("Carol:    demo tenant (request bodies in " + data.resolve("out/carol")
                        + "). Set cdc.carol.url, cdc.carol.connector-id and the credentials for yours.");
            }
            banner.add("Postgres: EMBEDDED at 127.0.0.1:" + pg.port() + " (database " + db + ", bookstore tables, sales generator "
                    + rate + " changes/s). Set cdc.source.host (CDC_SOURCE_HOST) to capture your own database.");
        }
        if (!demoDb && s.getBool("cdc.demo.bookstore", false)) {
            // docker-compose: the bookstore and the generator on a real Postgres, so the full stack has traffic
            String url = "jdbc:postgresql://" + s.require("cdc.source.host") + ":" + s.getPort("cdc.source.port", 5432)
                    + "/" + s.get("cdc.source.database", "postgres");
            java.util.Properties p = new java.util.Properties();
            p.setProperty("user", s.get("cdc.source.user", "postgres"));
            p.setProperty("password", s.get("cdc.source.password", ""));
            java.util.function.Supplier<Connection> connections = () -> {
                try {
                    return java.sql.DriverManager.getConnection(url, p);
                } catch (SQLException e) {
                    throw new IllegalStateException("demo generator: " + e.getMessage(), e);
                }
            };
            try (Connection c = connections.get()) {
                if (Bookstore.install(c, true)) {
                    LOG.info("Loaded the bookstore schema and seed rows into {}", s.get("cdc.source.database", "postgres"));
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot load the bookstore (cdc.demo.bookstore=true): " + e.getMessage(), e);
            }
            int rate = s.getInt("cdc.demo.generator-rate", 5);
            started.add(new SalesGenerator(connections).start(rate));
            banner.add("Generator: " + rate + " changes/s on the bookstore tables of " + s.get("cdc.source.host", "") + " (cdc.demo.bookstore=true).");
        }
        if (!s.has("cdc.kafka.brokers")) {
            EmbeddedKafkaBroker kafka = new EmbeddedKafkaBroker(data.resolve("kafka"), s.getPort("cdc.demo.kafka-port", 9092)).start();
            started.add(0, kafka); // stopped last
            overrides.put("cdc.kafka.brokers", kafka.bootstrapServers());
            banner.add("Kafka:    EMBEDDED KRaft broker at " + kafka.bootstrapServers()
                    + ". Set cdc.kafka.brokers (CDC_KAFKA_BROKERS) to use your cluster.");
        }
        if (!banner.isEmpty() && active()) {
            String line = "=".repeat(100);
            LOG.info("\n{}\n cdc-bridge DEMO MODE - nothing here touches a real database, broker or cloud\n {}\n{}",
                    line, String.join("\n ", banner), line);
        }
        return s.with(overrides);
    }

    /** Whether an embedded server runs (the generator alone on a real database is not the demo). */
    private boolean active() {
        return started.stream().anyMatch(c -> c instanceof EmbeddedPostgresServer || c instanceof EmbeddedKafkaBroker);
    }

    /** Stops the generator, then Postgres, then the broker. */
    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            try {
                started.get(i).close();
            } catch (Exception e) {
                LOG.warn("demo shutdown: {}", e.toString());
            }
        }
        started.clear();
    }
}
