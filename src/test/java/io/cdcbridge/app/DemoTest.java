package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.DemoSettings;
import io.cdcbridge.config.KafkaSettings;
import io.cdcbridge.config.SourceSettings;
import io.cdcbridge.config.Settings;
import org.junit.jupiter.api.Test;

/** When the bridge looks for the demo, what a build without one says, and that nothing else reaches its package. */
class DemoTest {

    private static final Map<String, String> REAL = Map.of("cdc.source.host", "db", "cdc.kafka.brokers", "k:9092");

    private static Settings with(Map<String, String> base, String... kv) {
        Map<String, String> m = new java.util.HashMap<>(base);
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Settings.of(m);
    }

    @Test
    void onlyAnEmptyServerOrTheBookstoreAsksForTheDemo() {
        assertThat(Demo.askedBy(with(REAL))).isNull();
        assertThat(Demo.askedBy(with(REAL, "cdc.source.host", ""))).isSameAs(SourceSettings.HOST);
        assertThat(Demo.askedBy(with(REAL, "cdc.kafka.brokers", ""))).isSameAs(KafkaSettings.BROKERS);
        assertThat(Demo.askedBy(with(Map.of()))).isSameAs(SourceSettings.HOST);
        assertThat(Demo.askedBy(with(REAL, "cdc.demo.bookstore", "true"))).isSameAs(DemoSettings.BOOKSTORE);
        // an instance that only delivers needs no database
        assertThat(Demo.askedBy(with(REAL, "cdc.source.host", "", "cdc.capture.enabled", "false"))).isNull();
    }

    @Test
    void realServersNeverLoadTheDemoEvenWhereOneIsAvailable() {
        Demo available = new Demo() {
            @Override
            public Settings start(Settings settings) {
                throw new AssertionError("not asked for");
            }

            @Override
            public void close() {
            }
        };
        assertThat(Demo.forSettings(with(REAL), List.of(available))).isSameAs(Demo.NONE);
        assertThat(Demo.forSettings(with(REAL, "cdc.kafka.brokers", "", "cdc.source.host", ""), List.of(available))).isSameAs(available);
        assertThat(Demo.NONE.start(with(REAL)).asMap()).isEqualTo(with(REAL).asMap());
    }

    @Test
    void halfADemoIsRefusedBeforeAnythingStarts() {
        Demo available = new Demo() {
            @Override
            public Settings start(Settings settings) {
                throw new AssertionError("must not start");
            }

            @Override
            public void close() {
            }
        };
        // a real database and no broker: its slot's changes would go to a throwaway embedded broker
        assertThatThrownBy(() -> Demo.forSettings(with(REAL, "cdc.kafka.brokers", ""), List.of(available)))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("cdc.kafka.brokers: is empty while cdc.source.host")
                .hasMessageContaining("CDC_KAFKA_BROKERS");
        // a real broker and no database: demo rows would go into real topics
        assertThatThrownBy(() -> Demo.forSettings(with(REAL, "cdc.source.host", ""), List.of(available)))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("cdc.source.host: is empty while cdc.kafka.brokers")
                .hasMessageContaining("CDC_SOURCE_HOST");
        // delivering only: a real broker is needed
        assertThatThrownBy(() -> Demo.forSettings(with(Map.of("cdc.capture.enabled", "false")), List.of(available)))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("cdc.kafka.brokers: is empty while capture is off");
        // delivering only, with a broker: no database needed, no demo
        assertThat(Demo.forSettings(with(Map.of("cdc.capture.enabled", "false", "cdc.kafka.brokers", "k:9092")), List.of(available)))
                .isSameAs(Demo.NONE);
    }

    @Test
    void aBuildWithoutTheDemoNamesTheSettingToSet() {
        assertThatThrownBy(() -> Demo.forSettings(with(Map.of()), List.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("cdc.source.host: is empty")
                .hasMessageContaining("CDC_SOURCE_HOST").hasMessageContaining("cdc-bridge.jar");
        assertThatThrownBy(() -> Demo.forSettings(with(REAL, "cdc.demo.bookstore", "true"), List.of()))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("cdc.demo.bookstore: ");
    }

    /** In this build (target/classes) the service file names the demo, which ServiceLoader finds. */
    @Test
    void thisBuildFindsTheDemoThroughServiceLoader() {
        assertThat(Demo.forSettings(with(Map.of())).getClass().getName())
                .isEqualTo("io.cdcbridge.demo.DemoEnvironment");
    }

    /**
     * No compiled class outside {@code io/cdcbridge/demo} refers to it (a class reference or a class name in a
     * string): so the server jar, built without that package, never meets a missing class.
     */
    @Test
    void noProductionClassRefersToTheDemoPackage() throws Exception {
        Path classes = Path.of("target/classes");
        List<String> offenders;
        try (Stream<Path> files = Files.walk(classes)) {
            offenders = files.filter(p -> p.toString().endsWith(".class"))
                    .filter(p -> !classes.relativize(p).toString().replace('\\', '/').startsWith("io/cdcbridge/demo/"))
                    .filter(p -> {
                        try {
                            String bytes = new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1);
                            return bytes.contains("io/cdcbridge/demo") || bytes.contains("io.cdcbridge.demo");
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .map(p -> classes.relativize(p).toString()).toList();
        }
        assertThat(offenders).isEmpty();
    }
}
