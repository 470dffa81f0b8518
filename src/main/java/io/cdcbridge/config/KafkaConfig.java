package io.cdcbridge.config;

/** Kafka and offset settings ({@link KafkaSettings}, {@link OffsetSettings}), validated. */
public record KafkaConfig(String brokers, String topicPrefix, int partitions, short replicationFactor,
                          String offsetStore, String offsetFile, String offsetTopic, long offsetFlushMs) {

    public static KafkaConfig from(Settings s) {
        String prefix = s.get(KafkaSettings.TOPIC_PREFIX);
        return new KafkaConfig(s.require(KafkaSettings.BROKERS), prefix,
                s.get(KafkaSettings.PARTITIONS), s.get(KafkaSettings.REPLICATION_FACTOR).shortValue(),
                s.get(OffsetSettings.STORE), s.get(OffsetSettings.FILE).toString(), s.get(OffsetSettings.TOPIC),
                s.get(OffsetSettings.FLUSH_INTERVAL).toMillis());
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
