package io.cdcbridge.app;

import java.util.ServiceLoader;

import io.cdcbridge.config.CaptureSettings;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.DemoSettings;
import io.cdcbridge.config.KafkaSettings;
import io.cdcbridge.config.Setting;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceSettings;

/**
 * The embedded demo (Postgres with the bookstore, a sales generator, a KRaft broker) as a plug-in: the bridge looks
 * for an implementation with {@link ServiceLoader} only when the settings leave a server to it, so no production
 * path reaches the demo's code. {@code cdc-bridge.jar} has one (the demo package's {@code DemoEnvironment});
 * {@code cdc-bridge-server.jar} has none, and there such settings stop start-up with the key to set.
 */
public interface Demo extends AutoCloseable {

    /** Where no demo runs: the settings name real servers. */
    Demo NONE = new Demo() {
        @Override
        public Settings start(Settings settings) {
            return settings;
        }

        @Override
        public void close() {
        }
    };

    /** Starts what the settings leave to the demo; returns the settings pointing at it. */
    Settings start(Settings settings);

    /** Stops what {@link #start} started, in reverse; does not throw. */
    @Override
    void close();

    /**
     * The setting that asks for the demo, or null: an empty {@code cdc.source.host} while capture runs (an instance
     * that only delivers needs no database), an empty {@code cdc.kafka.brokers}, or {@code cdc.demo.bookstore=true}
     * (the bookstore and its generator on a real Postgres, as docker-compose runs it).
     */
    static Setting<?> askedBy(Settings s) {
        if (!s.has(SourceSettings.HOST) && s.get(CaptureSettings.ENABLED)) {
            return SourceSettings.HOST;
        }
        if (!s.has(KafkaSettings.BROKERS)) {
            return KafkaSettings.BROKERS;
        }
        if (s.get(DemoSettings.BOOKSTORE)) {
            return DemoSettings.BOOKSTORE;
        }
        return null;
    }

    /**
     * The embedded servers start only together: a real database with an embedded broker would put a real replication
     * slot's changes into a throwaway broker (and the sinks would deliver them), a real broker with the embedded
     * database would mix demo rows into real topics. One without the other stops start-up before anything touches a
     * server, naming the key to set.
     */
    static void refuseHalfADemo(Settings s) {
        boolean capture = s.get(CaptureSettings.ENABLED);
        boolean noHost = !s.has(SourceSettings.HOST);
        boolean noBrokers = !s.has(KafkaSettings.BROKERS);
        String both = "; the embedded demo runs only when " + SourceSettings.HOST.key() + " and " + KafkaSettings.BROKERS.key()
                + " are both empty";
        if (noBrokers && (!noHost || !capture)) {
            throw new ConfigException(KafkaSettings.BROKERS.key(), "is empty while " + (noHost ? "capture is off"
                    : SourceSettings.HOST.key() + " names a database") + ": set it (" + Settings.envName(KafkaSettings.BROKERS.key())
                    + ") to your Kafka brokers" + both);
        }
        if (noHost && capture && !noBrokers) {
            throw new ConfigException(SourceSettings.HOST.key(), "is empty while " + KafkaSettings.BROKERS.key()
                    + " names a broker: set it (" + Settings.envName(SourceSettings.HOST.key()) + ") to the Postgres to capture" + both);
        }
    }

    /** The demo these settings ask for, {@link #NONE} when they ask for none. */
    static Demo forSettings(Settings s) {
        return forSettings(s, ServiceLoader.load(Demo.class, Demo.class.getClassLoader()));
    }

    /** As {@link #forSettings(Settings)}, from the given implementations (a test passes none). */
    static Demo forSettings(Settings s, Iterable<Demo> available) {
        refuseHalfADemo(s);
        Setting<?> asking = askedBy(s);
        if (asking == null) {
            return NONE;
        }
        for (Demo d : available) {
            return d;
        }
        String key = asking.key();
        throw new ConfigException(key, asking == DemoSettings.BOOKSTORE
                ? "this build (cdc-bridge-server.jar) has no demo bookstore; remove the setting, or run cdc-bridge.jar"
                : "is empty, and this build (cdc-bridge-server.jar) has no embedded demo: set it (" + Settings.envName(key)
                        + ") to " + (asking == SourceSettings.HOST ? "the Postgres to capture" : "your Kafka brokers")
                        + ", or run cdc-bridge.jar for the demo");
    }
}
