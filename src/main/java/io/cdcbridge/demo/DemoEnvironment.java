package io.cdcbridge.demo;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cdcbridge.app.Demo;
import io.cdcbridge.config.BigQuerySettings;
import io.cdcbridge.config.CaptureSettings;
import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.config.DemoSettings;
import io.cdcbridge.config.KafkaSettings;
import io.cdcbridge.config.OpsSettings;
import io.cdcbridge.config.Setting;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SinkSettings;
import io.cdcbridge.config.SourceSettings;
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
        Path data = s.get(OpsSettings.DATA_DIR);
        // the same rule as Demo.askedBy: an instance that only delivers needs no database
        boolean demoDb = !s.has(SourceSettings.HOST) && s.get(CaptureSettings.ENABLED);
        if (demoDb) {
            EmbeddedPostgresServer pg = new EmbeddedPostgresServer(data.resolve("postgres"), s.get(DemoSettings.POSTGRES_PORT)).start();
            started.add(pg);
            String db = s.get(SourceSettings.DATABASE);
            pg.createDatabase(db);
            try (Connection c = pg.connect(db)) {
                if (Bookstore.install(c, true)) {
                    LOG.info("Loaded the bookstore schema and seed rows into the embedded database '{}'", db);
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot load the bookstore into the embedded Postgres: " + e.getMessage(), e);
            }
            overrides.put(SourceSettings.HOST.key(), pg.host());
            overrides.put(SourceSettings.PORT.key(), String.valueOf(pg.port()));
            overrides.put(SourceSettings.USER.key(), "postgres");
            overrides.put(SourceSettings.PASSWORD.key(), "postgres"); // the embedded server trusts loopback; any password works
            int rate = s.get(DemoSettings.GENERATOR_RATE);
            started.add(new SalesGenerator(() -> {
                try {
                    return pg.connect(db);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            }).start(rate));
            // The demo shows what each sink would send without a cloud account: sinks run in dry run.
            if (!s.has(SinkSettings.DRY_RUN)) {
                overrides.put(SinkSettings.DRY_RUN.key(), "true");
                banner.add("Sinks:    DRY RUN, what would be sent is written under " + data.resolve("out")
                        + ". Set " + SinkSettings.DRY_RUN.key() + "=false to deliver.");
            }
            // trying routes out is what the demo is for; in production hot reload is off unless asked (OpsSettings)
            if (!s.has(OpsSettings.ROUTES_RELOAD)) {
                overrides.put(OpsSettings.ROUTES_RELOAD.key(), "true");
                banner.add("Routes:   hot reload ON: saving a routes/*.camel.yaml file replaces its routes. Off outside the demo.");
            }
            // a demo target for each sink not configured, unless the sink is switched off (its own default would be off)
            if (!s.has(BigQuerySettings.PROJECT) && notSwitchedOff(s, BigQuerySettings.ENABLED)) {
                overrides.put(BigQuerySettings.ENABLED.key(), "true");
                overrides.put(BigQuerySettings.PROJECT.key(), "cdc-bridge-demo");
                overrides.put(BigQuerySettings.DATASET.key(), "bookstore");
                banner.add("BigQuery: demo project (rows in " + data.resolve("out/bigquery") + "). Set "
                        + BigQuerySettings.PROJECT.key() + ", " + BigQuerySettings.DATASET.key() + " and "
                        + BigQuerySettings.KEYFILE.key() + " for yours.");
            }
            if (!s.has(CarolSettings.URL) && notSwitchedOff(s, CarolSettings.ENABLED)) {
                overrides.put(CarolSettings.ENABLED.key(), "true");
                overrides.put(CarolSettings.URL.key(), "https://demo.carol.ai");
                overrides.put(CarolSettings.CONNECTOR_ID.key(), "demo");
                overrides.put(CarolSettings.AUTH.key(), "apikey");
                overrides.put(CarolSettings.API_KEY.key(), "demo");
                banner.add("Carol:    demo tenant (request bodies in " + data.resolve("out/carol") + "). Set "
                        + CarolSettings.URL.key() + ", " + CarolSettings.CONNECTOR_ID.key() + " and the credentials for yours.");
            }
            banner.add("Postgres: EMBEDDED at 127.0.0.1:" + pg.port() + " (database " + db + ", bookstore tables, sales generator "
                    + rate + " changes/s). Set " + SourceSettings.HOST.key() + " (" + Settings.envName(SourceSettings.HOST.key())
                    + ") to capture your own database.");
        }
        if (!demoDb && s.get(DemoSettings.BOOKSTORE)) {
            // docker-compose: the bookstore and the generator on a real Postgres, so the full stack has traffic
            // the same connection as capture's, TLS included (cdc.source.ssl-*)
            io.cdcbridge.config.SourceConfig source = io.cdcbridge.config.SourceConfig.from(s);
            String url = source.jdbcUrl();
            java.util.Properties p = source.jdbcProperties();
            java.util.function.Supplier<Connection> connections = () -> {
                try {
                    return java.sql.DriverManager.getConnection(url, p);
                } catch (SQLException e) {
                    throw new IllegalStateException("demo generator: " + e.getMessage(), e);
                }
            };
            try (Connection c = connections.get()) {
                if (Bookstore.install(c, true)) {
                    LOG.info("Loaded the bookstore schema and seed rows into {}", s.get(SourceSettings.DATABASE));
                }
            } catch (SQLException e) {
                throw new IllegalStateException("cannot load the bookstore (" + DemoSettings.BOOKSTORE.key() + "=true): " + e.getMessage(), e);
            }
            int rate = s.get(DemoSettings.GENERATOR_RATE);
            started.add(new SalesGenerator(connections).start(rate));
            banner.add("Generator: " + rate + " changes/s on the bookstore tables of " + s.get(SourceSettings.HOST)
                    + " (" + DemoSettings.BOOKSTORE.key() + "=true).");
        }
        if (!s.has(KafkaSettings.BROKERS)) {
            EmbeddedKafkaBroker kafka = new EmbeddedKafkaBroker(data.resolve("kafka"), s.get(DemoSettings.KAFKA_PORT)).start();
            started.add(0, kafka); // stopped last
            overrides.put(KafkaSettings.BROKERS.key(), kafka.bootstrapServers());
            banner.add("Kafka:    EMBEDDED KRaft broker at " + kafka.bootstrapServers() + ". Set " + KafkaSettings.BROKERS.key()
                    + " (" + Settings.envName(KafkaSettings.BROKERS.key()) + ") to use your cluster.");
        }
        if ((demoDb || s.get(DemoSettings.BOOKSTORE)) && !s.under(CarolSettings.CROSSWALK).containsKey("public.Sales")) {
            // the bookstore's Sales has no primary key: its Carol staging is keyed by SaleId (docs/carol.md)
            overrides.put(CarolSettings.CROSSWALK.key("public.Sales"), "SaleId");
        }
        if (!banner.isEmpty() && active()) {
            String line = "=".repeat(100);
            LOG.info("\n{}\n cdc-bridge DEMO MODE - nothing here touches a real database, broker or cloud\n {}\n{}",
                    line, String.join("\n ", banner), line);
        }
        return s.with(overrides);
    }

    /** Not set to false: the demo gives the sink a target even where the sink's own default leaves it off. */
    private static boolean notSwitchedOff(Settings s, Setting<Boolean> enabled) {
        return !s.has(enabled) || s.get(enabled);
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
