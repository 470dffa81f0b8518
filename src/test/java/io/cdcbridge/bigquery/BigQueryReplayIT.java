package io.cdcbridge.bigquery;

import static io.cdcbridge.bigquery.BigQueryDeliveryIT.USER_TYPES;
import static io.cdcbridge.bigquery.BigQueryDeliveryIT.event;
import static io.cdcbridge.bigquery.BigQueryDeliveryIT.user;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import io.cdcbridge.errors.DeadLetterReplay;
import io.cdcbridge.support.BigQueryTestBridge;
import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeBigQueryWrite;
import io.cdcbridge.support.TestInfra;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Dead letters of an outage longer than the retry budget are replayed once BigQuery is back: with the jar's
 * {@code replay} command (dry run first, then a table filter, then the rest), each record lands once, and a record
 * replayed for another sink is skipped by this one.
 */
class BigQueryReplayIT {

    static FakeBigQuery fake;
    static FakeBigQueryWrite write;

    @BeforeAll
    static void startFake() {
        fake = FakeBigQuery.start();
        write = FakeBigQueryWrite.start(fake);
    }

    @AfterAll
    static void stopFake() {
        write.close();
        fake.close();
    }

    /** On both write paths: the outage is insertAll's 503 or the Storage Write service's UNAVAILABLE. */
    @ParameterizedTest
    @ValueSource(strings = {"insertall", "storage"})
    void deadLettersAreReplayedToTheSinkOnceItIsBack(String writeApi) throws Exception {
        boolean storage = writeApi.equals("storage");
        try (BigQueryTestBridge bridge = storage ? new BigQueryTestBridge("bqreplaygrpc", fake, write)
                : BigQueryTestBridge.insertAll("bqreplaycli", fake)) {
            bridge.settings.put("cdc.delivery.max-retries", "1");
            for (int i = 1; i <= 4; i++) {
                send(bridge, "Users", i, 100 + i);
            }
            send(bridge, "Books", 1, 200);
            if (storage) {
                write.failFor(io.grpc.Status.Code.UNAVAILABLE, Duration.ofSeconds(60));
            } else {
                fake.failFor(503, Duration.ofSeconds(60), "/insertAll");
            }
            bridge.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> bridge.deadLetters().size() == 5);
            assertThat(fake.rows(bridge.project, bridge.dataset, bridge.prefix + "_public_Users")).isEmpty();
            fake.failNext(503, 0, "");
            fake.failFor(503, Duration.ZERO, "");
            write.failFor(io.grpc.Status.Code.UNAVAILABLE, Duration.ZERO);

            Map<String, String> settings = Map.of("cdc.kafka.brokers", TestInfra.kafka().bootstrapServers(),
                    "cdc.kafka.topic-prefix", bridge.prefix);
            assertThat(cli(bridge, settings, "--dry-run")).contains("would replay: replayed=5 skipped=0 failed=0");
            assertThat(cli(bridge, settings, "--table", "public.Books")).contains("replayed=1 skipped=4 failed=0");
            await().atMost(Duration.ofSeconds(30)).until(() -> rows(bridge, "Books") == 1);
            assertThat(cli(bridge, settings)).contains("replayed=4 skipped=0 failed=0");
            await().atMost(Duration.ofSeconds(30)).until(() -> rows(bridge, "Users") == 4);
            // the group keeps its progress: nothing is replayed twice
            var again = new DeadLetterReplay(TestInfra.kafka().bootstrapServers(), bridge.prefix).replay("bigquery", "public.Users", false);
            assertThat(again.replayed()).isZero();

            // a record replayed for another sink is not delivered by this one
            var skipped = new ProducerRecord<>(bridge.topic("Users"), null, "{\"UserId\":9}".getBytes(StandardCharsets.UTF_8),
                    event("c", "Users", "{\"UserId\":9}", "null", user(9, "Nove", "TI"), 900).getBytes(StandardCharsets.UTF_8));
            skipped.headers().add("cdc.types", USER_TYPES.getBytes(StandardCharsets.UTF_8));
            skipped.headers().add("cdc.replay.sink", "carol".getBytes(StandardCharsets.UTF_8));
            bridge.producer().send(skipped).get();
            send(bridge, "Users", 10, 1000);
            await().atMost(Duration.ofSeconds(30)).until(() -> rows(bridge, "Users") == 5);
            assertThat(fake.rows(bridge.project, bridge.dataset, bridge.prefix + "_public_Users"))
                    .extracting(r -> r.path("UserId").asInt()).containsExactlyInAnyOrder(1, 2, 3, 4, 10);
        }
    }

    private static String cli(BigQueryTestBridge bridge, Map<String, String> settings, String... extra) throws Exception {
        String[] args = new String[3 + extra.length];
        args[0] = "replay";
        args[1] = "--sink";
        args[2] = "bigquery";
        System.arraycopy(extra, 0, args, 3, extra.length);
        try (BridgeProcess p = BridgeProcess.start(bridge.dir, settings, args)) {
            assertThat(p.awaitExit(Duration.ofSeconds(60))).as(p.output()).isZero();
            return p.output();
        }
    }

    private static void send(BigQueryTestBridge bridge, String table, int id, long lsn) throws Exception {
        String keyCol = table.equals("Users") ? "UserId" : "BookId";
        String key = "{\"" + keyCol + "\":" + id + "}";
        String after = table.equals("Users") ? user(id, "User " + id, "Vendas") : "{\"BookId\":" + id + ",\"Title\":\"Dom Casmurro\"}";
        String types = table.equals("Users") ? USER_TYPES : "{\"BookId\":\"int4\",\"Title\":\"varchar\"}";
        bridge.send(table, key, event("c", table, key, "null", after, lsn), types);
    }

    private static int rows(BigQueryTestBridge bridge, String table) {
        return fake.rows(bridge.project, bridge.dataset, bridge.prefix + "_public_" + table).size();
    }
}
