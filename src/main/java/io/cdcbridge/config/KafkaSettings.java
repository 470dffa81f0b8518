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

    public static final Setting<Integer> REPLICATION_FACTOR = AREA.declare(Setting.integer("cdc.kafka.replication-factor", 1)
            .range(1, Short.MAX_VALUE)
            .describe("replication factor of the topics the bridge creates"));

    public static final Setting<Duration> SESSION_TIMEOUT = AREA.declare(Setting.millis("cdc.kafka.session-timeout-ms", 10_000)
            .min(1)
            .describe("the sinks' consumer session timeout: how soon a crashed instance's partitions move to the others"));

    public static final Setting<String> PRODUCER = AREA.declare(Setting.prefix("cdc.kafka.producer.<property>")
            .describe("any Kafka producer property for capture's producer (tuning), e.g. `cdc.kafka.producer.compression.type=zstd`"));

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
