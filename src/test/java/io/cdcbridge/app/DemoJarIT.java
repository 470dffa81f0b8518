package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import io.cdcbridge.demo.EmbeddedKafkaBroker;
import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.TestInfra;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * {@code java -jar target/cdc-bridge.jar} with the shipped settings, from an empty directory: the embedded demo
 * (Postgres with the bookstore, sales generator, KRaft broker) starts, snapshot and live changes reach Kafka, and
 * SIGTERM ends it with exit code 0. Only the ports are moved so the test cannot collide with anything.
 */
class DemoJarIT {

    private static boolean nonEmpty(Path file) throws java.io.IOException {
        return java.nio.file.Files.exists(file) && java.nio.file.Files.size(file) > 0;
    }

    @Test
    void theDemoRunsFromAnEmptyDirectoryAndEventsFlow() throws Exception {
        Path dir = TestInfra.newDir("demo");
        int kafkaPort = EmbeddedKafkaBroker.freePort();
        Map<String, String> ports = Map.of("cdc.demo.postgres-port", String.valueOf(EmbeddedKafkaBroker.freePort()),
                "cdc.demo.kafka-port", String.valueOf(kafkaPort), "cdc.http.port", "0");
        try (BridgeProcess demo = BridgeProcess.start(dir, ports)) {
            demo.awaitOutput("DEMO MODE", Duration.ofSeconds(90)).awaitStreaming();
            try (KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
                    ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + kafkaPort,
                    ConsumerConfig.GROUP_ID_CONFIG, "demo-it",
                    ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                    ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                    ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName()))) {
                c.subscribe(List.of("postgres.public.Users", "postgres.public.Sales"));
                Set<String> seen = new java.util.HashSet<>();
                Awaitility.await("snapshot and live changes from the demo").atMost(Duration.ofSeconds(60))
                        .until(() -> {
                            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                                seen.add(r.topic() + " " + r.value().replaceAll(".*\"op\":\"(.)\".*", "$1"));
                            }
                            return seen.containsAll(Set.of("postgres.public.Users r", "postgres.public.Sales r",
                                    "postgres.public.Sales c"));
                        });
                assertThat(seen.stream().filter(s -> s.startsWith("postgres.public.Sales")).collect(Collectors.toSet()))
                        .contains("postgres.public.Sales c");
            }
            // both sinks run in dry run: what they would send is written under data/out/
            Awaitility.await("dry-run output of both sinks").atMost(Duration.ofSeconds(60)).until(() ->
                    nonEmpty(dir.resolve("data/out/bigquery/postgres_public_Sales.jsonl")) && nonEmpty(dir.resolve("data/out/carol/sales.jsonl"))
                            && nonEmpty(dir.resolve("data/out/carol/users.jsonl")));
            assertThat(java.nio.file.Files.readString(dir.resolve("data/out/carol/users.jsonl"))).contains("\"UserName\":\"João\"");
            assertThat(demo.terminate(Duration.ofSeconds(60))).as(demo.output()).isZero();
            assertThat(demo.output()).contains("cdc.source.host");
            // one log format: no library's own console lines (docs/overrides.md §5)
            assertThat(demo.output()).doesNotContain("com.cedarsoftware");
        }
    }
}
