package io.cdcbridge.capture;

import java.util.HashMap;
import java.util.Map;

import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.SourceConfig;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.debezium.DebeziumConstants;
import org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration;

/**
 * Postgres → Kafka, in Java DSL: camel-debezium-postgres (pgoutput, snapshot then streaming) → ChangeEvent JSON →
 * the table's Kafka topic. Knows no sink.
 */
public final class CaptureRoute extends RouteBuilder {

    public static final String ROUTE_ID = "capture";
    /** Debezium engine name; also the key its offsets are stored under, so it must not change between runs. */
    public static final String ENGINE_NAME = "cdc-bridge";
    private static final String ENDPOINT = "debezium-postgres:" + ENGINE_NAME;

    private final SourceConfig source;
    private final KafkaConfig kafka;
    private final CapturePublisher publisher;
    private final CaptureStats stats;
    private final String session;
    private final org.apache.camel.spi.RoutePolicy leadership;

    /** @param leadership null, or a clustered route policy: then only the elected instance captures */
    public CaptureRoute(SourceConfig source, KafkaConfig kafka, CapturePublisher publisher, CaptureStats stats, String session,
                        org.apache.camel.spi.RoutePolicy leadership) {
        this.leadership = leadership;
        this.source = source;
        this.kafka = kafka;
        this.publisher = publisher;
        this.stats = stats;
        this.session = session;
    }

    @Override
    public void configure() {
        // camel-debezium-postgres's configuration and engine, with a leaner exchange per event (CaptureEndpoint)
        var component = new CaptureEndpoint.Component();
        component.setConfiguration(debeziumConfiguration(source, kafka, session));
        getContext().addComponent("debezium-postgres", component);

        var route = from(ENDPOINT).routeId(ROUTE_ID);
        if (leadership != null) {
            route.routePolicy(leadership);
        }
        route
                .filter(header(DebeziumConstants.HEADER_OPERATION).isNotNull()) // heartbeats, tombstones
                .process(new CaptureProcessor(publisher, stats, kafka.topicPrefix()));
    }

    static PostgresConnectorEmbeddedDebeziumConfiguration debeziumConfiguration(SourceConfig src, KafkaConfig kafka, String session) {
        var c = new PostgresConnectorEmbeddedDebeziumConfiguration();
        c.setName(ENGINE_NAME);
        c.setDatabaseHostname(src.host());
        c.setDatabasePort(src.port());
        c.setDatabaseDbname(src.database());
        c.setDatabaseUser(src.user());
        // Camel insists on a password; a server with trust/peer authentication ignores it.
        c.setDatabasePassword(src.password().isEmpty() ? "-" : src.password());
        c.setTopicPrefix(kafka.topicPrefix());
        c.setPluginName("pgoutput");
        c.setSlotName(src.slot());
        c.setPublicationName(src.publication());
        c.setPublicationAutocreateMode("filtered");
        if (!src.tables().isBlank()) {
            c.setTableIncludeList(src.includeListRegex());
        }
        c.setSnapshotMode(src.snapshotMode());
        // Value forms of docs/architecture.md §4: numeric as exact decimal strings, bytea base64, intervals ISO-8601.
        c.setDecimalHandlingMode("string");
        c.setBinaryHandlingMode("base64");
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
        // go through its setter, or it would be ignored without a word
        Object skipped = src.debezium().get("skipped.operations");
        if (skipped != null) {
            c.setSkippedOperations(skipped.toString());
        }
        return c;
    }
}
