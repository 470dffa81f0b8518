package io.cdcbridge.app;

import io.cdcbridge.config.Settings;
import org.apache.camel.CamelContext;

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
}
