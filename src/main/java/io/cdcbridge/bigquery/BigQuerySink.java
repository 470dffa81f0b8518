package io.cdcbridge.bigquery;

import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.cloud.bigquery.BigQuery;
import io.cdcbridge.app.SinkModule;
import io.cdcbridge.delivery.DeliveryEngine;
import io.cdcbridge.delivery.DryRunClient;
import io.cdcbridge.delivery.Outcome;
import io.cdcbridge.delivery.SinkClient;
import io.cdcbridge.event.ChangeEvent;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.passthrough.Passthrough;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BigQuery sink's wiring: validates the {@code cdc.bigquery.*} settings and registers the engine that the
 * {@code sink:bigquery} step of routes/bigquery.camel.yaml calls, made of {@link BigQueryMapper} (ChangeEvent or
 * passthrough record → changelog rows) and {@link BigQueryClient} (tables, insertAll) or, in a dry run, a
 * {@link DryRunClient}.
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
            // the route is loaded but never started: it only needs its sink to exist
            SinkModule.register(context, settings, new DeliveryEngine<>(name(), record -> List.of(),
                    (target, rows) -> Outcome.DELIVERED, SinkModule.options(settings, name(), MAX_BATCH, MAX_REQUEST_BYTES, 1), () -> null));
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
        SinkModule.publish(context, name(), "cdc.bigquery.max-poll-records", String.valueOf(pollRecords));

        BigQueryNames names = BigQueryNames.from(settings);
        Path out = Path.of(settings.get("cdc.data-dir", "data")).resolve("out").resolve("bigquery");
        SinkClient<BigQueryRowMapper.Row> client;
        if (dryRun) {
            client = new DryRunClient<>(out, BigQuerySink::dryRunLines);
        } else {
            BigQuery bigQuery = BigQueryClients.create(settings, false);
            client = new BigQueryClient(bigQuery, project, dataset, new BigQueryTables(bigQuery, project, dataset));
        }
        BigQueryMapper mapper = new BigQueryMapper(new BigQueryRowMapper(names, clock, settings.getZone("cdc.sink.timestamp-zone")), passthrough);
        SinkModule.register(context, settings, new DeliveryEngine<>(name(), mapper, client,
                SinkModule.options(settings, name(), batchSize, maxBytes, concurrency),
                () -> context.getRegistry().lookupByNameAndType("deadLetters", DeadLetters.class)));
        LOG.info("BigQuery sink: project {} dataset {} {}{}{}", project, dataset, names,
                settings.has("cdc.bigquery.endpoint") ? " endpoint " + settings.get("cdc.bigquery.endpoint", "") : "",
                dryRun ? " (dry run: rows written to " + out + ")" : "");
    }

    /** Dry run: each row as insertAll would send it, one JSON line per row. */
    static String dryRunLines(List<BigQueryRowMapper.Row> rows) {
        StringBuilder lines = new StringBuilder();
        for (BigQueryRowMapper.Row r : rows) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("insertId", r.insertId());
            line.put("json", r.values());
            try {
                lines.append(ChangeEvent.JSON.writeValueAsString(line)).append('\n');
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
        return lines.toString();
    }
}
