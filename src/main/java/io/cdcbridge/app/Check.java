package io.cdcbridge.app;

import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

import io.cdcbridge.bigquery.BigQueryClients;
import io.cdcbridge.capture.SourcePreflight;
import io.cdcbridge.carol.CarolConfig;
import io.cdcbridge.carol.CarolTokenCache;
import io.cdcbridge.config.BigQuerySettings;
import io.cdcbridge.config.CaptureSettings;
import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.KafkaSettings;
import io.cdcbridge.config.KafkaTopics;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SettingsCatalog;
import io.cdcbridge.config.SinkSettings;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.config.SourceSettings;

/**
 * {@code java -jar cdc-bridge.jar check}: validates the settings, then reaches each configured part the way the running
 * bridge would (docs/operations.md, "check"): Postgres (login, TLS, wal_level, the replication right, the publication),
 * Kafka (with the client settings), the BigQuery dataset, Carol's credentials. One line per part; the process exits 0
 * only when every part passes. Nothing is created or written: no slot, no topic, no table, no staging.
 */
public final class Check {

    /** One part's verdict: {@code ok   kafka: 1 broker(s), cluster ...} or {@code FAIL postgres: <what to fix>}. */
    public record Result(String part, boolean ok, String detail) {
        @Override
        public String toString() {
            return (ok ? "ok   " : "FAIL ") + part + ": " + detail;
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final Duration timeout;

    private Check(Duration timeout) {
        this.timeout = timeout;
    }

    /** Every part's result, in the order data flows; a part that is switched off is not listed. */
    public static List<Result> run(Settings settings) {
        return new Check(TIMEOUT).results(settings);
    }

    /** The same with another bound for each network part (tests). */
    static List<Result> run(Settings settings, Duration timeout) {
        return new Check(timeout).results(settings);
    }

    private List<Result> results(Settings settings) {
        List<Result> out = new ArrayList<>();
        try {
            SettingsCatalog.refuseUnknown(settings);
            SettingsCatalog.check(settings, "cdc.");
            out.add(new Result("settings", true, "every cdc.* key is known and its value valid"));
        } catch (ConfigException e) {
            out.add(new Result("settings", false, e.getMessage()));
            return out; // the parts below would only repeat the same bad value
        }
        if (settings.get(CaptureSettings.ENABLED)) {
            out.add(part("postgres", () -> postgres(settings)));
        }
        out.add(part("kafka", () -> kafka(settings)));
        boolean dryRun = settings.get(SinkSettings.DRY_RUN);
        if (Boolean.TRUE.equals(settings.get(BigQuerySettings.ENABLED))) {
            out.add(dryRun ? new Result("bigquery", true, "dry run (" + SinkSettings.DRY_RUN.key() + "=true): not reached")
                    : part("bigquery", () -> bigquery(settings)));
        }
        if (Boolean.TRUE.equals(settings.get(CarolSettings.ENABLED))) {
            out.add(dryRun ? new Result("carol", true, "dry run (" + SinkSettings.DRY_RUN.key() + "=true): not reached")
                    : part("carol", () -> carol(settings)));
        }
        return out;
    }

    private interface Probe {
        String run() throws Exception;
    }

    private static Result part(String name, Probe probe) {
        try {
            return new Result(name, true, probe.run());
        } catch (ConfigException e) {
            return new Result(name, false, e.getMessage());
        } catch (Exception | Error e) {
            return new Result(name, false, ConfigException.rootMessage(e));
        }
    }


    private static String postgres(Settings s) {
        if (!s.has(SourceSettings.HOST)) {
            throw new ConfigException(SourceSettings.HOST.key(), "is empty: check reaches a real database (the demo needs none)");
        }
        SourceConfig src = SourceConfig.from(s);
        SourcePreflight.Report report = SourcePreflight.inspect(src, Boolean.TRUE.equals(s.get(CarolSettings.ENABLED))
                && !Boolean.TRUE.equals(s.get(io.cdcbridge.config.CaptureSettings.RESELECT_UNCHANGED)));
        if (!report.ok()) {
            var problems = report.problems();
            throw new ConfigException(problems.get(0).key(), problems.get(0).line() + problems.stream().skip(1)
                    .map(p -> "; " + p).collect(java.util.stream.Collectors.joining()));
        }
        return src + ": login (ssl-mode " + src.sslMode() + "), wal_level=logical, replication right, tables readable, publication '"
                + src.publication() + "' " + (!report.publicationExists() ? "to be made by the bridge"
                + (SourcePreflight.ALL_TABLES.equals(report.publicationMode()) ? " for all tables" : "")
                : SourcePreflight.USE_AS_IS.equals(report.publicationMode()) ? "used as it is" : "kept equal to the tables");
    }

    private String kafka(Settings s) throws Exception {
        if (!s.has(KafkaSettings.BROKERS)) {
            throw new ConfigException(KafkaSettings.BROKERS.key(), "is empty: check reaches a real broker (the demo embeds one)");
        }
        KafkaConfig kafka = KafkaConfig.from(s);
        // the client settings the bridge's own clients get (cdc.kafka.client.*: TLS, SASL)
        Map<String, Object> props = kafka.clients().admin("cdc-bridge-check", timeout);
        try (Admin admin = Admin.create(props)) {
            var cluster = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()));
            int brokers = cluster.nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            String id = cluster.clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            int topics = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            return kafka.brokers() + ": " + brokers + " broker(s), cluster " + id + ", " + topics + " topic(s) visible";
        } catch (java.util.concurrent.TimeoutException e) {
            throw noAnswer(kafka);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw noAnswer(kafka);
            }
            ConfigException refused = KafkaTopics.loginRefused(kafka, e.getCause());
            throw refused != null ? refused : e;
        }
    }

    private ConfigException noAnswer(KafkaConfig kafka) {
        return new ConfigException(KafkaSettings.BROKERS.key(), "no answer from " + kafka.brokers() + " within "
                + timeout.toSeconds() + " s (the address, the listener or the security settings)");
    }

    private static String bigquery(Settings s) {
        var bq = BigQueryClients.create(s, false);
        String dataset = s.require(BigQuerySettings.DATASET);
        var found = bq.getDataset(dataset); // credentials refused or no right to read it: an exception, reported
        String name = s.get(BigQuerySettings.PROJECT) + ":" + dataset;
        return found == null ? name + " not there yet: the bridge creates it at start (that needs bigquery.datasets.create)"
                : name + " found (" + found.getLocation() + ")";
    }

    private String carol(Settings s) {
        CarolConfig config = CarolConfig.from(s);
        HttpClient http = HttpClient.newBuilder().connectTimeout(timeout).build();
        if ("apikey".equals(config.auth())) {
            return config.url() + ": API key set (Carol checks it on the first request; there is no token to fetch)";
        }
        CarolTokenCache tokens = new CarolTokenCache(config, http, Clock.systemUTC());
        tokens.token(); // never printed
        return config.tokenUri().getHost() + ": token obtained for " + config.username() + ", valid until " + tokens.expiresAt();
    }
}
