package io.cdcbridge.bigquery;

import io.cdcbridge.event.ChangeEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.support.BigQueryTestBridge;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.MutableClock;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The BigQuery delivery route end to end: ChangeEvent records (with their {@code cdc.types} headers) on the shared
 * Kafka broker → routes/bigquery.camel.yaml → the real google-cloud-bigquery client → {@link FakeBigQuery}.
 */
class BigQueryDeliveryIT {

    static final String USER_TYPES = "{\"UserId\":\"int4\",\"UserName\":\"varchar\",\"Department\":\"text\"}";
    static final String SALE_TYPES = "{\"SaleId\":\"int4\",\"BookId\":\"int4\",\"UserId\":\"int4\",\"Value\":\"float8\","
            + "\"Price\":\"numeric\",\"EntryDateTime\":\"timestamp\",\"PaidAt\":\"timestamptz\",\"Day\":\"date\"}";

    static FakeBigQuery fake;
    BigQueryTestBridge bridge;

    @BeforeAll
    static void startFake() {
        fake = FakeBigQuery.start();
    }

    @AfterAll
    static void stopFake() {
        fake.close();
    }

    @AfterEach
    void stopBridge() {
        if (bridge != null) {
            bridge.close();
        }
        fake.clock(java.time.Clock.systemUTC());
    }

    static String event(String op, String table, String key, String before, String after, long lsn) {
        return "{\"v\":1,\"op\":\"" + op + "\",\"schema\":\"public\",\"table\":\"" + table + "\",\"key\":" + key
                + ",\"before\":" + before + ",\"after\":" + after
                + ",\"source\":{\"lsn\":" + lsn + ",\"txId\":" + (lsn / 10) + ",\"tsMs\":1764000000000,\"snapshot\":" + "r".equals(op) + "}}";
    }

    static String user(int id, String name, String dept) {
        return "{\"UserId\":" + id + ",\"UserName\":" + (name == null ? "null" : "\"" + name + "\"") + ",\"Department\":\"" + dept + "\"}";
    }

    private void sendUser(String op, int id, String name, String dept, long lsn) throws Exception {
        String key = "{\"UserId\":" + id + "}";
        String image = user(id, name, dept);
        bridge.send("Users", key, event(op, "Users", key, "d".equals(op) ? image : "null", "d".equals(op) ? "null" : image, lsn), USER_TYPES);
    }

    private List<ObjectNode> rows(String table) {
        return fake.rows(bridge.project, bridge.dataset, bridge.prefix + "_public_" + table);
    }

    @Test
    void deliversTypedChangelogRowsAndCommitsOffsets() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqtyped", fake);
        sendUser("r", 1, "Ana", "Vendas", 100);
        sendUser("r", 2, "Bruno", "Ação", 100);
        sendUser("c", 3, null, "TI", 200);
        sendUser("u", 1, "Ana Maria", "Vendas", 210);
        sendUser("d", 2, "Bruno", "Ação", 220);
        String saleKey = "{\"SaleId\":1}";
        bridge.send("Sales", saleKey, event("c", "Sales", saleKey, "null",
                "{\"SaleId\":1,\"BookId\":7,\"UserId\":3,\"Value\":199.99,\"Price\":\"12345678901234567890.123456789012\","
                        + "\"EntryDateTime\":\"2025-01-31T10:00:00.123456\",\"PaidAt\":\"2025-01-31T10:00:00.5Z\",\"Day\":\"2025-01-31\"}", 230),
                SALE_TYPES);
        bridge.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 5 && rows("Sales").size() == 1);

        String users = bridge.prefix + "_public_Users";
        assertThat(fake.schema(bridge.project, bridge.dataset, users)).containsExactly(
                Map.entry("UserId", "INTEGER"), Map.entry("UserName", "STRING"), Map.entry("Department", "STRING"),
                Map.entry("_op", "STRING"), Map.entry("_lsn", "INTEGER"), Map.entry("_tx_id", "INTEGER"),
                Map.entry("_source_ts", "TIMESTAMP"), Map.entry("_ingested_at", "TIMESTAMP"), Map.entry("_unchanged", "STRING"),
                Map.entry("_unrepresentable", "STRING"));
        assertThat(fake.schema(bridge.project, bridge.dataset, bridge.prefix + "_public_Sales"))
                .containsEntry("Value", "FLOAT").containsEntry("Price", "BIGNUMERIC").containsEntry("EntryDateTime", "DATETIME")
                .containsEntry("PaidAt", "TIMESTAMP").containsEntry("Day", "DATE");
        assertThat(rows("Users")).extracting(r -> r.path("_op").asText() + r.path("UserId").asLong() + ":" + r.path("UserName").asText(null))
                .containsExactly("r1:Ana", "r2:Bruno", "c3:null", "u1:Ana Maria", "d2:Bruno");
        assertThat(rows("Users").get(1).path("Department").asText()).isEqualTo("Ação");
        assertThat(rows("Users").get(3).path("_lsn").asLong()).isEqualTo(210);
        ObjectNode sale = rows("Sales").get(0);
        assertThat(sale.path("Price").asText()).isEqualTo("12345678901234567890.123456789012");
        assertThat(sale.path("Value").isNumber()).isTrue();
        assertThat(sale.path("EntryDateTime").asText()).isEqualTo("2025-01-31T10:00:00.123456");
        assertThat(sale.path("_source_ts").asText()).isEqualTo("2025-11-24T16:00:00Z");
        assertThat(fake.viewQuery(bridge.project, bridge.dataset, users + "_latest")).contains("PARTITION BY `UserId`");

        // offsets are committed once the rows are in: the consumer group is at the end of both topics
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            long[] u = bridge.offsets("Users").values().iterator().next();
            long[] s = bridge.offsets("Sales").values().iterator().next();
            return u[0] == u[1] && s[0] == s[1];
        });
        assertThat(bridge.deadLetters()).isEmpty();
    }

    @Test
    void columnAddedMidStreamAppearsAndLaterRowsCarryIt() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqalter", fake).start();
        sendUser("c", 1, "Ana", "Vendas", 100);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 1);

        // ALTER TABLE "Users" ADD COLUMN "Email" varchar: the next events carry the column and its type
        String types = USER_TYPES.replace("}", ",\"Email\":\"varchar\",\"Score\":\"numeric\"}");
        String key = "{\"UserId\":2}";
        bridge.send("Users", key, event("c", "Users", key, "null",
                "{\"UserId\":2,\"UserName\":\"Bia\",\"Department\":\"TI\",\"Email\":\"bia@example.com\",\"Score\":\"9.5\"}", 200), types);
        sendUser("u", 1, "Ana", "Compras", 210); // an older-shaped event after the change still lands

        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 3);
        String users = bridge.prefix + "_public_Users";
        assertThat(fake.schema(bridge.project, bridge.dataset, users)).containsEntry("Email", "STRING").containsEntry("Score", "BIGNUMERIC")
                .containsKeys("UserId", "UserName", "Department", "_op", "_lsn", "_tx_id", "_source_ts", "_ingested_at");
        assertThat(rows("Users").get(1).path("Email").asText()).isEqualTo("bia@example.com");
        assertThat(rows("Users").get(1).path("Score").asText()).isEqualTo("9.5");
        assertThat(fake.viewQuery(bridge.project, bridge.dataset, users + "_latest")).contains("`Email`", "`Score`");
        assertThat(bridge.deadLetters()).isEmpty();
    }

    @Test
    void aReplayWithinTheDedupWindowStoresNothingTwiceAndOneAfterItStoresDuplicatesTheLatestViewCollapses() throws Exception {
        MutableClock clock = new MutableClock();
        fake.clock(clock);
        bridge = BigQueryTestBridge.insertAll("bqreplay", fake);
        for (int i = 1; i <= 30; i++) {
            sendUser(i % 3 == 0 ? "u" : "c", i, "User " + i, "D" + (i % 4), 1000 + i);
        }
        bridge.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 30);
        bridge.stop();
        FakeBigQuery.Table table = fake.table(bridge.project, bridge.dataset, bridge.prefix + "_public_Users");
        String users = bridge.prefix + "_public_Users";

        // the same records consumed again from the start (a new consumer group = a full replay), within BigQuery's window
        replay(table, "-replay", 2);
        assertThat(rows("Users")).hasSize(30);
        assertThat(fake.duplicates(bridge.project, bridge.dataset, users)).isZero();

        // and again after the window: BigQuery's deduplication is best effort, so each row is stored a second time
        clock.advance(FakeBigQuery.DEDUP_WINDOW.plusSeconds(1));
        replay(table, "-replay-late", 3);
        assertThat(rows("Users")).hasSize(60);
        assertThat(fake.duplicates(bridge.project, bridge.dataset, users)).isEqualTo(30);
        synchronized (table) {
            assertThat(table.rowInsertIds).doesNotContainNull().hasSize(60);
        }
        // the latest-state view is what users read: one row per key, the duplicates collapsed
        List<String> expected = new java.util.ArrayList<>();
        for (int i = 1; i <= 30; i++) {
            expected.add(i + ":User " + i);
        }
        assertThat(evaluateLatestView(io.cdcbridge.support.TestInfra.newDatabase("bqdup"), "Users"))
                .extracting(r -> r.get("UserId") + ":" + r.get("UserName")).containsExactlyInAnyOrderElementsOf(expected);
    }

    /** Consumes the topic again from the start under a new group, until every insertId arrived {@code times} times. */
    private void replay(FakeBigQuery.Table table, String groupSuffix, int times) throws Exception {
        bridge.settings.put("cdc.bigquery.group-id", bridge.group() + groupSuffix);
        bridge.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            synchronized (table) {
                return table.insertIdsReceived.size() == 30 && table.insertIdsReceived.values().stream().allMatch(n -> n == times);
            }
        });
        bridge.stop();
    }

    @Test
    void anOutageOfBigQueryLosesNothing() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqoutage", fake);
        for (int i = 1; i <= 12; i++) {
            sendUser("c", i, "User " + i, "Vendas", 100 + i);
        }
        // BigQuery answers 503 backendError to the first 4 insertAll calls for this table, then 429 once
        String insertAll = "/datasets/" + bridge.dataset + "/tables/" + bridge.prefix + "_public_Users/insertAll";
        fake.failNext(503, 6, insertAll);
        bridge.start();
        // while BigQuery refuses, nothing is committed (no insertAll has succeeded yet)
        await().atMost(Duration.ofSeconds(30)).until(() -> fake.failuresLeft() <= 4);
        long committed = bridge.offsets("Users").values().iterator().next()[0];
        assertThat(fake.failuresLeft()).as("still inside the outage").isPositive();
        assertThat(committed).isEqualTo(-1);
        await().atMost(Duration.ofSeconds(30)).until(() -> fake.failuresLeft() == 0);
        fake.failNext(429, 1, insertAll);
        sendUser("c", 13, "User 13", "Vendas", 200);

        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 13);
        assertThat(fake.failuresLeft()).isZero();
        assertThat(rows("Users")).extracting(r -> r.path("UserId").asInt()).containsExactlyInAnyOrder(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13);
        assertThat(bridge.deadLetters()).isEmpty();
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            long[] u = bridge.offsets("Users").values().iterator().next();
            return u[0] == u[1];
        });
    }

    @Test
    void anOutageLongerThanTheRetryBudgetDeadLettersTheBatchAndCommits() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqlong", fake);
        bridge.settings.put("cdc.delivery.max-retries", "3");
        for (int i = 1; i <= 5; i++) {
            sendUser("c", i, "User " + i, "Vendas", 100 + i);
        }
        String insertAll = "/datasets/" + bridge.dataset + "/tables/" + bridge.prefix + "_public_Users/insertAll";
        fake.failNext(503, 1000, insertAll);
        bridge.start();

        // 1 attempt + 3 retries, then every record of the batch is in the dead-letter topic, and the batch is committed
        await().atMost(Duration.ofSeconds(30)).until(() -> bridge.deadLetters().size() == 5);
        fake.failNext(503, 0, "");
        assertThat(bridge.deadLetters()).allSatisfy(r -> {
            assertThat(header(r, "cdc.error.class")).isEqualTo("com.google.cloud.bigquery.BigQueryException");
            assertThat(errorOf(r)).contains("Error encountered during execution");
        });
        // 1 attempt + 3 retries reached the fake
        assertThat(fake.requestLog().stream().filter(l -> l.endsWith(insertAll))).hasSize(4);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            long[] u = bridge.offsets("Users").values().iterator().next();
            return u[0] == u[1];
        });
        assertThat(rows("Users")).isEmpty();
        // and the stream goes on
        sendUser("c", 6, "User 6", "Vendas", 200);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 1);
    }

    /** For a dead-letter topic that cannot be written: a producer pointed at a closed port. */
    private static org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> unreachableProducer() {
        java.util.Properties p = new java.util.Properties();
        p.put("bootstrap.servers", "127.0.0.1:1");
        p.put("key.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        p.put("value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName());
        p.put("max.block.ms", "200");
        return new org.apache.kafka.clients.producer.KafkaProducer<>(p);
    }

    @Test
    void whenEvenTheDeadLetterWriteFailsNothingIsCommittedAndTheBatchIsReadAgain() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqdlqdown", fake);
        bridge.settings.put("cdc.delivery.max-retries", "2");
        try (var broken = unreachableProducer()) {
            bridge.deadLetters = new io.cdcbridge.errors.DeadLetters(broken, bridge.prefix);
            sendUser("c", 1, "Ana", "Vendas", 100);
            bridge.send("Users", null, "poison", null);
            sendUser("c", 2, "Bia", "TI", 110);
            bridge.start();

            // the poison record cannot be parked: the batch fails, nothing is inserted, nothing is committed
            await().atMost(Duration.ofSeconds(30)).until(() -> fake.hasDataset(bridge.project, bridge.dataset));
            await().during(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(6))
                    .until(() -> bridge.offsets("Users").values().iterator().next()[0] == -1 && rows("Users").isEmpty());

            // the dead-letter topic is writable again: the same records are read again and all is delivered
            bridge.context().getRegistry().bind("deadLetters", new io.cdcbridge.errors.DeadLetters(bridge.producer(), bridge.prefix));
            await().atMost(Duration.ofSeconds(60)).until(() -> rows("Users").size() == 2 && bridge.deadLetters().size() == 1);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                long[] u = bridge.offsets("Users").values().iterator().next();
                return u[0] == u[1];
            });
            assertThat(rows("Users")).extracting(r -> r.path("UserId").asInt()).containsExactly(1, 2);
        }
    }

    @Test
    void whenARequestCanBeNeitherDeliveredNorDeadLetteredTheBatchIsReadAgain() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqreqdown", fake);
        bridge.settings.put("cdc.delivery.max-retries", "1");
        bridge.settings.put("cdc.delivery.retry-delay-ms", "50");
        try (var broken = unreachableProducer()) {
            bridge.deadLetters = new io.cdcbridge.errors.DeadLetters(broken, bridge.prefix);
            for (int i = 1; i <= 1200; i++) { // three requests, sent side by side
                sendUser("c", i, "User " + i, "Vendas", 100 + i);
            }
            String insertAll = "/datasets/" + bridge.dataset + "/tables/" + bridge.prefix + "_public_Users/insertAll";
            fake.failNext(503, 1_000_000, insertAll);
            bridge.start();

            // BigQuery is down past the retry budget and the dead-letter topic cannot be written: nothing is committed
            await().atMost(Duration.ofSeconds(30)).until(() -> fake.requestLog().stream().filter(l -> l.endsWith(insertAll)).count() >= 6);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
                    .until(() -> bridge.offsets("Users").values().iterator().next()[0] == -1);

            // both come back: the batch is read again and every row lands, none dead-lettered
            fake.failNext(503, 0, "");
            bridge.context().getRegistry().bind("deadLetters", new io.cdcbridge.errors.DeadLetters(bridge.producer(), bridge.prefix));
            await().atMost(Duration.ofSeconds(60)).until(() -> rows("Users").size() == 1200);
            await().atMost(Duration.ofSeconds(20)).until(() -> {
                long[] u = bridge.offsets("Users").values().iterator().next();
                return u[0] == u[1];
            });
            assertThat(rows("Users")).extracting(r -> r.path("UserId").asInt()).containsExactlyInAnyOrderElementsOf(
                    java.util.stream.IntStream.rangeClosed(1, 1200).boxed().toList());
            assertThat(bridge.deadLetters()).isEmpty();
        }
    }

    @Test
    void aLargeTransactionArrivesCompleteInRequestsOfAtMost500Rows() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqbulk", fake);
        bridge.start();
        int n = 3000;
        var producer = bridge.producer();
        long t0 = System.nanoTime();
        for (int i = 1; i <= n; i++) {
            String key = "{\"SaleId\":" + i + "}";
            String value = event("c", "Sales", key, "null", "{\"SaleId\":" + i + ",\"BookId\":" + (i % 7 + 1) + ",\"UserId\":" + (i % 3 + 1)
                    + ",\"Value\":" + (20 + i % 180) + ".5,\"Price\":\"" + i + ".25\",\"EntryDateTime\":\"2025-01-31T10:00:00\","
                    + "\"PaidAt\":\"2025-01-31T10:00:00Z\",\"Day\":\"2025-01-31\"}", 5000 + i);
            var r = new org.apache.kafka.clients.producer.ProducerRecord<>(bridge.topic("Sales"), key.getBytes(StandardCharsets.UTF_8),
                    value.getBytes(StandardCharsets.UTF_8));
            r.headers().add("cdc.types", SALE_TYPES.getBytes(StandardCharsets.UTF_8));
            producer.send(r);
        }
        producer.flush();
        int before = fake.insertAllRequests();
        await().atMost(Duration.ofSeconds(60)).until(() -> rows("Sales").size() == n);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        org.slf4j.LoggerFactory.getLogger(getClass()).info("{} rows produced and inserted in {} ms", n, ms);
        assertThat(fake.insertAllRequests() - before).isGreaterThanOrEqualTo(n / 500);
        assertThat(fake.table(bridge.project, bridge.dataset, bridge.prefix + "_public_Sales").rejected).isEmpty();
        var delivery = ((io.cdcbridge.delivery.SinkComponent) bridge.context().getComponent("sink")).engine("bigquery");
        // the fake stores the last rows before the delivery counts them (after the response): wait for the count
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(delivery.deliveredCounts()).containsEntry("public.Sales", (long) n));
        assertThat(bridge.deadLetters()).isEmpty();
    }

    @Test
    void aRequestRefusedAsAWholeDeadLettersOnlyItsRows() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqrefused", fake);
        sendUser("c", 1, "Ana", "Vendas", 100);
        sendUser("c", 2, "Bia", "TI", 101);
        String saleKey = "{\"SaleId\":1}";
        bridge.send("Sales", saleKey, event("c", "Sales", saleKey, "null", "{\"SaleId\":1,\"Value\":10.5}", 102), SALE_TYPES);
        // BigQuery answers 403 accessDenied to the Users request: not retryable
        fake.failNext(403, 1, "/datasets/" + bridge.dataset + "/tables/" + bridge.prefix + "_public_Users/insertAll");
        bridge.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Sales").size() == 1 && bridge.deadLetters().size() == 2);
        assertThat(rows("Users")).isEmpty();
        assertThat(bridge.deadLetters()).allSatisfy(r -> {
            assertThat(header(r, "cdc.origin.topic")).isEqualTo(bridge.topic("Users"));
            assertThat(errorOf(r)).contains("403");
        });
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            long[] u = bridge.offsets("Users").values().iterator().next();
            return u[0] == u[1];
        });
    }

    @Test
    void aRejectedRowAndPoisonRecordsGoToTheDeadLetterTopicWhileTheirNeighboursLand() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqreject", fake);
        sendUser("c", 1, "Ana", "Vendas", 100);
        String key = "{\"UserId\":2}";
        // UserId is INT64 in BigQuery: "dois" cannot be converted; BigQuery refuses this row only
        bridge.send("Users", key, event("c", "Users", key, "null", "{\"UserId\":\"dois\",\"UserName\":\"Bia\",\"Department\":\"TI\"}", 110), USER_TYPES);
        sendUser("c", 3, "Caio", "TI", 120);
        bridge.send("Users", null, "this is not json", null);
        bridge.send("Users", key, event("c", "Users", key, "null", user(2, "Bia", "TI"), 130).replace("\"v\":1", "\"v\":2"), USER_TYPES);
        sendUser("c", 4, "Duda", "RH", 140);
        bridge.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 3 && bridge.deadLetters().size() == 3);
        assertThat(rows("Users")).extracting(r -> r.path("UserId").asInt()).containsExactly(1, 3, 4);
        Map<Long, String> reasons = bridge.deadLetters().stream().collect(Collectors.toMap(ConsumerRecord::offset, BigQueryDeliveryIT::errorOf));
        List<ConsumerRecord<byte[], byte[]>> dlq = bridge.deadLetters();
        Map<String, String> byOrigin = dlq.stream().collect(Collectors.toMap(r -> header(r, "cdc.origin.offset"), BigQueryDeliveryIT::errorOf));
        assertThat(reasons).hasSize(3);
        assertThat(byOrigin.get("1")).contains("BigQuery rejected the row").contains("invalid at UserId").contains("Cannot convert value to integer");
        assertThat(byOrigin.get("3")).contains("not JSON");
        assertThat(byOrigin.get("4")).contains("v=2");
        assertThat(dlq).allSatisfy(r -> {
            assertThat(header(r, "cdc.origin.topic")).isEqualTo(bridge.topic("Users"));
            assertThat(header(r, "cdc.error.class")).isEqualTo("io.cdcbridge.errors.PermanentDeliveryException");
        });
        // the dead letter is the original record, types header included
        ConsumerRecord<byte[], byte[]> rejected = dlq.stream().filter(r -> "1".equals(header(r, "cdc.origin.offset"))).findFirst().orElseThrow();
        assertThat(new String(rejected.value(), StandardCharsets.UTF_8)).contains("\"dois\"");
        assertThat(header(rejected, "cdc.types")).isEqualTo(USER_TYPES);

        // the stream goes on, and everything is committed
        sendUser("c", 5, "Edu", "RH", 150);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 4);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            long[] u = bridge.offsets("Users").values().iterator().next();
            return u[0] == u[1];
        });
        assertThat(bridge.deadLetters()).hasSize(3);
    }

    @Test
    void dryRunWritesTheRowsAsJsonLinesAndCallsNoBigQuery() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqdry", fake);
        bridge.settings.put("cdc.sink.dry-run", "true");
        bridge.settings.remove("cdc.bigquery.endpoint");
        sendUser("c", 1, "Ana", "Vendas", 100);
        sendUser("u", 1, "Ana", "Compras", 110);
        bridge.send("Users", null, "{\"v\":1}", null);
        bridge.start();

        java.nio.file.Path out = bridge.dir.resolve("out/bigquery/" + bridge.prefix + "_public_Users.jsonl");
        await().atMost(Duration.ofSeconds(30)).until(() -> java.nio.file.Files.exists(out)
                && java.nio.file.Files.readAllLines(out).size() == 2);
        List<String> lines = java.nio.file.Files.readAllLines(out);
        com.fasterxml.jackson.databind.JsonNode first = ChangeEvent.JSON.readTree(lines.get(0));
        assertThat(first.path("insertId").asText()).hasSize(40);
        assertThat(first.path("json").path("UserName").asText()).isEqualTo("Ana");
        assertThat(first.path("json").path("_op").asText()).isEqualTo("c");
        assertThat(fake.hasDataset(bridge.project, bridge.dataset)).isFalse();
        await().atMost(Duration.ofSeconds(20)).until(() -> bridge.deadLetters().size() == 1);
    }

    @Test
    void latestViewSelectsTheNewestRowPerKeyAndHidesDeletes() throws Exception {
        bridge = BigQueryTestBridge.insertAll("bqview", fake);
        sendUser("r", 3, "Caio", "TI", 90);
        sendUser("c", 1, "Ana", "Vendas", 100);
        sendUser("c", 2, "Bia", "TI", 101);
        sendUser("c", 4, "Dani", "RH", 102);
        sendUser("d", 4, "Dani", "RH", 103);
        sendUser("u", 1, "Ana Maria", "Vendas", 110);
        sendUser("u", 1, "Ana Clara", "Compras", 120);
        sendUser("d", 2, "Bia", "TI", 130);
        sendUser("c", 4, "Dani de novo", "RH", 140);
        // a table without primary key (REPLICA IDENTITY FULL): deletes carry the full before image
        String saleTypes = "{\"BookId\":\"int4\",\"Value\":\"float8\"}";
        bridge.send("Sales", null, event("c", "Sales", "null", "null", "{\"BookId\":1,\"Value\":20.0}", 200), saleTypes);
        bridge.send("Sales", null, event("c", "Sales", "null", "null", "{\"BookId\":2,\"Value\":30.0}", 201), saleTypes);
        bridge.send("Sales", null, event("d", "Sales", "null", "{\"BookId\":1,\"Value\":20.0}", "null", 202), saleTypes);
        // TOAST: updates that leave the big "Body" unchanged do not carry it; the view keeps the last value carried
        String docTypes = "{\"Id\":\"int4\",\"Title\":\"text\",\"Body\":\"text\",\"Meta\":\"jsonb\"}";
        String body = "Lorem ipsum ".repeat(1000);
        bridge.send("Docs", "{\"Id\":1}", event("c", "Docs", "{\"Id\":1}", "null",
                "{\"Id\":1,\"Title\":\"v1\",\"Body\":\"" + body + "\",\"Meta\":{\"a\":1}}", 300), docTypes);
        bridge.send("Docs", "{\"Id\":1}", event("u", "Docs", "{\"Id\":1}", "null", "{\"Id\":1,\"Title\":\"v2\"}", 310), docTypes);
        bridge.send("Docs", "{\"Id\":1}", event("u", "Docs", "{\"Id\":1}", "null", "{\"Id\":1,\"Title\":\"v3\",\"Meta\":null}", 320), docTypes);
        bridge.send("Docs", "{\"Id\":2}", event("c", "Docs", "{\"Id\":2}", "null", "{\"Id\":2,\"Title\":\"w1\",\"Body\":\"short\",\"Meta\":null}", 330), docTypes);
        bridge.send("Docs", "{\"Id\":2}", event("u", "Docs", "{\"Id\":2}", "null", "{\"Id\":2,\"Title\":\"w2\",\"Body\":null,\"Meta\":null}", 340), docTypes);
        bridge.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 9 && rows("Sales").size() == 3 && rows("Docs").size() == 5);
        assertThat(rows("Docs").get(1).has("Body")).isFalse();
        assertThat(rows("Docs").get(1).path("_unchanged").asText()).isEqualTo("Body,Meta");

        String db = io.cdcbridge.support.TestInfra.newDatabase("bqview");
        assertThat(evaluateLatestView(db, "Users")).extracting(r -> r.get("UserId") + ":" + r.get("UserName") + ":" + r.get("_op"))
                .containsExactlyInAnyOrder("3:Caio:r", "1:Ana Clara:u", "4:Dani de novo:c");
        assertThat(evaluateLatestView(db, "Sales")).extracting(r -> r.get("BookId") + ":" + r.get("Value"))
                .containsExactly("2:30.0");
        assertThat(evaluateLatestView(db, "Docs")).extracting(r -> r.get("Id") + ":" + r.get("Title") + ":"
                        + (r.get("Body") == null ? null : ((String) r.get("Body")).length()) + ":" + r.get("Meta"))
                .containsExactlyInAnyOrder("1:v3:" + body.length() + ":null", "2:w2:null:null");
    }

    private List<Map<String, Object>> evaluateLatestView(String db, String source) throws Exception {
        return io.cdcbridge.support.BigQueryLatestView.evaluate(fake, bridge.project, bridge.dataset, bridge.prefix + "_public_" + source, db);
    }

    static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    static String errorOf(ConsumerRecord<byte[], byte[]> r) {
        return header(r, "cdc.error.message");
    }
}
