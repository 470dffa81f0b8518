package io.cdcbridge.bigquery;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.cloud.bigquery.BigQuery;
import io.cdcbridge.delivery.SinkModule;
import io.cdcbridge.delivery.DeliveryEngine;
import io.cdcbridge.delivery.DryRunClient;
import io.cdcbridge.delivery.Outcome;
import io.cdcbridge.delivery.SinkClient;
import io.cdcbridge.event.ChangeEvent;
import io.cdcbridge.config.BigQuerySettings;
import io.cdcbridge.config.OpsSettings;
import io.cdcbridge.config.SinkSettings;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.delivery.Passthrough;
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
    public static final int MAX_BATCH = BigQuerySettings.MAX_ROWS;
    public static final long MAX_REQUEST_BYTES = BigQuerySettings.MAX_REQUEST_BYTES_LIMIT;

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
        return settings.get(BigQuerySettings.ENABLED);
    }

    @Override
    public void install(Settings settings, CamelContext context) {
        Passthrough passthrough = Passthrough.from(settings);
        SinkModule.publishTopicPattern(context, name(), SinkModule.topicPattern(settings, name(), passthrough));
        if (!enabled(settings)) {
            // the route is loaded but never started: it only needs its sink to exist
            SinkModule.register(context, settings, new DeliveryEngine<>(name(), record -> List.of(),
                    (target, rows) -> Outcome.DELIVERED, SinkModule.options(settings, name(), MAX_BATCH, MAX_REQUEST_BYTES, 1), () -> null));
            SinkModule.publish(context, name(), BigQuerySettings.MAX_POLL_RECORDS.key(), String.valueOf(MAX_BATCH));
            return;
        }
        String project = settings.require(BigQuerySettings.PROJECT);
        String dataset = settings.require(BigQuerySettings.DATASET);
        int batchSize = settings.get(BigQuerySettings.BATCH_SIZE);
        long maxBytes = settings.get(BigQuerySettings.MAX_REQUEST_BYTES);
        int concurrency = settings.get(BigQuerySettings.CONCURRENCY);
        boolean dryRun = settings.get(SinkSettings.DRY_RUN);
        SinkModule.publish(context, name(), BigQuerySettings.MAX_POLL_RECORDS.key(), String.valueOf(settings.get(BigQuerySettings.MAX_POLL_RECORDS)));

        BigQueryNames names = BigQueryNames.from(settings);
        Path out = settings.get(OpsSettings.DATA_DIR).resolve("out").resolve("bigquery");
        SinkClient<BigQueryRowMapper.Row> client;
        if (dryRun) {
            client = new DryRunClient<>(out, BigQuerySink::dryRunLines);
        } else {
            BigQuery bigQuery = BigQueryClients.create(settings, false);
            BigQueryTables tables = new BigQueryTables(bigQuery, project, dataset, BigQueryTables.Layout.from(settings));
            BigQueryClient rest = new BigQueryClient(bigQuery, project, dataset, tables);
            client = "storage".equals(settings.get(BigQuerySettings.WRITE_API))
                    ? new StorageWriteClient(rest, BigQueryClients.createWrite(settings), project, dataset, tables, Duration.ofSeconds(60))
                    : rest;
            SinkClient<BigQueryRowMapper.Row> warm = client;
            Thread warmUp = new Thread(warm::warmUp, "bigquery-warm-up");
            warmUp.setDaemon(true);
            warmUp.start();
        }
        BigQueryMapper mapper = new BigQueryMapper(new BigQueryRowMapper(names, clock, settings.get(SinkSettings.TIMESTAMP_ZONE)), passthrough);
        SinkModule.register(context, settings, new DeliveryEngine<>(name(), mapper, client,
                SinkModule.options(settings, name(), batchSize, maxBytes, concurrency),
                () -> context.getRegistry().lookupByNameAndType("deadLetters", DeadLetters.class)));
        LOG.info("BigQuery sink: project {} dataset {} {} write API {}{}{}", project, dataset, names, settings.get(BigQuerySettings.WRITE_API),
                (settings.has(BigQuerySettings.ENDPOINT) ? " endpoint " + settings.get(BigQuerySettings.ENDPOINT) : "")
                        + (settings.has(BigQuerySettings.STORAGE_ENDPOINT) ? " storage endpoint " + settings.get(BigQuerySettings.STORAGE_ENDPOINT) : ""),
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
