package io.cdcbridge.app;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.delivery.DeliveryEngine;
import io.cdcbridge.delivery.DeliveryOptions;
import io.cdcbridge.delivery.SinkComponent;
import io.cdcbridge.passthrough.Passthrough;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesSource;

/**
 * A delivery sink's wiring: it validates its settings and registers its {@link DeliveryEngine} (a mapper and a client)
 * under its name, which the {@code sink:<name>} step of its route file ({@code routes/<name>.camel.yaml}) calls. The
 * sink's route starts only when {@code cdc.<name>.enabled} resolves to true.
 */
public interface SinkModule {

    /** Short name, used in settings, route ids, consumer group and dead-letter topic: {@code bigquery}, {@code carol}. */
    String name();

    /** Whether the sink runs with these settings (its {@code cdc.<name>.enabled} default rule). */
    boolean enabled(Settings settings);

    /** Validates the sink's settings (throwing {@link io.cdcbridge.config.ConfigException}) and registers its engine. */
    void install(Settings settings, CamelContext context) throws Exception;

    /**
     * The regex of the topics a sink's consumer reads: the ChangeEvent topics (without the dead-letter topics) and
     * the sink's passthrough topics, or {@code cdc.<sink>.topic-pattern}. It ends up in the kafka endpoint's URI, where
     * a "?" would start the query, so an override with URI syntax in it is refused.
     */
    static String topicPattern(Settings settings, String sink, Passthrough passthrough) {
        String key = "cdc." + sink + ".topic-pattern";
        String own = settings.get(key, null);
        if (own != null) {
            if (own.contains("?") || own.contains("&") || own.contains("#") || own.contains("%")) {
                throw new ConfigException(key, "must not contain ?, &, # or % (it is part of an endpoint URI)");
            }
            return own;
        }
        return passthrough.topicPattern(KafkaConfig.changeEventTopicPattern(settings.get("cdc.kafka.topic-prefix", "postgres")), sink);
    }

    /**
     * {@code cdc.<sink>.consumers}: Kafka consumers (threads) of the sink's route in this instance, each delivering the
     * partitions the group gives it, one batch at a time. More than the topics' partitions is useless.
     */
    static int consumers(Settings settings, String sink) {
        return settings.getInt("cdc." + sink + ".consumers", 1, 1, 64);
    }

    /**
     * Makes the sink's engine the one its route's {@code sink:<name>} step calls, and gives the route file the
     * settings it reads (with their defaults, so the file needs none of its own).
     */
    static void register(CamelContext context, Settings settings, DeliveryEngine<?> engine) {
        SinkComponent.of(context, settings.get("cdc.kafka.topic-prefix", "postgres")).register(engine);
        String sink = engine.sink();
        java.util.Map<String, String> route = new java.util.LinkedHashMap<>();
        route.put("cdc.kafka.session-timeout-ms", "10000");
        route.put("cdc." + sink + ".metadata-max-age-ms", "5000");
        route.put("cdc." + sink + ".group-id", "cdc-bridge-" + sink);
        route.put("cdc." + sink + ".consumers", "1");
        route.put("cdc." + sink + ".max-poll-interval-ms", "900000");
        route.put("cdc." + sink + ".batch-timeout-ms", "100");
        route.put("cdc." + sink + ".batch-size", "500");
        route.put("cdc." + sink + ".tables", "");
        route.put("cdc." + sink + ".exclude", "");
        route.forEach((key, def) -> publish(context, sink, key, settings.get(key, def)));
    }

    /**
     * The engine's request limits and retry policy: {@code cdc.delivery.*} for retries; the retry budget is two thirds
     * of {@code cdc.<sink>.max-poll-interval-ms}, so that a batch retried for a long outage is dead-lettered (and
     * committed) before Kafka would count its consumer as gone and give its partitions to another instance.
     */
    static DeliveryOptions options(Settings settings, String sink, int maxItems, long maxBytes, int concurrency) {
        long pollInterval = settings.getLong("cdc." + sink + ".max-poll-interval-ms", 900_000, 10_000, Integer.MAX_VALUE);
        long delay = settings.getLong("cdc.delivery.retry-delay-ms", 500, 1, 3_600_000);
        long maxDelay = settings.getLong("cdc.delivery.max-retry-delay-ms", 30_000, 1, 3_600_000);
        if (maxDelay < delay) {
            throw new ConfigException("cdc.delivery.max-retry-delay-ms", "must be at least cdc.delivery.retry-delay-ms (" + delay + ")");
        }
        long budget = pollInterval * 2 / 3;
        if (maxDelay > budget) {
            throw new ConfigException("cdc.delivery.max-retry-delay-ms", "must be below two thirds of cdc." + sink
                    + ".max-poll-interval-ms (" + budget + " ms), or the consumer would leave its group while it waits");
        }
        return new DeliveryOptions(maxItems, maxBytes, concurrency, settings.getInt("cdc.delivery.max-retries", 20, 0, 1000),
                delay, maxDelay, budget);
    }

    /** Gives the sink's route file its {@code {{cdc.<sink>.topic-pattern}}}. */
    static void publishTopicPattern(CamelContext context, String sink, String pattern) {
        publish(context, sink, "cdc." + sink + ".topic-pattern", pattern);
    }

    /** Gives the sink's route file a value the sink derived from its settings (the route reads {@code {{key}}}). */
    static void publish(CamelContext context, String sink, String key, String value) {
        context.getPropertiesComponent().addPropertiesSource(new PropertiesSource() {
            @Override
            public String getName() {
                return sink + "-sink:" + key;
            }

            @Override
            public String getProperty(String name) {
                return key.equals(name) ? value : null;
            }
        });
    }
}
