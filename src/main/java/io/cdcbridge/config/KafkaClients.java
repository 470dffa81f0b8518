package io.cdcbridge.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The one place that builds the properties of the Kafka clients the bridge opens (docs/architecture.md §5, "Kafka
 * client ids"): capture's producer, the Debezium offsets store, the sinks' consumers, the dead-letter producer, replay
 * and the admin clients. Each starts from {@link #base}: {@code bootstrap.servers} ({@code cdc.kafka.brokers}) plus every
 * {@code cdc.kafka.client.<property>} (security: {@code security.protocol}, {@code sasl.*}, {@code ssl.*}), so a
 * secured cluster takes one set of keys for all of them.
 *
 * <p>What would weaken delivery or break the bridge's record format is refused when the settings are read, naming the
 * key ({@link ConfigException}, exit 2): {@code acks} other than all, {@code enable.idempotence=false},
 * {@code enable.auto.commit=true} (the sinks commit only what is delivered, docs/architecture.md §6), and the properties
 * the bridge sets itself (brokers, (de)serializers, group and client ids, {@code max.request.size}).
 *
 * <p>The values may hold secrets ({@code sasl.jaas.config}, {@code ssl.*.password}: {@link SettingsCatalog#isSecret}):
 * nothing here logs them or puts them in a message; {@link #toString()} names keys only.
 */
public final class KafkaClients {

    /** Room a dead letter's headers take beyond its record (the error message alone is up to 4,000 characters). */
    public static final int DEAD_LETTER_HEADROOM = 16 * 1024;

    private static final String BYTES_OUT = "org.apache.kafka.common.serialization.ByteArraySerializer";
    private static final String BYTES_IN = "org.apache.kafka.common.serialization.ByteArrayDeserializer";

    private final String brokers;
    private final Map<String, String> client;
    private final Map<String, String> producerTuning;
    private final int maxRecordBytes;

    private KafkaClients(String brokers, Map<String, String> client, Map<String, String> producerTuning, int maxRecordBytes) {
        this.brokers = brokers;
        this.client = Map.copyOf(client);
        this.producerTuning = Map.copyOf(producerTuning);
        this.maxRecordBytes = maxRecordBytes;
    }

    /** From {@code cdc.kafka.brokers}, {@code cdc.kafka.client.*}, {@code cdc.kafka.producer.*} and {@code cdc.kafka.max-record-bytes}; checked. */
    public static KafkaClients from(Settings s) {
        Map<String, String> client = withoutSecretFiles(KafkaSettings.CLIENT, s.under(KafkaSettings.CLIENT));
        Map<String, String> producer = withoutSecretFiles(KafkaSettings.PRODUCER, s.under(KafkaSettings.PRODUCER));
        client.forEach((k, v) -> refuseWeakening(KafkaSettings.CLIENT, k, v));
        producer.forEach((k, v) -> refuseWeakening(KafkaSettings.PRODUCER, k, v));
        return new KafkaClients(s.require(KafkaSettings.BROKERS), client, producer,
                s.get(KafkaSettings.MAX_RECORD_BYTES).intValue());
    }

    /** {@code sasl.jaas.config.file} named the file {@link Settings} read into {@code sasl.jaas.config}: not a Kafka property. */
    private static Map<String, String> withoutSecretFiles(Setting<String> family, Map<String, String> properties) {
        Map<String, String> out = new TreeMap<>(properties);
        out.keySet().removeIf(p -> p.endsWith(".file") && SettingsCatalog.isSecret(family.key(p.substring(0, p.length() - 5))));
        return out;
    }

    /** Plain clients of these brokers, no {@code cdc.kafka.client.*}, the default record size (tools, tests). */
    public static KafkaClients of(String brokers) {
        return new KafkaClients(brokers, Map.of(), Map.of(), KafkaSettings.MAX_RECORD_BYTES.defaultValue().intValue());
    }

    private static void refuseWeakening(Setting<String> family, String property, String value) {
        String key = family.key(property);
        String v = value.trim().toLowerCase(Locale.ROOT);
        String problem = switch (property) {
            case "bootstrap.servers" -> "the brokers are set with " + KafkaSettings.BROKERS.key() + ", not here";
            case "key.serializer", "value.serializer", "key.deserializer", "value.deserializer" ->
                    "the bridge's records are bytes; their (de)serializers cannot be changed";
            case "client.id", "group.id", "transactional.id" ->
                    "set by the bridge per client (docs/architecture.md §5; groups: cdc.<sink>.group-id)";
            case "max.request.size" -> "set with " + KafkaSettings.MAX_RECORD_BYTES.key() + " (the same limit for producers, topics and consumers)";
            case "acks" -> v.equals("all") || v.equals("-1") ? null
                    : "must be all (-1): a record counts as sent only when every in-sync replica has it";
            case "enable.idempotence" -> v.equals("false") ? "must stay true: retries must not duplicate or reorder records" : null;
            case "enable.auto.commit" -> v.equals("true")
                    ? "must stay false: the sinks commit only what is delivered or dead-lettered (docs/architecture.md §6)" : null;
            default -> null;
        };
        if (problem != null) {
            // the value is not shown: it could be anything, a secret included
            throw new ConfigException(key, problem);
        }
    }

    /** {@code cdc.kafka.brokers}. */
    public String brokers() {
        return brokers;
    }

    /** The largest record ({@code cdc.kafka.max-record-bytes}). */
    public int maxRecordBytes() {
        return maxRecordBytes;
    }

    /** The largest change event capture sends as itself: room is left for the headers of its dead letter. */
    public int maxEventBytes() {
        return maxRecordBytes - DEAD_LETTER_HEADROOM;
    }

    /** {@code cdc.kafka.client.*} as set (no brokers): for clients whose bootstrap servers come from elsewhere. */
    public Map<String, Object> clientProperties() {
        return new HashMap<>(client);
    }

    /** What every client starts from: {@code bootstrap.servers} and {@code cdc.kafka.client.*}. */
    public Map<String, Object> base(String clientId) {
        Map<String, Object> p = new HashMap<>(client);
        p.put("bootstrap.servers", brokers);
        p.put("client.id", clientId);
        return p;
    }

    /**
     * For Debezium's engine, whose Kafka offsets store hands its whole configuration to its producer, consumer and
     * admin client (Connect's {@code KafkaOffsetBackingStore}, Debezium's {@code KafkaConnectUtil}): the brokers and
     * {@code cdc.kafka.client.*}, as top-level engine properties.
     */
    public Map<String, Object> offsetStoreProperties() {
        Map<String, Object> p = new HashMap<>(client);
        p.put("bootstrap.servers", brokers);
        return p;
    }

    /** An admin client's properties; {@code timeout} bounds each request and API call. */
    public Map<String, Object> admin(String clientId, Duration timeout) {
        Map<String, Object> p = base(clientId);
        p.put("request.timeout.ms", String.valueOf(timeout.toMillis()));
        p.put("default.api.timeout.ms", String.valueOf(timeout.toMillis()));
        return p;
    }

    /** An idempotent {@code acks=all} byte-array producer whose requests hold a record up to {@link #maxRecordBytes}. */
    public Map<String, Object> producer(String clientId) {
        Map<String, Object> p = base(clientId);
        p.put("acks", "all");
        p.put("enable.idempotence", "true");
        p.put("max.request.size", String.valueOf(maxRecordBytes));
        p.put("key.serializer", BYTES_OUT);
        p.put("value.serializer", BYTES_OUT);
        return p;
    }

    /**
     * Capture's producer: {@link #producer} with the given defaults (tuning, timeouts) under {@code cdc.kafka.client.*}
     * and {@code cdc.kafka.producer.*} over both.
     */
    public Map<String, Object> captureProducer(String clientId, Map<String, ?> defaults) {
        Map<String, Object> p = new HashMap<>(defaults);
        p.putAll(producer(clientId));
        p.putAll(producerTuning);
        return p;
    }

    /** A byte-array consumer without auto-commit, fetching records up to {@link #maxRecordBytes}. */
    public Map<String, Object> consumer(String clientId, String groupId) {
        Map<String, Object> p = new HashMap<>(consumerTuning());
        p.putAll(base(clientId));
        p.put("group.id", groupId);
        p.put("enable.auto.commit", "false");
        p.put("key.deserializer", BYTES_IN);
        p.put("value.deserializer", BYTES_IN);
        return p;
    }

    /**
     * For the sinks' consumers (camel-kafka endpoints, whose route files set brokers, group, deserializers and commits):
     * {@code cdc.kafka.client.*} plus a fetch size that holds the largest record.
     */
    public Map<String, Object> sinkConsumerProperties() {
        Map<String, Object> p = new HashMap<>(consumerTuning());
        p.putAll(client);
        return p;
    }

    private Map<String, Object> consumerTuning() {
        // a consumer returns a first record batch above this anyway (KIP-74); a whole batch of such records needs it
        return Map.of("max.partition.fetch.bytes", String.valueOf(Math.max(maxRecordBytes, 1024 * 1024)));
    }

    /** Keys only: the values may be secrets. */
    @Override
    public String toString() {
        return "KafkaClients{brokers=" + brokers + ", client=" + new TreeMap<>(client).keySet() + ", producer="
                + new TreeMap<>(producerTuning).keySet() + "}";
    }
}
