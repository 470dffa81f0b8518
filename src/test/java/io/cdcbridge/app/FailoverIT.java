package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.OrdersLoad;
import io.cdcbridge.support.FakeBigQuery;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.junit.jupiter.api.Test;

/**
 * Two instances of the production jar ({@code cdc-bridge-server.jar}) against one Postgres and one Kafka: only the lock holder captures, both deliver (the
 * consumer group shares the partitions), and when the leader is killed the standby captures within seconds, from the
 * offsets in Kafka. The sink receives every row.
 */
class FailoverIT {

    @Test
    void onlyTheLeaderCapturesAndTheStandbyTakesOverWhenItDies() throws Exception {
        CaptureFixture f = CaptureFixture.create("failover", OrdersLoad.DDL);
        try (FakeBigQuery bigQuery = FakeBigQuery.start()) {
            Map<String, String> s = new HashMap<>(f.settingsMap());
            s.put("cdc.routes.reload", "false");
            s.put("cdc.http.port", "0");
            s.put("cdc.kafka.partitions", "2");
            s.put("cdc.offsets.store", "kafka");
            s.put("cdc.offsets.topic", f.prefix + "-offsets");
            s.put("cdc.offsets.flush-interval-ms", "200");
            s.put("cdc.capture.lock-dir", f.dir.resolve("locks").toString());
            s.put("cdc.bigquery.project", "test-project");
            s.put("cdc.bigquery.dataset", "ds_" + f.prefix);
            s.putAll(bigQuery.bridgeSettings());
            s.put("cdc.bigquery.group-id", "bq-" + f.prefix);
            s.put("cdc.bigquery.batch-timeout-ms", "50");
            String table = f.prefix + "_public_Orders";

            try (BridgeProcess a = BridgeProcess.startServer(f.dir.resolve("a"), s).awaitStreaming();
                 BridgeProcess b = BridgeProcess.startServer(f.dir.resolve("b"), s).awaitOutput(") started in", Duration.ofSeconds(90))) {
                OrdersLoad.insert(f, 0, 100, 10);
                await("first rows").atMost(Duration.ofSeconds(60)).until(() -> OrdersLoad.ids(bigQuery, f, table).size() == 100);
                // both instances are in the delivery group, each with a partition
                await("two delivery members").atMost(Duration.ofSeconds(60)).until(() -> {
                    ConsumerGroupDescription g = OrdersLoad.group("bq-" + f.prefix);
                    return g.members().size() == 2 && g.members().stream().allMatch(m -> !m.assignment().topicPartitions().isEmpty());
                });
                assertThat(b.output()).as("the standby does not capture").doesNotContain("Streaming changes from slot");

                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> OrdersLoad.insert(f, 100, 1000, 10));
                await().atMost(Duration.ofSeconds(60)).until(() -> OrdersLoad.ids(bigQuery, f, table).size() >= 300);
                a.kill();
                writer.join();
                b.awaitOutput("Streaming changes from slot", Duration.ofSeconds(60));
                await("every row after the failover").atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                        assertThat(OrdersLoad.ids(bigQuery, f, table)).isEqualTo(IntStream.range(0, 1000).boxed().collect(Collectors.toCollection(TreeSet::new))));
            }
        }
    }
}
