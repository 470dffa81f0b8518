package io.cdcbridge.delivery;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.KafkaSettings;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SettingsCatalog;
import io.cdcbridge.config.SinkSettings;
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
     * a "?" would start the query; the setting's declaration refuses an override with URI syntax in it.
     */
    static String topicPattern(Settings settings, String sink, Passthrough passthrough) {
        SinkSettings.Keys keys = SinkSettings.of(sink);
        if (settings.has(keys.topicPattern())) {
            return settings.get(keys.topicPattern());
        }
        return passthrough.topicPattern(KafkaConfig.changeEventTopicPattern(settings.get(KafkaSettings.TOPIC_PREFIX)), sink);
    }

    /**
     * Checks every {@code cdc.<sink>.*} setting (a bad value stops start-up naming its key, also one only the route
     * file reads) and makes the sink's engine the one its route's {@code sink:<name>} step calls. The route file gets
     * those settings, with their defaults, from the bridge: app/CamelRuntime hands Camel every effective value.
     */
    static void register(CamelContext context, Settings settings, DeliveryEngine<?> engine) {
        SettingsCatalog.check(settings, SinkSettings.of(engine.sink()).keyPrefix());
        SinkComponent.of(context, settings.get(KafkaSettings.TOPIC_PREFIX)).register(engine);
    }

    /**
     * The engine's request limits and retry policy: {@code cdc.delivery.*} for retries; the retry budget is two thirds
     * of {@code cdc.<sink>.max-poll-interval-ms}, so that a batch retried for a long outage is dead-lettered (and
     * committed) before Kafka would count its consumer as gone and give its partitions to another instance.
     */
    static DeliveryOptions options(Settings settings, String sink, int maxItems, long maxBytes, int concurrency) {
        long pollInterval = settings.get(SinkSettings.of(sink).maxPollInterval()).toMillis();
        long delay = settings.get(SinkSettings.RETRY_DELAY).toMillis();
        long maxDelay = settings.get(SinkSettings.MAX_RETRY_DELAY).toMillis();
        if (maxDelay < delay) {
            throw new ConfigException(SinkSettings.MAX_RETRY_DELAY.key(), "must be at least " + SinkSettings.RETRY_DELAY.key() + " (" + delay + ")");
        }
        long budget = pollInterval * 2 / 3;
        if (maxDelay > budget) {
            throw new ConfigException(SinkSettings.MAX_RETRY_DELAY.key(), "must be below two thirds of "
                    + SinkSettings.of(sink).maxPollInterval().key() + " (" + budget + " ms), or the consumer would leave its group while it waits");
        }
        return new DeliveryOptions(maxItems, maxBytes, concurrency, settings.get(SinkSettings.MAX_RETRIES), delay, maxDelay, budget);
    }

    /** Gives the sink's route file its {@code {{cdc.<sink>.topic-pattern}}}. */
    static void publishTopicPattern(CamelContext context, String sink, String pattern) {
        publish(context, sink, SinkSettings.of(sink).topicPattern().key(), pattern);
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
