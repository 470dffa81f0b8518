package io.cdcbridge.config;

import java.time.Duration;

/** The Kafka cluster and topics: {@code cdc.kafka.*}. Validated as a whole by {@link KafkaConfig}. */
public final class KafkaSettings {

    public static final SettingsArea AREA = new SettingsArea("Kafka (`cdc.kafka.*`)",
            "The cluster capture writes to and the sinks read from: one topic per table, `<prefix>.<schema>.<table>`, "
                    + "dead letters in `<prefix>.dlq.<sink>`.");

    public static final Setting<String> BROKERS = AREA.declare(Setting.string("cdc.kafka.brokers")
            .check(KafkaSettings::hostPorts, "must be host:port[,host:port...]")
            .defaultText("*(empty: the embedded KRaft broker)*")
            .describe("bootstrap servers `host:port,…`; empty runs an embedded broker (the demo)"));

    public static final Setting<String> TOPIC_PREFIX = AREA.declare(Setting.string("cdc.kafka.topic-prefix", "postgres")
            .matching("[A-Za-z0-9_-]+", "must be letters, digits, _ or -")
            .describe("topics are `<prefix>.<schema>.<table>`, dead letters `<prefix>.dlq.<sink>`"));

    public static final Setting<Integer> PARTITIONS = AREA.declare(Setting.integer("cdc.kafka.partitions", 1).min(1)
            .describe("partitions of the topics the bridge creates (a sink's consumers beyond this are idle)"));

    public static final Setting<Integer> REPLICATION_FACTOR = AREA.declare(Setting.integer("cdc.kafka.replication-factor")
            .range(1, Short.MAX_VALUE)
            .defaultText("*(empty: the broker's `default.replication.factor`)*")
            .describe("replication factor of the topics the bridge creates (table, dead-letter and offsets topics)"));

    public static final Setting<Long> TOPIC_RETENTION = AREA.declare(Setting.longInteger("cdc.kafka.topic.retention-ms", 0)
            .defaultValue(null).min(-1)
            .defaultText("*(empty: the broker's `log.retention.*`)*")
            .describe("`retention.ms` of the table and dead-letter topics the bridge creates (-1: keep forever); a sink "
                    + "stopped for longer than this misses what was deleted"));

    public static final Setting<Long> MAX_RECORD_BYTES = AREA.declare(Setting.bytes("cdc.kafka.max-record-bytes", 8L * 1024 * 1024)
            .range(128 * 1024, Integer.MAX_VALUE)
            .describe("the largest record: producers' `max.request.size`, the consumers' `max.partition.fetch.bytes` and the "
                    + "`max.message.bytes` of the topics the bridge creates; a change event larger than this less 16 KiB is "
                    + "dead-lettered as a reference to `<prefix>.dlq.capture` (docs/architecture.md §9)"));

    public static final Setting<Duration> SESSION_TIMEOUT = AREA.declare(Setting.millis("cdc.kafka.session-timeout-ms", 10_000)
            .min(1)
            .describe("the sinks' consumer session timeout: how soon a crashed instance's partitions move to the others"));

    public static final Setting<String> CLIENT = AREA.declare(Setting.prefix("cdc.kafka.client.<property>")
            .describe("any Kafka client property for every Kafka client the bridge opens (capture, offsets store, sinks' "
                    + "consumers, dead letters, replay, admin): `security.protocol`, `sasl.*`, `ssl.*`, e.g. "
                    + "`cdc.kafka.client.security.protocol=SASL_SSL`; passwords in it (`sasl.jaas.config`, `ssl.*.password`) "
                    + "are secrets (also as `<key>.file`); what would weaken delivery is refused at start"));

    public static final Setting<String> PRODUCER = AREA.declare(Setting.prefix("cdc.kafka.producer.<property>")
            .describe("any Kafka producer property for capture's producer (tuning), e.g. `cdc.kafka.producer.compression.type=zstd`; "
                    + "over `cdc.kafka.client.*`"));

    public static final Setting<String> TOPIC_PATTERN = AREA.declare(Setting.string("cdc.kafka.topic-pattern")
            .defaultFrom(s -> KafkaConfig.changeEventTopicPattern(s.get(TOPIC_PREFIX)), "from `cdc.kafka.topic-prefix`")
            .describe("worked out by the bridge, not set: the regex of the ChangeEvent topics (without the dead-letter topics)"));

    private KafkaSettings() {
    }

    private static boolean hostPorts(String brokers) {
        for (String b : brokers.split(",")) {
            if (!b.trim().matches("[^:\\s]+:\\d{1,5}")) {
                return false;
            }
        }
        return true;
    }
}
