package io.cdcbridge.config;

import java.util.Optional;

/**
 * Kafka and offset settings ({@link KafkaSettings}, {@link OffsetSettings}), validated; {@link #clients()} builds every
 * Kafka client's properties.
 *
 * @param replicationFactor empty: the broker's {@code default.replication.factor}
 * @param retentionMs       {@code retention.ms} of the topics the bridge creates; empty: the broker's default
 */
public record KafkaConfig(String brokers, String topicPrefix, int partitions, Optional<Short> replicationFactor,
                          Optional<Long> retentionMs, KafkaClients clients,
                          String offsetStore, String offsetFile, String offsetTopic, long offsetFlushMs) {

    public static KafkaConfig from(Settings s) {
        String prefix = s.get(KafkaSettings.TOPIC_PREFIX);
        Integer rf = s.get(KafkaSettings.REPLICATION_FACTOR);
        return new KafkaConfig(s.require(KafkaSettings.BROKERS), prefix,
                s.get(KafkaSettings.PARTITIONS), Optional.ofNullable(rf).map(Integer::shortValue),
                Optional.ofNullable(s.get(KafkaSettings.TOPIC_RETENTION)), KafkaClients.from(s),
                s.get(OffsetSettings.STORE), s.get(OffsetSettings.FILE).toString(), s.get(OffsetSettings.TOPIC),
                s.get(OffsetSettings.FLUSH_INTERVAL).toMillis());
    }

    /** The dead-letter topic of a sink ({@code bigquery}, {@code carol}) or of capture ({@code capture}): docs/architecture.md §5. */
    public String deadLetterTopic(String sinkOrCapture) {
        return topicPrefix + ".dlq." + sinkOrCapture;
    }

    /** Regex matching exactly the ChangeEvent topics {@code <prefix>.<schema>.<table>} (not the dead-letter topics). */
    public String changeEventTopicPattern() {
        return changeEventTopicPattern(topicPrefix);
    }

    /**
     * The ChangeEvent topics {@code <prefix>.<schema>.<table>} without the dead-letter topics {@code <prefix>.dlq.*}.
     * The regex ends up in a kafka endpoint URI, where "?" would start the query: so no look-ahead, a character-class
     * spelling of "a schema that is not dlq" instead.
     */
    public static String changeEventTopicPattern(String prefix) {
        StringBuilder quoted = new StringBuilder();
        for (char c : prefix.toCharArray()) {
            if (Character.isLetterOrDigit(c) || c == '_') {
                quoted.append(c);
            } else {
                quoted.append('\\').append(c);
            }
        }
        return quoted + "\\.(d|dl|([^d.]|d[^l.]|dl[^q.]|dlq[^.])[^.]*)\\..+";
    }
}
