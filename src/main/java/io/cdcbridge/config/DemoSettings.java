package io.cdcbridge.config;

/** The embedded demo: {@code cdc.demo.*}. It runs when {@code cdc.source.host} or {@code cdc.kafka.brokers} is empty. */
public final class DemoSettings {

    public static final SettingsArea AREA = new SettingsArea("Embedded demo (`cdc.demo.*`)",
            "With `cdc.source.host` empty the bridge runs a Postgres with the bookstore and a sales generator; with "
                    + "`cdc.kafka.brokers` empty a KRaft broker; the sinks then run in dry run against demo targets.");

    public static final Setting<Integer> POSTGRES_PORT = AREA.declare(Setting.port("cdc.demo.postgres-port", 5433)
            .describe("the embedded Postgres's port"));

    public static final Setting<Integer> KAFKA_PORT = AREA.declare(Setting.port("cdc.demo.kafka-port", 9092)
            .describe("the embedded broker's port (also where `replay` looks when `cdc.kafka.brokers` is empty)"));

    public static final Setting<Integer> GENERATOR_RATE = AREA.declare(Setting.integer("cdc.demo.generator-rate", 5).min(0)
            .describe("demo changes per second (0: none)"));

    public static final Setting<Boolean> BOOKSTORE = AREA.declare(Setting.bool("cdc.demo.bookstore", false)
            .describe("load the bookstore and run the generator on a real `cdc.source.host` (docker-compose does)"));

    private DemoSettings() {
    }
}
