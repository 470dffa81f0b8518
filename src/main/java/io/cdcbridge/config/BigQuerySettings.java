package io.cdcbridge.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** The BigQuery sink: {@code cdc.bigquery.*} (docs/bigquery.md). */
public final class BigQuerySettings {

    public static final SettingsArea AREA = new SettingsArea("BigQuery sink (`cdc.bigquery.*`)",
            "One changelog table per source table, loaded with insertAll or the Storage Write API ([docs/bigquery.md](bigquery.md)).");

    /** insertAll's limits: rows and bytes per request. */
    public static final int MAX_ROWS = 500;
    public static final long MAX_REQUEST_BYTES_LIMIT = 10L * 1024 * 1024;

    public static final Setting<String> PROJECT = AREA.declare(Setting.string("cdc.bigquery.project")
            .matching("[a-z][a-z0-9.:-]{1,62}[a-z0-9]|[a-z0-9-]+", "is not a Google Cloud project id")
            .requiredWhen("the sink is enabled")
            .describe("Google Cloud project; setting it enables the sink"));

    public static final Setting<Boolean> ENABLED = AREA.declare(Setting.bool("cdc.bigquery.enabled")
            .defaultFrom(s -> s.has(PROJECT), "`true` when `cdc.bigquery.project` is set")
            .describe("run the sink"));

    public static final Setting<String> DATASET = AREA.declare(Setting.string("cdc.bigquery.dataset")
            .matching("[A-Za-z0-9_]{1,1024}", "must contain only letters, digits and underscores")
            .requiredWhen("the sink is enabled")
            .describe("dataset, created if missing"));

    public static final Setting<Path> KEYFILE = AREA.declare(Setting.path("cdc.bigquery.keyfile")
            .defaultText("*(application default credentials)*")
            .describe("service-account JSON key file; empty: application default credentials (none with `endpoint` or in a dry run)"));

    public static final Setting<URI> ENDPOINT = AREA.declare(Setting.string("cdc.bigquery.endpoint")
            .as("URL", BigQuerySettings::httpUrl, URI::toString)
            .describe("API root override (an emulator or a fake), e.g. `http://localhost:9050`"));

    public static final Setting<String> WRITE_API = AREA.declare(Setting.choice("cdc.bigquery.write-api", "storage",
                    "insertall", "storage")
            .describe("how rows are written: `storage` (the Storage Write API's default stream over gRPC, at least once; "
                    + "Google's recommended path, and cheaper: billed per byte with 2 TiB a month free, where insertAll "
                    + "bills every row as at least 1 KB) or `insertall` (tabledata.insertAll, REST, deduplicated by insertId "
                    + "for about a minute; the fallback where gRPC cannot pass, or for an emulator without it). "
                    + "docs/bigquery.md, Write paths. Tables are managed over REST either way"));

    public static final Setting<String> STORAGE_ENDPOINT = AREA.declare(Setting.string("cdc.bigquery.storage-endpoint")
            .matching("\\[?[A-Za-z0-9.:_-]+]?:[0-9]{1,5}", "must be host:port, e.g. 127.0.0.1:9060")
            .defaultText("*(bigquerystorage.googleapis.com:443)*")
            .describe("Storage Write API endpoint override, `host:port` (an emulator or a fake). A loopback host "
                    + "(localhost, 127.x, ::1) is spoken to in plaintext and without credentials; any other host only "
                    + "over TLS with the configured credentials: plaintext never leaves the machine"));

    public static final Setting<List<String>> TABLES = AREA.declare(SinkSettings.tableList("cdc.bigquery.tables",
            "include list `schema.table,…`; empty: all captured tables").defaultText("*(all)*"));

    public static final Setting<List<String>> EXCLUDE = AREA.declare(SinkSettings.tableList("cdc.bigquery.exclude",
            "exclude list `schema.table,…`"));

    public static final Setting<String> TABLE = AREA.declare(Setting.prefix("cdc.bigquery.table.<schema>.<table>")
            .matching("[A-Za-z_][A-Za-z0-9_]{0,1023}", "must be a BigQuery table name (letters, digits, underscore)")
            .defaultText("`<prefix>_<schema>_<table>`")
            .describe("changelog table name for one source table"));

    public static final Setting<String> PARTITIONING = AREA.declare(Setting.choice("cdc.bigquery.partitioning", "day",
                    "day", "hour", "month", "year", "none")
            .describe("time partitioning of the changelog tables the bridge creates, on `_ingested_at` (docs/bigquery.md, "
                    + "Partitioning); an existing table is left as it is"));

    public static final Setting<String> PARTITIONING_TABLE = AREA.declare(Setting.prefix("cdc.bigquery.partitioning.<bigquery-table>")
            .matching("day|hour|month|year|none", "must be day, hour, month, year or none")
            .describe("the same for one changelog table, by its BigQuery name (`postgres_public_Users`)"));

    public static final Setting<Boolean> CLUSTERING = AREA.declare(Setting.bool("cdc.bigquery.clustering", true)
            .describe("cluster the changelog tables the bridge creates by their key columns (up to three), then `_lsn`"));

    public static final Setting<Boolean> CURRENT_TABLE = AREA.declare(Setting.bool("cdc.bigquery.current-table", true)
            .describe("with `cdc.bigquery.write-api=storage`: keep a current-state table `<table>_current` per keyed source "
                    + "table beside the changelog, through BigQuery CDC upserts (docs/bigquery.md, Current-state tables); "
                    + "keyless tables and the insertall path have the changelog and its `_latest` view only"));

    public static final Setting<String> MAX_STALENESS = AREA.declare(Setting.string("cdc.bigquery.max-staleness", "0-0 0 0:15:0")
            .matching("\\d+-\\d+ \\d+ \\d+:\\d+:\\d+", "must be a BigQuery INTERVAL in canonical form, e.g. 0-0 0 0:15:0 (15 minutes)")
            .describe("the `max_staleness` table option of the `_current` tables the bridge creates (BigQuery INTERVAL, "
                    + "`Y-M D H:M:S`): queries may read data that old, BigQuery applies the pending upserts in the "
                    + "background at most that often; `0-0 0 0:0:0` applies them at query time (dearer)"));

    public static final Setting<String> PASSTHROUGH_TABLE = AREA.declare(Setting.prefix("cdc.passthrough.<topic>.bigquery-table")
            .matching("[A-Za-z0-9_]{1,1024}", "must be a staging or table name (letters, digits, _)")
            .describe("the topic's JSON records load into this table as they are (README: passthrough)"));

    public static final Setting<Integer> BATCH_SIZE = AREA.declare(Setting.integer("cdc.bigquery.batch-size", MAX_ROWS)
            .range(1, MAX_ROWS)
            .describe("rows per insertAll request"));

    public static final Setting<Duration> BATCH_TIMEOUT = AREA.declare(Setting.millis("cdc.bigquery.batch-timeout-ms", 100).min(1)
            .describe("a Kafka batch smaller than max-poll-records is sent after this long"));

    public static final Setting<Long> MAX_REQUEST_BYTES = AREA.declare(Setting.bytes("cdc.bigquery.max-request-bytes", 9_000_000L)
            .range(1024, MAX_REQUEST_BYTES_LIMIT)
            .describe("bytes per request (insertAll's JSON; a Storage Write request, proto, is smaller still); both "
                    + "APIs refuse requests over 10 MB"));

    public static final Setting<Integer> CONCURRENCY = AREA.declare(Setting.integer("cdc.bigquery.concurrency", 4).range(1, 64)
            .describe("insertAll requests of one Kafka batch sent side by side (the batch commits when all are done)"));

    public static final Setting<Integer> MAX_POLL_RECORDS = AREA.declare(Setting.integer("cdc.bigquery.max-poll-records")
            .range(1, Integer.MAX_VALUE)
            .defaultFrom(s -> s.get(BigQuerySettings.BATCH_SIZE) * s.get(BigQuerySettings.CONCURRENCY), "`batch-size` × `concurrency`")
            .describe("records per Kafka batch"));

    public static final Setting<Integer> CONSUMERS = AREA.declare(Setting.integer("cdc.bigquery.consumers", 1).range(1, 64)
            .describe("Kafka consumers (threads) of the sink in this instance; useful up to the topics' partitions"));

    public static final Setting<String> GROUP_ID = AREA.declare(Setting.string("cdc.bigquery.group-id", "cdc-bridge-bigquery")
            .describe("Kafka consumer group"));

    public static final Setting<Duration> METADATA_MAX_AGE = AREA.declare(Setting.millis("cdc.bigquery.metadata-max-age-ms", 5000).min(1)
            .describe("how soon a new table's topic is picked up"));

    public static final Setting<Duration> MAX_POLL_INTERVAL = AREA.declare(Setting.millis("cdc.bigquery.max-poll-interval-ms", 900_000).min(1)
            .describe("longest a batch may take, retries included, before Kafka drops the consumer from its group"));

    public static final Setting<String> TOPIC_PATTERN = AREA.declare(SinkSettings.topicPattern("bigquery"));

    public static final SinkSettings.Keys KEYS = new SinkSettings.Keys("bigquery", ENABLED, TABLES, EXCLUDE, BATCH_SIZE,
            BATCH_TIMEOUT, MAX_REQUEST_BYTES, CONSUMERS, GROUP_ID, MAX_POLL_INTERVAL, METADATA_MAX_AGE, TOPIC_PATTERN,
            CONCURRENCY, MAX_POLL_RECORDS);

    private BigQuerySettings() {
    }

    private static URI httpUrl(String raw) {
        try {
            URI uri = URI.create(raw);
            if (uri.getScheme() != null && uri.getScheme().startsWith("http") && uri.getHost() != null) {
                return uri;
            }
        } catch (IllegalArgumentException e) {
            // refused below
        }
        throw new IllegalArgumentException("must be an http(s) URL like http://localhost:9050");
    }
}
