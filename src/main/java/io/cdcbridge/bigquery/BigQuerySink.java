package io.cdcbridge.bigquery;

import java.nio.file.Path;
import java.time.Clock;

import com.google.cloud.bigquery.BigQuery;
import io.cdcbridge.app.SinkModule;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.passthrough.Passthrough;
import org.apache.camel.CamelContext;
import org.apache.camel.component.google.bigquery.GoogleBigQueryConnectionFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BigQuery sink's wiring for routes/bigquery.camel.yaml: validates the {@code cdc.bigquery.*} settings, builds the
 * BigQuery client once and gives it to camel-google-bigquery through the bean {@code bigQueryConnectionFactory}, and
 * binds the route's bean {@code bigQueryDelivery}.
 */
public final class BigQuerySink implements SinkModule {

    private static final Logger LOG = LoggerFactory.getLogger(BigQuerySink.class);
    public static final int MAX_BATCH = 500;
    public static final long MAX_REQUEST_BYTES = 10L * 1024 * 1024;

    private final Clock clock;

    public BigQuerySink() {
        this(Clock.systemUTC());
    }

    public BigQuerySink(Clock clock) {
        this.clock = clock;
    }

    /** The topics this sink reads ({@link SinkModule#topicPattern}). */
    static String topicPattern(Settings settings) {
        return SinkModule.topicPattern(settings, "bigquery", Passthrough.from(settings));
    }

    @Override
    public String name() {
        return "bigquery";
    }

    @Override
    public boolean enabled(Settings settings) {
        return settings.getBool("cdc.bigquery.enabled", settings.has("cdc.bigquery.project"));
    }

    @Override
    public void install(Settings settings, CamelContext context) {
        Passthrough passthrough = Passthrough.from(settings);
        SinkModule.publishTopicPattern(context, name(), SinkModule.topicPattern(settings, name(), passthrough));
        if (!enabled(settings)) {
            // the route is loaded but never started: its beans only need to exist
            // (a client that never calls out: the endpoint builds a default one, with credentials, when given none)
            context.getRegistry().bind("bigQueryConnectionFactory", new GoogleBigQueryConnectionFactory(
                    com.google.cloud.bigquery.BigQueryOptions.newBuilder().setProjectId("disabled")
                            .setCredentials(com.google.cloud.NoCredentials.getInstance()).build().getService()));
            context.getRegistry().bind("bigQueryDelivery", new BigQueryDelivery(BigQueryNames.from(settings), null, null,
                    MAX_BATCH, MAX_REQUEST_BYTES, true, Path.of("."), () -> null));
            context.getRegistry().bind("bigQuerySenders", senders(1));
            context.getRegistry().bind("requestOutcomes", new io.cdcbridge.delivery.RequestOutcomes());
            SinkModule.publish(context, name(), "cdc.bigquery.max-poll-records", String.valueOf(MAX_BATCH));
            return;
        }
        String project = settings.require("cdc.bigquery.project");
        if (!project.matches("[a-z][a-z0-9.:-]{1,62}[a-z0-9]|[a-z0-9-]+")) {
            throw new ConfigException("cdc.bigquery.project", "is not a Google Cloud project id: '" + project + "'");
        }
        String dataset = settings.require("cdc.bigquery.dataset");
        if (!dataset.matches("[A-Za-z0-9_]{1,1024}")) {
            throw new ConfigException("cdc.bigquery.dataset", "must contain only letters, digits and underscores, got '" + dataset + "'");
        }
        int batchSize = settings.getInt("cdc.bigquery.batch-size", MAX_BATCH, 1, MAX_BATCH);
        long maxBytes = settings.getLong("cdc.bigquery.max-request-bytes", 9_000_000L, 1024, MAX_REQUEST_BYTES);
        long timeout = settings.getLong("cdc.bigquery.batch-timeout-ms", 100);
        if (timeout < 1) {
            throw new ConfigException("cdc.bigquery.batch-timeout-ms", "must be a positive number of milliseconds");
        }
        SinkModule.consumers(settings, name());
        int concurrency = settings.getInt("cdc.bigquery.concurrency", 4, 1, 64);
        int pollRecords = settings.getInt("cdc.bigquery.max-poll-records", batchSize * concurrency, 1, Integer.MAX_VALUE);
        boolean dryRun = settings.getBool("cdc.sink.dry-run", false);

        context.getRegistry().bind("bigQuerySenders", senders(concurrency));
        context.getRegistry().bind("requestOutcomes", new io.cdcbridge.delivery.RequestOutcomes());
        SinkModule.publish(context, name(), "cdc.bigquery.max-poll-records", String.valueOf(pollRecords));
        BigQueryNames names = BigQueryNames.from(settings);
        BigQuery client = BigQueryClients.create(settings, dryRun);
        context.getRegistry().bind("bigQueryConnectionFactory", new GoogleBigQueryConnectionFactory(BigQueryFailures.reporting(client)));
        BigQueryTables tables = dryRun ? null : new BigQueryTables(client, project, dataset);
        Path out = Path.of(settings.get("cdc.data-dir", "data")).resolve("out").resolve("bigquery");
        context.getRegistry().bind("bigQueryDelivery", new BigQueryDelivery(names, new BigQueryRowMapper(names, clock, settings.getZone("cdc.sink.timestamp-zone")), tables,
                batchSize, maxBytes, dryRun, out,
                () -> context.getRegistry().lookupByNameAndType("deadLetters", DeadLetters.class))
                .passthrough(passthrough));
        LOG.info("BigQuery sink: project {} dataset {} {}{}{}", project, dataset, names,
                settings.has("cdc.bigquery.endpoint") ? " endpoint " + settings.get("cdc.bigquery.endpoint", "") : "",
                dryRun ? " (dry run: rows written to " + out + ")" : "");
    }

    /** The threads a batch's insertAll requests go out on, side by side (routes/bigquery.camel.yaml). */
    private static java.util.concurrent.ExecutorService senders(int threads) {
        return java.util.concurrent.Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "bigquery-sender");
            t.setDaemon(true);
            return t;
        });
    }
}
