package io.cdcbridge.errors;

import java.time.Duration;
import java.util.Map;

import io.cdcbridge.util.Module;
import io.cdcbridge.config.KafkaConfig;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The dead-letter topics' producer, bound as the {@code deadLetters} bean the delivery routes call. Idempotent with
 * {@code acks=all}: a batch counts as handled only once its dead letters are on Kafka.
 */
public final class DeadLetterModule implements Module {

    /** The bean name the route files use. */
    public static final String BEAN = "deadLetters";

    private final KafkaConfig kafka;
    private KafkaProducer<byte[], byte[]> producer;

    public DeadLetterModule(KafkaConfig kafka) {
        this.kafka = kafka;
    }

    @Override
    public void install(Main main) {
        producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.brokers(),
                ProducerConfig.CLIENT_ID_CONFIG, "cdc-bridge-dlq",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
        main.bind(BEAN, new DeadLetters(producer, kafka.topicPrefix()));
    }

    /** After Camel stopped: the routes may publish dead letters while they drain. */
    @Override
    public void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
            producer = null;
        }
    }
}
