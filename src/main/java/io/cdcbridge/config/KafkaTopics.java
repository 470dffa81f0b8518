package io.cdcbridge.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates the topics the bridge writes (docs/architecture.md §5): table and dead-letter topics with
 * {@code cdc.kafka.partitions}, {@code cdc.kafka.replication-factor} (empty: the broker's default),
 * {@code retention.ms} ({@code cdc.kafka.topic.retention-ms}, empty: the broker's) and {@code max.message.bytes}
 * ({@code cdc.kafka.max-record-bytes}); the capture offsets topic compacted, one partition. A topic that exists is
 * left as it is. Any failure is thrown as one {@link TopicException} line (an authorization refusal names the ACL),
 * and nothing is remembered: the caller tries again later.
 */
public final class KafkaTopics implements AutoCloseable {

    /** A topic could not be made or found; the message is one line, fit for a log, naming the topic. */
    public static final class TopicException extends RuntimeException {
        TopicException(String message, Throwable cause) {
            super(message, cause, false, false);
        }
    }

    private static final long TIMEOUT_S = 30;

    private final KafkaConfig kafka;
    private final Admin admin;

    public KafkaTopics(KafkaConfig kafka, String clientId) {
        this.kafka = kafka;
        this.admin = Admin.create(kafka.clients().admin(clientId, Duration.ofSeconds(TIMEOUT_S)));
    }

    /**
     * Logs in to the cluster once, before anything else talks to it: refused credentials or TLS stop start-up with one
     * line naming the setting to fix ({@link ConfigException}, exit 2) instead of every client logging the refusal
     * again on each reconnect. A cluster that does not answer is only a warning: the clients wait for it.
     */
    public static void checkLogin(KafkaConfig kafka, Duration timeout, org.slf4j.Logger log) {
        try (Admin admin = Admin.create(kafka.clients().admin("cdc-bridge-login", timeout))) {
            admin.describeCluster().clusterId().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            ConfigException refused = loginRefused(kafka, cause);
            if (refused != null) {
                throw refused;
            }
            log.warn("Kafka at {} did not answer the first request ({}); going on, its clients retry", kafka.brokers(), oneLine(cause));
        } catch (TimeoutException e) {
            log.warn("Kafka at {} did not answer within {} s; going on, its clients retry", kafka.brokers(), timeout.toSeconds());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The setting to fix when Kafka refused the TLS handshake or the login (null for any other failure): shared by
     * start-up and the {@code check} command so both name the same key.
     */
    public static ConfigException loginRefused(KafkaConfig kafka, Throwable cause) {
        if (cause instanceof org.apache.kafka.common.errors.SslAuthenticationException) {
            return new ConfigException(KafkaSettings.CLIENT.key() + "ssl.truststore.location",
                    "Kafka's TLS handshake failed (" + KafkaSettings.BROKERS.key() + "=" + kafka.brokers() + "): " + oneLine(cause)
                            + "; check the cdc.kafka.client.ssl.* settings");
        }
        if (cause instanceof org.apache.kafka.common.errors.AuthenticationException) {
            return new ConfigException(KafkaSettings.CLIENT.key() + "sasl.jaas.config",
                    "Kafka refused the login (" + KafkaSettings.BROKERS.key() + "=" + kafka.brokers() + "): " + oneLine(cause)
                            + "; check the user and password, cdc.kafka.client.sasl.mechanism and security.protocol");
        }
        return null;
    }

    /** An exception's class and first message line; Kafka's messages name mechanisms, never the password. */
    private static String oneLine(Throwable t) {
        String m = String.valueOf(t.getMessage());
        int nl = m.indexOf('\n');
        return t.getClass().getSimpleName() + ": " + (nl < 0 ? m : m.substring(0, nl));
    }

    /** A table or dead-letter topic as the bridge makes it. */
    public NewTopic dataTopic(String name) {
        Map<String, String> configs = new HashMap<>();
        configs.put("max.message.bytes", String.valueOf(kafka.clients().maxRecordBytes()));
        kafka.retentionMs().ifPresent(ms -> configs.put("retention.ms", String.valueOf(ms)));
        return new NewTopic(name, Optional.of(kafka.partitions()), kafka.replicationFactor()).configs(configs);
    }

    /** The capture offsets topic: compacted (the last offsets per key are all that matter), one partition. */
    public NewTopic offsetsTopic(String name) {
        return new NewTopic(name, Optional.of(1), kafka.replicationFactor()).configs(Map.of("cleanup.policy", "compact"));
    }

    /**
     * Makes the topic unless it exists.
     *
     * @return whether this call created it
     * @throws TopicException when it neither was created nor is known to exist
     */
    public boolean ensure(NewTopic topic) {
        String name = topic.name();
        try {
            admin.createTopics(List.of(topic)).all().get(TIMEOUT_S, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TopicExistsException) {
                return false;
            }
            if (cause instanceof TopicAuthorizationException || cause instanceof ClusterAuthorizationException) {
                // not allowed to create it: fine if an operator made it (seeing it needs only DESCRIBE)
                if (exists(name)) {
                    return false;
                }
                throw new TopicException("cannot create Kafka topic " + name + ": not authorized (" + cause.getClass().getSimpleName()
                        + "); create it beforehand, or grant the bridge's principal CREATE on it, e.g. kafka-acls --add "
                        + "--allow-principal User:<bridge> --operation Create --operation Describe --topic " + name, null);
            }
            if (cause instanceof PolicyViolationException || cause instanceof InvalidConfigurationException
                    || cause instanceof InvalidReplicationFactorException) {
                throw new TopicException("cannot create Kafka topic " + name + ": the broker refused " + describe(topic) + ": "
                        + cause.getMessage() + " (see cdc.kafka.partitions, cdc.kafka.replication-factor, "
                        + "cdc.kafka.topic.retention-ms, cdc.kafka.max-record-bytes)", null);
            }
            throw new TopicException("cannot create Kafka topic " + name + ": " + cause, null);
        } catch (TimeoutException e) {
            throw new TopicException("cannot create Kafka topic " + name + ": no answer from Kafka within " + TIMEOUT_S + " s", null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TopicException("interrupted while creating Kafka topic " + name, e);
        }
    }

    private boolean exists(String name) {
        try {
            admin.describeTopics(List.of(name)).allTopicNames().get(TIMEOUT_S, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException e) {
            return false;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The topic's {@code max.message.bytes} as the broker has it (its own setting or the broker's default), or empty
     * when Kafka does not say (no DESCRIBE_CONFIGS right, no answer).
     */
    public Optional<Integer> maxMessageBytes(String name) {
        ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, name);
        try {
            Config c = admin.describeConfigs(List.of(r)).all().get(TIMEOUT_S, TimeUnit.SECONDS).get(r);
            ConfigEntry e = c == null ? null : c.get("max.message.bytes");
            return e == null || e.value() == null ? Optional.empty() : Optional.of(Integer.parseInt(e.value()));
        } catch (ExecutionException | TimeoutException | NumberFormatException e) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private static String describe(NewTopic t) {
        return t.numPartitions() + " partition(s), replication " + (t.replicationFactor() < 0 ? "broker default" : t.replicationFactor())
                + ", " + t.configs();
    }

    /** The admin client, for callers that also check the cluster (capture's recovery). */
    public Admin admin() {
        return admin;
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
