package io.cdcbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cdc.kafka.client.*: reaches every client, refuses what weakens delivery, keeps its secrets. */
class KafkaClientsTest {

    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
            + "username=\"bridge\" password=\"s3cr3t-Pw\";";

    private static Settings settings(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("cdc.kafka.brokers", "127.0.0.1:9093,127.0.0.1:9094");
        for (int i = 0; i + 1 < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Settings.of(m);
    }

    @Test
    void clientPropertiesReachEveryKindOfClientAndTheBridgeKeepsItsOwn() {
        KafkaClients c = KafkaClients.from(settings("cdc.kafka.client.security.protocol", "SASL_SSL",
                "cdc.kafka.client.sasl.mechanism", "SCRAM-SHA-256", "cdc.kafka.client.sasl.jaas.config", JAAS,
                "cdc.kafka.client.acks", "-1", "cdc.kafka.producer.compression.type", "zstd"));
        for (Map<String, Object> p : java.util.List.of(c.producer("x"), c.consumer("x", "g"), c.admin("x", Duration.ofSeconds(3)),
                c.offsetStoreProperties(), c.captureProducer("x", Map.of()))) {
            assertThat(p).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-256")
                    .containsEntry("sasl.jaas.config", JAAS).containsEntry("bootstrap.servers", "127.0.0.1:9093,127.0.0.1:9094");
        }
        // camel-kafka endpoints take their brokers from the route file
        assertThat(c.sinkConsumerProperties()).containsEntry("sasl.jaas.config", JAAS).doesNotContainKey("bootstrap.servers");
        assertThat(c.producer("cdc-bridge-dlq")).containsEntry("acks", "all").containsEntry("enable.idempotence", "true")
                .containsEntry("client.id", "cdc-bridge-dlq").containsEntry("max.request.size", String.valueOf(8 * 1024 * 1024))
                .doesNotContainKey("compression.type");
        assertThat(c.consumer("r", "cdc-bridge-replay-carol")).containsEntry("enable.auto.commit", "false")
                .containsEntry("group.id", "cdc-bridge-replay-carol")
                .containsEntry("max.partition.fetch.bytes", String.valueOf(8 * 1024 * 1024));
        // capture's tuning: its defaults, under the client properties, under cdc.kafka.producer.*
        assertThat(c.captureProducer("cdc-bridge-capture", Map.of("compression.type", "lz4", "linger.ms", "5")))
                .containsEntry("compression.type", "zstd").containsEntry("linger.ms", "5");
        assertThat(c.toString()).contains("sasl.jaas.config").doesNotContain("s3cr3t-Pw");
    }

    @Test
    void theLargestRecordIsOneNumberForProducersConsumersAndTopics() {
        KafkaConfig k = KafkaConfig.from(settings("cdc.kafka.max-record-bytes", "1048576", "cdc.kafka.topic.retention-ms", "604800000",
                "cdc.kafka.partitions", "3"));
        assertThat(k.clients().producer("x")).containsEntry("max.request.size", "1048576");
        assertThat(k.clients().sinkConsumerProperties()).containsEntry("max.partition.fetch.bytes", "1048576");
        assertThat(k.clients().maxEventBytes()).isEqualTo(1048576 - 16 * 1024);
        try (KafkaTopics topics = new KafkaTopics(k, "t")) {
            NewTopic t = topics.dataTopic("p.public.users");
            assertThat(t.numPartitions()).isEqualTo(3);
            assertThat(t.replicationFactor()).as("empty: the broker's default").isEqualTo((short) -1);
            assertThat(t.configs()).containsEntry("max.message.bytes", "1048576").containsEntry("retention.ms", "604800000");
            NewTopic offsets = topics.offsetsTopic("offs");
            assertThat(offsets.numPartitions()).isEqualTo(1);
            assertThat(offsets.configs()).containsEntry("cleanup.policy", "compact");
        }
        KafkaConfig plain = KafkaConfig.from(settings("cdc.kafka.replication-factor", "3"));
        assertThat(plain.replicationFactor()).contains((short) 3);
        assertThat(plain.retentionMs()).isEmpty();
        try (KafkaTopics topics = new KafkaTopics(plain, "t")) {
            assertThat(topics.dataTopic("x").configs()).doesNotContainKey("retention.ms");
        }
    }

    @Test
    void overridesThatWeakenDeliveryAreRefusedNamingTheKey() {
        refused("cdc.kafka.client.acks", "1", "must be all");
        refused("cdc.kafka.producer.acks", "0", "must be all");
        refused("cdc.kafka.client.enable.idempotence", "false", "must stay true");
        refused("cdc.kafka.producer.enable.idempotence", "FALSE", "must stay true");
        refused("cdc.kafka.client.enable.auto.commit", "true", "must stay false");
        refused("cdc.kafka.client.bootstrap.servers", "evil:9092", "cdc.kafka.brokers");
        refused("cdc.kafka.producer.bootstrap.servers", "evil:9092", "cdc.kafka.brokers");
        refused("cdc.kafka.client.value.deserializer", "org.apache.kafka.common.serialization.StringDeserializer", "bytes");
        refused("cdc.kafka.producer.key.serializer", "x", "bytes");
        refused("cdc.kafka.client.group.id", "mine", "set by the bridge");
        refused("cdc.kafka.producer.max.request.size", "99999999", "cdc.kafka.max-record-bytes");
        // what keeps delivery as it is passes
        KafkaClients.from(settings("cdc.kafka.client.acks", "all", "cdc.kafka.producer.acks", "-1",
                "cdc.kafka.client.enable.idempotence", "true", "cdc.kafka.client.enable.auto.commit", "false"));
    }

    private static void refused(String key, String value, String problem) {
        assertThatThrownBy(() -> KafkaConfig.from(settings(key, value)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(key).hasMessageContaining(problem)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").doesNotContain(value.length() > 2 ? value : "\u0000"));
    }

    @Test
    void passwordsUnderTheClientAndProducerPrefixesAreSecretsAlsoFromFiles(@TempDir Path dir) throws Exception {
        for (String prefix : new String[] {"cdc.kafka.client.", "cdc.kafka.producer."}) {
            for (String p : new String[] {"sasl.jaas.config", "ssl.key.password", "ssl.keystore.password", "ssl.truststore.password",
                    "ssl.keystore.key", "sasl.oauthbearer.client.credentials.client.secret"}) {
                assertThat(Settings.isSecret(prefix + p)).as(prefix + p).isTrue();
                assertThat(SettingsCatalog.isDeclared(prefix + p + ".file")).as(prefix + p + ".file").isTrue();
            }
            assertThat(Settings.isSecret(prefix + "security.protocol")).isFalse();
            assertThat(Settings.isSecret(prefix + "ssl.truststore.location")).isFalse();
        }
        Path secret = Files.writeString(dir.resolve("jaas"), JAAS + "\n");
        Settings s = settings("cdc.kafka.client.sasl.jaas.config.file", secret.toString(),
                "cdc.kafka.client.security.protocol", "SASL_PLAINTEXT");
        assertThat(KafkaClients.from(s).admin("x", Duration.ofSeconds(1))).containsEntry("sasl.jaas.config", JAAS);
        assertThat(SettingsCatalog.unknown(s)).isEmpty();
        // never handed to Camel's properties (which Camel shows in JMX and its consoles); the rest is
        assertThat(SettingsCatalog.effective(s)).containsEntry("cdc.kafka.client.security.protocol", "SASL_PLAINTEXT")
                .doesNotContainKey("cdc.kafka.client.sasl.jaas.config");
        assertThat(SettingsCatalog.effective(s).values()).noneMatch(v -> v.contains("s3cr3t-Pw"));
        assertThat(s.shown("cdc.kafka.client.sasl.jaas.config")).isEqualTo("****");
    }
}
