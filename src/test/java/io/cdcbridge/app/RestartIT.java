package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The production jar ({@code cdc-bridge-server.jar}) as users run it, stopped mid-stream and started again: every
 * committed row reaches Kafka at least once.
 * Offsets are flushed only for events Kafka acknowledged, so a kill -9 can repeat events but never skip one.
 */
class RestartIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int TXS = 300;
    private static final int ROWS_PER_TX = 10;

    @Test
    void killNineAndSigtermMidStreamLoseNothing() throws Exception {
        CaptureFixture f = CaptureFixture.create("restart", "CREATE TABLE \"Orders\" (\"Id\" int PRIMARY KEY, \"Note\" text)");
        Map<String, String> settings = f.settingsMap();
        settings.put("cdc.routes.reload", "false");
        settings.put("cdc.http.port", "0");
        settings.put("cdc.offsets.flush-interval-ms", "200");
        String topic = f.topic("Orders");

        // 1. kill -9 while a writer commits 3,000 rows in 300 transactions
        BridgeProcess first = BridgeProcess.startServer(f.dir, settings).awaitStreaming();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> insert(f, 0, TXS));
        Awaitility.await("events flowing").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
                .until(() -> KafkaTestConsumer.readAll(topic).size() >= 300);
        // at least one acknowledged position stored, so the restart resumes rather than snapshots again
        java.nio.file.Path offsets = f.dir.resolve("offsets.dat");
        Awaitility.await("offsets stored").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
                .until(() -> java.nio.file.Files.exists(offsets) && java.nio.file.Files.size(offsets) > 0);
        first.kill();
        writer.join();
        int beforeRestart = KafkaTestConsumer.readAll(topic).size();

        BridgeProcess second = BridgeProcess.startServer(f.dir, settings).awaitStreaming();
        awaitIds(topic, TXS * ROWS_PER_TX);
        assertThat(second.output()).as("restart resumes from stored offsets, no new snapshot").doesNotContain("Snapshot:");

        // 2. SIGTERM: exits 0 after draining; rows committed while it is down arrive after the next start
        assertThat(second.terminate(Duration.ofSeconds(60))).isZero();
        insert(f, TXS, 50);
        try (BridgeProcess third = BridgeProcess.startServer(f.dir, settings).awaitStreaming()) {
            awaitIds(topic, (TXS + 50) * ROWS_PER_TX);
            assertThat(third.terminate(Duration.ofSeconds(60))).isZero();
        }
        long ops = KafkaTestConsumer.readAll(topic).stream().filter(r -> !r.value().contains("\"op\":\"c\"")).count();
        assertThat(ops).as("only inserts were made").isZero();
        assertThat(beforeRestart).isLessThanOrEqualTo(TXS * ROWS_PER_TX);
    }

    private static void insert(CaptureFixture f, int fromTx, int txs) {
        for (int t = fromTx; t < fromTx + txs; t++) {
            int base = t * ROWS_PER_TX;
            f.sql(IntStream.range(base, base + ROWS_PER_TX)
                    .mapToObj(i -> "INSERT INTO \"Orders\" VALUES (" + i + ", 'pedido nº " + i + "')").toArray(String[]::new));
        }
    }

    /** Waits until ids 0..n-1 are all on the topic (duplicates allowed: at least once). */
    private static void awaitIds(String topic, int n) {
        Set<Integer> expected = IntStream.range(0, n).boxed().collect(Collectors.toCollection(TreeSet::new));
        Awaitility.await("all " + n + " rows on " + topic).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> {
                    Set<Integer> seen = new TreeSet<>();
                    for (var r : KafkaTestConsumer.readAll(topic)) {
                        seen.add(JSON.readTree(r.value()).get("after").get("Id").asInt());
                    }
                    assertThat(seen).isEqualTo(expected);
                });
    }
}
