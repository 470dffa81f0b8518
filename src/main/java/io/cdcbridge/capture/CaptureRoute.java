package io.cdcbridge.capture;

import java.util.HashMap;
import java.util.Map;

import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.SourceConfig;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration;

/**
 * Postgres → Kafka, in Java DSL: camel-debezium-postgres (pgoutput, snapshot then streaming) → ChangeEvent JSON →
 * the table's Kafka topic. Knows no sink.
 */
public final class CaptureRoute extends RouteBuilder {

    public static final String ROUTE_ID = "capture";
    private static final String ENDPOINT = "debezium-postgres:";
    /** Debezium's {@code skipped.operations} unless the user sets it: none, so TRUNCATE is captured (op t). */
    static final String DEFAULT_SKIPPED_OPERATIONS = "none";

    private final SourceConfig source;
    private final KafkaConfig kafka;
    private final CapturePublisher publisher;
    private final CaptureStats stats;
    private final String session;
    private final org.apache.camel.spi.RoutePolicy leadership;
    private final String publicationMode;
    private final java.util.Set<String> leftOut;

    /**
     * @param leadership      null, or a clustered route policy: then only the elected instance captures
     * @param publicationMode Debezium's {@code publication.autocreate.mode}, from the preflight
     *                        ({@link SourcePreflight.Report#publicationMode()}): {@code disabled} uses an existing
     *                        publication as it is, {@code filtered} creates it or keeps its tables equal to the include list
     */
    public CaptureRoute(SourceConfig source, KafkaConfig kafka, CapturePublisher publisher, CaptureStats stats, String session,
                        org.apache.camel.spi.RoutePolicy leadership, String publicationMode, java.util.Set<String> leftOut) {
        this.leadership = leadership;
        this.publicationMode = publicationMode;
        this.leftOut = java.util.Set.copyOf(leftOut);
        this.source = source;
        this.kafka = kafka;
        this.publisher = publisher;
        this.stats = stats;
        this.session = session;
    }

    private boolean reselectUnchanged;

    /** {@code cdc.capture.reselect-unchanged}: unchanged TOAST values re-read from the source ({@link UnchangedReselect}). */
    public CaptureRoute reselectUnchanged(boolean on) {
        this.reselectUnchanged = on;
        return this;
    }

    private boolean readOnlyBackfills;
    private boolean slotFailover;

    /**
     * What the server allows, from the preflight's connection: {@code readOnlyBackfills} (PG 13+) turns on Debezium's
     * read-only incremental snapshots, {@code slotFailover} asks for a failover slot (Debezium makes one only on a PG
     * 17+ primary).
     */
    public CaptureRoute serverFeatures(boolean readOnlyBackfills, boolean slotFailover) {
        this.readOnlyBackfills = readOnlyBackfills;
        this.slotFailover = slotFailover;
        return this;
    }

    @Override
    public void configure() {
        // camel-debezium-postgres's configuration and engine, with a leaner exchange per event (CaptureEndpoint)
        var component = new CaptureEndpoint.Component();
        var configuration = debeziumConfiguration(source, kafka, session, publicationMode, leftOut);
        backfillOptions(configuration, source, readOnlyBackfills);
        configuration.setSlotFailover(slotFailover);
        component.setConfiguration(configuration);
        getContext().addComponent("debezium-postgres", component);

        // no stream caching: the body is Debezium's SourceRecord, never a stream, and Camel's advice looked for a
        // converter to a stream cache for every event (3% of the capture thread, docs/benchmarks.md)
        var route = from(ENDPOINT + engineName(source)).routeId(ROUTE_ID).noStreamCaching();
        if (leadership != null) {
            route.routePolicy(leadership);
        }
        // heartbeats and tombstones carry no operation: the processor skips them
        route
                .process(new CaptureProcessor(publisher, stats, kafka.topicPrefix(),
                        reselectUnchanged ? UnchangedReselect.of(source) : null));
    }

    /**
     * Backfills (docs/operations.md, "Backfill"): Debezium's incremental snapshot in its read-only form
     * ({@code read.only}, watermarks from {@code pg_current_snapshot()}, so no signal table is written or captured),
     * signalled and reporting through the in-process channel {@link BackfillChannel}. A channel the user enabled through
     * {@code cdc.capture.debezium.signal.enabled.channels} (or notifications) is kept next to it. Without read-only
     * (PG 12 and older) no channel is enabled: Debezium's signal-table snapshot would need a table whose rows it
     * captures, and the bridge refuses backfills there instead.
     */
    static void backfillOptions(PostgresConnectorEmbeddedDebeziumConfiguration c, SourceConfig src, boolean readOnly) {
        if (!readOnly) {
            return;
        }
        Map<String, Object> extra = new HashMap<>(c.getAdditionalProperties());
        extra.put("read.only", "true");
        c.setAdditionalProperties(extra);
        c.setSignalEnabledChannels(withChannel(src.debezium().get("signal.enabled.channels")));
        c.setNotificationEnabledChannels(withChannel(src.debezium().get("notification.enabled.channels")));
        // the channel is a queue in memory: polling it often costs nothing and starts a backfill within a second
        c.setSignalPollIntervalMs(500);
    }

    private static String withChannel(String user) {
        return user == null || user.isBlank() ? BackfillChannel.NAME : user + "," + BackfillChannel.NAME;
    }

    /**
     * Debezium's engine name, the key its offsets are stored under (with the topic prefix): one per replication slot, so
     * bridges capturing different slots can share an offsets topic, and it never changes between runs of one.
     */
    static String engineName(SourceConfig src) {
        return "cdc-bridge-" + src.slot();
    }

    /** Debezium's documented default of {@code snapshot.fetch.size}: rows per round trip of the initial snapshot's read. */
    static final int DEFAULT_SNAPSHOT_FETCH_SIZE = 10_240;

    static PostgresConnectorEmbeddedDebeziumConfiguration debeziumConfiguration(SourceConfig src, KafkaConfig kafka, String session,
                                                                              String publicationMode) {
        return debeziumConfiguration(src, kafka, session, publicationMode, java.util.Set.of());
    }

    /** @param leftOut tables the preflight found Debezium cannot capture ({@link SourcePreflight#uncapturable}) */
    static PostgresConnectorEmbeddedDebeziumConfiguration debeziumConfiguration(SourceConfig src, KafkaConfig kafka, String session,
                                                                              String publicationMode, java.util.Set<String> leftOut) {
        var c = new PostgresConnectorEmbeddedDebeziumConfiguration();
        c.setName(engineName(src));
        c.setDatabaseHostname(src.host());
        c.setDatabasePort(src.port());
        c.setDatabaseDbname(src.database());
        c.setDatabaseUser(src.user());
        // Camel insists on a password; a server with trust/peer authentication ignores it.
        c.setDatabasePassword(src.password().isEmpty() ? "-" : src.password());
        // the same TLS as the bridge's own connections (SourceConfig.jdbcProperties): Debezium hands database.ssl* to
        // pgjdbc for its query and its replication connections alike
        c.setDatabaseSslmode(src.sslMode());
        if (!src.sslRootCert().isEmpty()) {
            c.setDatabaseSslrootcert(src.sslRootCert());
        } else if (src.verifiesCertificate()) {
            c.setDatabaseSslfactory(SourceConfig.JVM_TRUST_FACTORY);
        }
        c.setTopicPrefix(kafka.topicPrefix());
        c.setPluginName("pgoutput");
        c.setSlotName(src.slot());
        c.setPublicationName(src.publication());
        // Debezium 3.4: "filtered" creates a missing publication FOR TABLE the include list and ALTERs an existing one to
        // that list (refusing one FOR ALL TABLES), which only a superuser or the owner may; "disabled" uses an existing
        // one as it is and fails when it is missing; "all_tables" creates a missing one FOR ALL TABLES (so tables created
        // later stream at once) and uses an existing one as it is. The preflight, which asked the server, picks
        // (docs/postgres.md).
        c.setPublicationAutocreateMode(publicationMode);
        if (!src.tables().isBlank()) {
            c.setTableIncludeList(src.includeListRegex());
        }
        if (!leftOut.isEmpty()) {
            // a table Debezium refuses would stop capture of all of them: leave it out, by name (regexes, anchored)
            java.util.List<String> names = leftOut.stream().map(t -> t.replace(".", "\\.")).sorted().toList();
            if (src.tables().isBlank()) {
                c.setTableExcludeList(String.join(",", names));
            } else {
                c.setTableIncludeList(java.util.Arrays.stream(src.includeListRegex().split(","))
                        .filter(t -> !names.contains(t)).collect(java.util.stream.Collectors.joining(",")));
            }
        }
        c.setSnapshotMode(src.snapshotMode());
        // Value forms of docs/architecture.md §4: numeric as exact decimal strings, intervals ISO-8601. bytea as bytes,
        // which the encoder writes base64: in base64 mode Debezium 3.4 hands over an unchanged TOAST bytea as null
        // rather than its placeholder, so nothing would say the value is missing (and the re-select could not fill it)
        c.setDecimalHandlingMode("string");
        c.setBinaryHandlingMode("bytes");
        c.setIntervalHandlingMode("string");
        c.setHstoreHandlingMode("json");
        c.setTimePrecisionMode("adaptive_time_microseconds");
        c.setTombstonesOnDelete(false);
        // Postgres type names travel in the cdc.types header, so sinks can type their columns.
        c.setColumnPropagateSourceType(".*");
        c.setMaxBatchSize(4096);
        // Debezium hands over a batch when it is full or when the poll interval ends (default 500 ms): at a steady
        // trickle that interval is the latency, so keep it short; under load batches fill long before it. It is also
        // how long Debezium's reader sleeps when Postgres momentarily has nothing to send: 50 ms → 10 ms took a warm
        // 100k-row transaction from ~48k to ~60-80k events/s (docs/benchmarks.md).
        c.setPollIntervalMs(src.pollIntervalMs());
        // A lost connection (Postgres restart, network) is retriable: Debezium restarts the connector, unlimited
        // times, resuming from the stored (acknowledged) offsets.
        c.setErrorsMaxRetries(-1);
        c.setRetriableRestartConnectorWaitMs(src.reconnectDelayMs());
        // Heartbeats let the slot's confirmed position advance while the captured tables are idle, so Postgres can
        // recycle WAL written by other databases and tables (heartbeat events are not ChangeEvents: filtered below).
        c.setHeartbeatIntervalMs((int) src.heartbeatIntervalMs());
        c.setMaxQueueSize(16384);
        // Offsets: our store waits for Kafka acks before persisting (see CapturePublisher).
        c.setOffsetStorage(AckedOffsetStore.class.getName());
        c.setOffsetStorageFileName(kafka.offsetFile());
        c.setOffsetStorageTopic(kafka.offsetTopic());
        c.setOffsetStoragePartitions(1);
        // -1: the broker's default.replication.factor (Connect's convention, KIP-464)
        c.setOffsetStorageReplicationFactor(kafka.replicationFactor().map(Short::intValue).orElse(-1));
        c.setOffsetFlushIntervalMs(kafka.offsetFlushMs());
        c.setOffsetCommitTimeoutMs(60_000);
        Map<String, Object> extra = new HashMap<>();
        extra.put(AckedOffsetStore.SESSION, session);
        extra.put(AckedOffsetStore.DELEGATE, kafka.offsetStore());
        // the Kafka offsets store's clients: the brokers and every cdc.kafka.client.* property (security)
        extra.putAll(kafka.clients().offsetStoreProperties());
        // cdc.capture.debezium.<property>: any Debezium / engine property, for tuning (docs: README)
        extra.putAll(src.debezium());
        c.setAdditionalProperties(extra);
        // camel-debezium writes its typed options over the additional properties: a pass-through of one of those must
        // go through its setter, or it would be ignored without a word. Camel's (and Debezium's) default skips
        // truncates ("t") silently; the bridge keeps them, as op t ChangeEvents (docs/architecture.md §4), unless the
        // user's own cdc.capture.debezium.skipped.operations says otherwise.
        Object skipped = src.debezium().get("skipped.operations");
        c.setSkippedOperations(skipped != null ? skipped.toString() : DEFAULT_SKIPPED_OPERATIONS);
        // post.processors is one of camel's typed options too: Debezium's ReselectColumnsPostProcessor (re-selects the
        // TOAST values an update did not carry, which BigQuery's current tables need: docs/bigquery.md, Current-state
        // tables) is enabled through cdc.capture.debezium.post.processors and its reselector.* properties
        Object postProcessors = src.debezium().get("post.processors");
        if (postProcessors != null) {
            c.setPostProcessors(postProcessors.toString());
        }
        // the same for publish.via.partition.root (camel's typed default false would win over the pass-through): a
        // publication Debezium creates publishes a partitioned table's changes as the root's (docs/postgres.md)
        c.setPublishViaPartitionRoot(Boolean.parseBoolean(String.valueOf(src.debezium().getOrDefault("publish.via.partition.root", "false"))));
        // and for the logical decoding messages Debezium turns into records: the backfill's own (Backfills.nudge) never
        // reach a topic; a user's include list is theirs to keep free of it (docs/operations.md, "Backfill")
        String messagesIn = src.debezium().get("message.prefix.include.list");
        String messagesOut = src.debezium().get("message.prefix.exclude.list");
        if (messagesIn != null) {
            c.setMessagePrefixIncludeList(messagesIn);
        } else {
            c.setMessagePrefixExcludeList(messagesOut == null || messagesOut.isBlank() ? Backfills.MESSAGE_PREFIX
                    : messagesOut + "," + Backfills.MESSAGE_PREFIX);
        }
        // and for the initial snapshot's fetch size, which camel passes on as 0 unless set (its typed option has no
        // default): 0 makes pgjdbc read a whole table into memory before Debezium emits its first row (a 1M-row table held
        // 500 MB after every collection, docs/benchmarks.md). Debezium's own default unless the user's says otherwise.
        String fetch = src.debezium().get("snapshot.fetch.size");
        c.setSnapshotFetchSize(fetch != null ? Integer.parseInt(fetch.trim()) : DEFAULT_SNAPSHOT_FETCH_SIZE); // checked: SourceConfig
        // and for the backfill's chunk size (docs/operations.md, "Backfill": the other tables' wait against its speed)
        String chunk = src.debezium().get("incremental.snapshot.chunk.size");
        if (chunk != null) {
            c.setIncrementalSnapshotChunkSize(Integer.parseInt(chunk.trim())); // checked: SourceConfig
        }
        return c;
    }
}
