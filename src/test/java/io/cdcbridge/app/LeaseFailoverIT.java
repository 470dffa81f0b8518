package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.OrdersLoad;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeKubernetes;
import org.junit.jupiter.api.Test;

/**
 * Capture election on a Kubernetes Lease ({@code cdc.capture.election=kubernetes}) with two instances of the
 * production jar against fabric8's mock API server in CRUD mode: only the Lease holder captures; when it is killed
 * (SIGKILL: it neither stops capture nor releases the Lease, it just stops renewing) the standby takes the Lease once
 * it expires, within the lease duration and its retry periods, and captures from the offsets in Kafka. Every row
 * inserted before, during and after the takeover reaches the sink. As {@link FailoverIT} does for the file lock; child
 * JVMs, because only a process that dies can stop renewing without releasing.
 */
class LeaseFailoverIT {

    private static final Duration LEASE = Duration.ofMillis(6000);
    private static final Duration RENEW_DEADLINE = Duration.ofMillis(4000);
    private static final Duration RETRY = Duration.ofMillis(1000);
    private static final Pattern IDENTITY = Pattern.compile("Capture leader election on: Lease \\S+ as (\\S+)");

    @Test
    void theStandbyTakesTheLeaseOfAKilledLeaderWithinTheLeaseTimeAndNothingIsLost() throws Exception {
        CaptureFixture f = CaptureFixture.create("lease", OrdersLoad.DDL);
        try (FakeBigQuery bigQuery = FakeBigQuery.start(); FakeKubernetes k8s = FakeKubernetes.start()) {
            Map<String, String> s = new HashMap<>(f.settingsMap());
            s.putAll(k8s.clientProperties());
            s.put("cdc.capture.election", "kubernetes");
            s.put("cdc.capture.lease-namespace", FakeKubernetes.NAMESPACE);
            s.put("cdc.capture.lease-duration-ms", String.valueOf(LEASE.toMillis()));
            s.put("cdc.capture.lease-renew-deadline-ms", String.valueOf(RENEW_DEADLINE.toMillis()));
            s.put("cdc.capture.lease-retry-period-ms", String.valueOf(RETRY.toMillis()));
            s.put("cdc.routes.reload", "false");
            s.put("cdc.kafka.partitions", "2");
            s.put("cdc.offsets.store", "kafka");
            s.put("cdc.offsets.topic", f.prefix + "-offsets");
            s.put("cdc.offsets.flush-interval-ms", "200");
            s.put("cdc.bigquery.project", "test-project");
            s.put("cdc.bigquery.dataset", "ds_" + f.prefix);
            s.putAll(bigQuery.bridgeSettings());
            s.put("cdc.bigquery.group-id", "bq-" + f.prefix);
            s.put("cdc.bigquery.batch-timeout-ms", "50");
            String table = f.prefix + "_public_Orders";
            String lease = "capture-" + f.database.replace('_', '-');

            try (BridgeProcess a = BridgeProcess.startServer(f.dir.resolve("a"), s).awaitStreaming();
                 BridgeProcess b = BridgeProcess.startServer(f.dir.resolve("b"), s).awaitOutput(") started in", Duration.ofSeconds(90))) {
                String idA = identity(a);
                String idB = identity(b);
                assertThat(k8s.holder(FakeKubernetes.NAMESPACE, lease)).as("the Lease names the capturing instance").isEqualTo(idA);
                b.awaitOutput("Capture leader is " + idA, Duration.ofSeconds(30));

                OrdersLoad.insert(f, 0, 100, 10);
                await("first rows").atMost(Duration.ofSeconds(60)).until(() -> OrdersLoad.ids(bigQuery, f, table).size() == 100);
                assertThat(b.output()).as("the standby does not capture").doesNotContain("Streaming changes from slot")
                        .doesNotContain("Capture leadership acquired");

                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> OrdersLoad.insert(f, 100, 1000, 10));
                await().atMost(Duration.ofSeconds(60)).until(() -> OrdersLoad.ids(bigQuery, f, table).size() >= 300);
                a.kill();
                long killed = System.nanoTime();
                // the Lease was renewed at most one retry period before the kill; the standby tries every 1-2.2 retry periods
                Duration bound = LEASE.plus(RETRY.multipliedBy(3)).plusSeconds(2);
                b.awaitOutput("Capture leadership acquired", bound);
                Duration takeover = Duration.ofNanos(System.nanoTime() - killed);
                assertThat(takeover).as("takeover after the kill").isLessThanOrEqualTo(bound);
                assertThat(k8s.holder(FakeKubernetes.NAMESPACE, lease)).isEqualTo(idB);
                writer.join();
                b.awaitStreaming();
                OrdersLoad.insert(f, 1000, 1100, 10); // after the takeover
                await("every row, before, during and after the takeover").atMost(Duration.ofSeconds(120)).untilAsserted(() ->
                        assertThat(OrdersLoad.ids(bigQuery, f, table)).isEqualTo(IntStream.range(0, 1100).boxed().collect(Collectors.toCollection(TreeSet::new))));
            }
        }
    }

    private static String identity(BridgeProcess p) {
        p.awaitOutput("Capture leader election on: Lease", Duration.ofSeconds(60));
        Matcher m = IDENTITY.matcher(p.output());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }
}
