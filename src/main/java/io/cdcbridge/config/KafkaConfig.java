package io.cdcbridge.config;

import java.util.regex.Pattern;

/** Kafka and offset settings ({@code cdc.kafka.*}, {@code cdc.offsets.*}), validated. */
public record KafkaConfig(String brokers, String topicPrefix, int partitions, short replicationFactor,
                          String offsetStore, String offsetFile, String offsetTopic, long offsetFlushMs) {

    public static KafkaConfig from(Settings s) {
        String prefix = s.get("cdc.kafka.topic-prefix", "postgres");
        if (!prefix.matches("[A-Za-z0-9_-]+")) {
            throw new ConfigException("cdc.kafka.topic-prefix", "must be letters, digits, _ or -, got '" + prefix + "'");
        }
        String brokers = s.require("cdc.kafka.brokers");
        for (String b : brokers.split(",")) {
            if (!b.trim().matches("[^:\\s]+:\\d{1,5}")) {
                throw new ConfigException("cdc.kafka.brokers", "must be host:port[,host:port...], got '" + brokers + "'");
            }
        }
        int rf = s.getInt("cdc.kafka.replication-factor", 1);
        if (rf < 1 || rf > Short.MAX_VALUE) {
            throw new ConfigException("cdc.kafka.replication-factor", "must be at least 1");
        }
        int partitions = s.getInt("cdc.kafka.partitions", 1);
        if (partitions < 1) {
            throw new ConfigException("cdc.kafka.partitions", "must be at least 1");
        }
        return new KafkaConfig(brokers, prefix, partitions, (short) rf,
                s.getChoice("cdc.offsets.store", "file", "file", "kafka"),
                s.get("cdc.offsets.file", s.get("cdc.data-dir", "data") + "/offsets.dat"),
                s.get("cdc.offsets.topic", "cdc-bridge-offsets"),
                s.getLong("cdc.offsets.flush-interval-ms", 1000));
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
