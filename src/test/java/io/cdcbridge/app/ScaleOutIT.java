package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.OrdersLoad;
import io.cdcbridge.support.FakeBigQuery;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.junit.jupiter.api.Test;

/**
 * Sinks scaled out by their consumer group (docs/operations.md, "Sizing partitions and replicas"): three instances of
 * the production jar, capture on one of them, six partitions per table, every instance in the BigQuery sink's group
 * with two partitions. One delivering instance is killed mid-stream (SIGKILL: it neither commits nor leaves the
 * group): the coordinator expires it after the session timeout and its partitions go to the two others, which deliver
 * from its last committed offsets. Every row reaches the sink.
 */
class ScaleOutIT {

    private static final Duration SESSION_TIMEOUT = Duration.ofMillis(6000); // the broker's minimum (group.min.session.timeout.ms)
    private static final int PARTITIONS = 6;

    @Test
    void aKilledInstancesPartitionsMoveToTheOthersWithinTheSessionTimeoutAndNothingIsLost() throws Exception {
        CaptureFixture f = CaptureFixture.create("scale", OrdersLoad.DDL);
        try (FakeBigQuery bigQuery = FakeBigQuery.start()) {
            Map<String, String> s = new HashMap<>(f.settingsMap());
            s.put("cdc.routes.reload", "false");
            s.put("cdc.kafka.partitions", String.valueOf(PARTITIONS));
            s.put("cdc.kafka.session-timeout-ms", String.valueOf(SESSION_TIMEOUT.toMillis()));
            s.put("cdc.bigquery.project", "test-project");
            s.put("cdc.bigquery.dataset", "ds_" + f.prefix);
            s.putAll(bigQuery.bridgeSettings());
            s.put("cdc.bigquery.group-id", "bq-" + f.prefix);
            s.put("cdc.bigquery.batch-timeout-ms", "50");
            // small polls, so each instance has batches in flight when one dies
            s.put("cdc.bigquery.max-poll-records", "20");
            s.put("cdc.bigquery.metadata-max-age-ms", "1000");
            Map<String, String> deliveryOnly = new HashMap<>(s);
            deliveryOnly.put("cdc.capture.enabled", "false");
            String table = f.prefix + "_public_Orders";
            String group = "bq-" + f.prefix;

            // the table's topic exists (with its six partitions) before the delivering instances subscribe
            try (BridgeProcess capture = BridgeProcess.startServer(f.dir.resolve("a"), s);
                 BridgeProcess b = BridgeProcess.startServer(f.dir.resolve("b"), deliveryOnly);
                 BridgeProcess c = BridgeProcess.startServer(f.dir.resolve("c"), deliveryOnly)) {
                capture.awaitStreaming();
                OrdersLoad.insert(f, 0, 60, 20);
                await("three members, two partitions each").atMost(Duration.ofSeconds(60)).until(() -> {
                    ConsumerGroupDescription g = OrdersLoad.group(group);
                    return g.members().size() == 3 && g.members().stream().allMatch(m -> partitions(m) == PARTITIONS / 3);
                });
                Set<String> members = OrdersLoad.group(group).members().stream().map(MemberDescription::consumerId).collect(Collectors.toSet());

                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> OrdersLoad.insert(f, 60, 1500, 20));
                await().atMost(Duration.ofSeconds(60)).until(() -> OrdersLoad.ids(bigQuery, f, table).size() >= 300);
                c.kill();
                long killed = System.nanoTime();
                // the coordinator expires the member a session timeout after its last heartbeat; the two left learn of
                // the rebalance at their next heartbeat (every 3 s, Kafka's default) and rejoin at their next poll
                Duration bound = SESSION_TIMEOUT.plus(Duration.ofSeconds(3)).plusSeconds(3);
                await("the killed instance's partitions on the two others").atMost(bound).pollInterval(Duration.ofMillis(200)).until(() -> {
                    ConsumerGroupDescription g = OrdersLoad.group(group);
                    // the two survivors keep their member ids through the rebalance; the third id is the killed one's
                    return g.members().size() == 2 && g.members().stream().allMatch(m -> members.contains(m.consumerId()))
                            && g.members().stream().mapToInt(ScaleOutIT::partitions).sum() == PARTITIONS;
                });
                assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThanOrEqualTo(bound);
                writer.join();
                await("every row").atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                        assertThat(OrdersLoad.ids(bigQuery, f, table)).isEqualTo(IntStream.range(0, 1500).boxed().collect(Collectors.toCollection(TreeSet::new))));
                assertThat(b.output()).as("b delivered and never captured").doesNotContain("Streaming changes from slot");
            }
        }
    }

    private static int partitions(MemberDescription m) {
        return m.assignment().topicPartitions().size();
    }
}
