package io.cdcbridge.app;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.passthrough.Passthrough;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesSource;

/**
 * A delivery sink's wiring: the beans and components its YAML route ({@code routes/<name>.camel.yaml}) refers to.
 * The sink's route starts only when {@code cdc.<name>.enabled} resolves to true.
 */
public interface SinkModule {

    /** Short name, used in settings, route ids, consumer group and dead-letter topic: {@code bigquery}, {@code carol}. */
    String name();

    /** Whether the sink runs with these settings (its {@code cdc.<name>.enabled} default rule). */
    boolean enabled(Settings settings);

    /** Validates the sink's settings (throwing {@link io.cdcbridge.config.ConfigException}) and binds its beans. */
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
