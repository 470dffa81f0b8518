package io.cdcbridge.errors;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

import io.cdcbridge.util.Module;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.KafkaTopics;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dead-letter topics' producer, bound as the {@code deadLetters} bean the delivery routes call. Idempotent with
 * {@code acks=all}: a batch counts as handled only once its dead letters are on Kafka. Its requests take a record up to
 * {@code cdc.kafka.max-record-bytes}, so the largest change event can still be dead-lettered with its headers.
 *
 * <p>At start it creates the dead-letter topics {@code <prefix>.dlq.<sink>} of the sinks that run and
 * {@code <prefix>.dlq.capture} when capture runs (docs/architecture.md §5): on a broker without auto-creation the first
 * dead letter would otherwise find no topic and block its sink. A topic that cannot be made is one ERROR line naming
 * it (and the ACL), and start-up goes on: the dead-letter write fails, its batch is not committed and is tried again.
 */
public final class DeadLetterModule implements Module {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterModule.class);

    /** The bean name the route files use. */
    public static final String BEAN = "deadLetters";

    private final KafkaConfig kafka;
    private final Set<String> writers;
    private KafkaProducer<byte[], byte[]> producer;

    /** @param writers the sinks that run, and {@code capture} when capture runs: whose dead-letter topics to make */
    public DeadLetterModule(KafkaConfig kafka, Set<String> writers) {
        this.kafka = kafka;
        this.writers = new TreeSet<>(writers);
    }

    @Override
    public void install(Main main) {
        createTopics();
        producer = new KafkaProducer<>(kafka.clients().producer("cdc-bridge-dlq"));
        main.bind(BEAN, new DeadLetters(producer, kafka.topicPrefix()));
    }

    private void createTopics() {
        if (writers.isEmpty()) {
            return;
        }
        try (KafkaTopics topics = new KafkaTopics(kafka, "cdc-bridge-dlq-admin")) {
            for (String writer : writers) {
                String topic = kafka.deadLetterTopic(writer);
                try {
                    if (topics.ensure(topics.dataTopic(topic))) {
                        LOG.info("Created dead-letter topic {}", topic);
                    }
                } catch (KafkaTopics.TopicException e) {
                    LOG.error("{}", e.getMessage());
                }
            }
        }
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
