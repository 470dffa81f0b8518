package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Capture resumes by itself when Postgres restarts under it; nothing committed meanwhile is lost. */
class CaptureResilienceIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void postgresRestartIsSurvived() throws Exception {
        CaptureFixture f = CaptureFixture.create("pgrestart", "CREATE TABLE \"T\" (\"Id\" int PRIMARY KEY)");
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql(IntStream.range(0, 100).mapToObj(i -> "INSERT INTO \"T\" VALUES (" + i + ")").toArray(String[]::new));
            awaitIds(f.topic("T"), 100);

            TestInfra.postgres().restart();
            f.sql(IntStream.range(100, 200).mapToObj(i -> "INSERT INTO \"T\" VALUES (" + i + ")").toArray(String[]::new));
            awaitIds(f.topic("T"), 200);

            // the replication connection alone dropped (network, pg_terminate_backend)
            f.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" + f.database + "'");
            f.sql(IntStream.range(200, 300).mapToObj(i -> "INSERT INTO \"T\" VALUES (" + i + ")").toArray(String[]::new));
            awaitIds(f.topic("T"), 300);
        }
    }

    @Test
    void kafkaDownLongerThanTheSendTimeoutStopsCaptureWhichResumesWhenKafkaIsBack() throws Exception {
        CaptureFixture f = CaptureFixture.create("kafkadown", "CREATE TABLE \"T\" (\"Id\" int PRIMARY KEY)");
        try (Bridge bridge = Bridge.start(f.settings(java.util.Map.of("cdc.capture.kafka-timeout-ms", "4000")))) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql(IntStream.range(0, 100).mapToObj(i -> "INSERT INTO \"T\" VALUES (" + i + ")").toArray(String[]::new));
            awaitIds(f.topic("T"), 100);

            TestInfra.kafka().stop();
            try {
                f.sql(IntStream.range(100, 300).mapToObj(i -> "INSERT INTO \"T\" VALUES (" + i + ")").toArray(String[]::new));
                // the sends time out: capture stops rather than skip them
                Awaitility.await("capture stopped").atMost(Duration.ofSeconds(60)).until(() ->
                        bridge.camel().getRouteController().getRouteStatus(CaptureRoute.ROUTE_ID).isStopped());
            } finally {
                TestInfra.kafka().start();
            }
            awaitIds(f.topic("T"), 300);
            Awaitility.await("capture running again").atMost(Duration.ofSeconds(60)).until(() ->
                    bridge.camel().getRouteController().getRouteStatus(CaptureRoute.ROUTE_ID).isStarted());
        }
    }

    static void awaitIds(String topic, int n) {
        Set<Integer> expected = IntStream.range(0, n).boxed().collect(Collectors.toCollection(TreeSet::new));
        Awaitility.await("ids 0.." + (n - 1) + " on " + topic).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    Set<Integer> seen = new TreeSet<>();
                    for (var r : KafkaTestConsumer.readAll(topic)) {
                        seen.add(JSON.readTree(r.value()).get("after").get("Id").asInt());
                    }
                    assertThat(seen).isEqualTo(expected);
                });
    }
}
