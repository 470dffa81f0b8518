package io.cdcbridge.bigquery;

import static io.cdcbridge.bigquery.BigQueryDeliveryIT.SALE_TYPES;
import static io.cdcbridge.bigquery.BigQueryDeliveryIT.USER_TYPES;
import static io.cdcbridge.bigquery.BigQueryDeliveryIT.event;
import static io.cdcbridge.bigquery.BigQueryDeliveryIT.user;
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
import io.cdcbridge.support.FakeBigQueryWrite;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * BigQueryDeliveryIT's key cases on the other write path ({@code cdc.bigquery.write-api=storage}): ChangeEvent records
 * on the shared Kafka broker → routes/bigquery.camel.yaml → tables over REST into {@link FakeBigQuery}, rows through the
 * real google-cloud-bigquerystorage client (JsonStreamWriter, default stream) into {@link FakeBigQueryWrite}, which
 * stores them in the same tables.
 */
class StorageWriteDeliveryIT {

    static FakeBigQuery fake;
    static FakeBigQueryWrite write;
    BigQueryTestBridge bridge;

    @BeforeAll
    static void startFakes() {
        fake = FakeBigQuery.start();
        write = FakeBigQueryWrite.start(fake);
    }

    @AfterAll
    static void stopFakes() {
        write.close();
        fake.close();
    }

    @AfterEach
    void stopBridge() {
        if (bridge != null) {
            bridge.close();
        }
        write.failNext(io.grpc.Status.Code.UNAVAILABLE, 0);
    }

    private void sendUser(String op, int id, String name, String dept, long lsn) throws Exception {
        String key = "{\"UserId\":" + id + "}";
        String image = user(id, name, dept);
        bridge.send("Users", key, event(op, "Users", key, "d".equals(op) ? image : "null", "d".equals(op) ? "null" : image, lsn), USER_TYPES);
    }

    private List<ObjectNode> rows(String table) {
        return fake.rows(bridge.project, bridge.dataset, bridge.prefix + "_public_" + table);
    }

    private boolean allCommitted(String table) throws Exception {
        long[] u = bridge.offsets(table).values().iterator().next();
        return u[0] == u[1];
    }

    @Test
    void deliversTypedChangelogRowsThroughTheDefaultStreamAndCommitsOffsets() throws Exception {
        bridge = new BigQueryTestBridge("swtyped", fake, write);
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
        int before = write.appendRequests();
        bridge.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 5 && rows("Sales").size() == 1);
        assertThat(write.appendRequests() - before).as("rows came over gRPC").isPositive();
        assertThat(fake.insertAllRequests()).as("no insertAll on this path").isZero();
        String users = bridge.prefix + "_public_Users";
        assertThat(fake.schema(bridge.project, bridge.dataset, users)).containsExactly(
                Map.entry("UserId", "INTEGER"), Map.entry("UserName", "STRING"), Map.entry("Department", "STRING"),
                Map.entry("_op", "STRING"), Map.entry("_lsn", "INTEGER"), Map.entry("_tx_id", "INTEGER"),
                Map.entry("_source_ts", "TIMESTAMP"), Map.entry("_ingested_at", "TIMESTAMP"), Map.entry("_unchanged", "STRING"),
                Map.entry("_unrepresentable", "STRING"));
        assertThat(rows("Users")).extracting(r -> r.path("_op").asText() + r.path("UserId").asLong() + ":" + r.path("UserName").asText(null))
                .containsExactly("r1:Ana", "r2:Bruno", "c3:null", "u1:Ana Maria", "d2:Bruno");
        assertThat(rows("Users").get(1).path("Department").asText()).isEqualTo("Ação");
        assertThat(rows("Users").get(3).path("_lsn").asLong()).isEqualTo(210);
        ObjectNode sale = rows("Sales").get(0);
        assertThat(sale.path("Price").asText()).isEqualTo("12345678901234567890.123456789012");
        assertThat(sale.path("Value").isNumber()).isTrue();
        assertThat(sale.path("EntryDateTime").asText()).isEqualTo("2025-01-31T10:00:00.123456");
        assertThat(java.time.Instant.parse(sale.path("PaidAt").asText())).isEqualTo(java.time.Instant.parse("2025-01-31T10:00:00.5Z"));
        assertThat(sale.path("Day").asText()).isEqualTo("2025-01-31");
        assertThat(sale.path("_source_ts").asText()).isEqualTo("2025-11-24T16:00:00Z");
        assertThat(fake.viewQuery(bridge.project, bridge.dataset, users + "_latest")).contains("PARTITION BY `UserId`");
        await().atMost(Duration.ofSeconds(20)).until(() -> allCommitted("Users") && allCommitted("Sales"));
        assertThat(bridge.deadLetters()).isEmpty();
    }

    @Test
    void columnAddedMidStreamAppearsAndLaterRowsCarryIt() throws Exception {
        bridge = new BigQueryTestBridge("swalter", fake, write).start();
        sendUser("c", 1, "Ana", "Vendas", 100);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 1);

        // the writer of this table was made with the old schema: it must pick up the new columns
        String types = USER_TYPES.replace("}", ",\"Email\":\"varchar\",\"Score\":\"numeric\"}");
        String key = "{\"UserId\":2}";
        bridge.send("Users", key, event("c", "Users", key, "null",
                "{\"UserId\":2,\"UserName\":\"Bia\",\"Department\":\"TI\",\"Email\":\"bia@example.com\",\"Score\":\"9.5\"}", 200), types);
        sendUser("u", 1, "Ana", "Compras", 210);

        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 3);
        assertThat(rows("Users").get(1).path("Email").asText()).isEqualTo("bia@example.com");
        assertThat(rows("Users").get(1).path("Score").asText()).isEqualTo("9.5");
        assertThat(bridge.deadLetters()).isEmpty();
    }

    @Test
    void anOutageOfTheStorageWriteServiceLosesNothing() throws Exception {
        bridge = new BigQueryTestBridge("swoutage", fake, write);
        // current tables on (the default): a failed append to <table>_current is retried alone, so the changelog
        // still holds each row once
        for (int i = 1; i <= 12; i++) {
            sendUser("c", i, "User " + i, "Vendas", 100 + i);
        }
        bridge.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 12);
        // the service answers UNAVAILABLE, then RESOURCE_EXHAUSTED (retryable gRPC statuses) to the next appends
        write.failNext(io.grpc.Status.Code.UNAVAILABLE, 4);
        for (int i = 13; i <= 20; i++) {
            sendUser("c", i, "User " + i, "Vendas", 100 + i);
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 20);
        assertThat(write.failuresLeft()).as("the outage was met").isZero();
        write.failNext(io.grpc.Status.Code.RESOURCE_EXHAUSTED, 2);
        sendUser("c", 21, "User 21", "Vendas", 300);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 21);
        assertThat(write.failuresLeft()).isZero();
        assertThat(rows("Users")).extracting(r -> r.path("UserId").asInt())
                .containsExactlyInAnyOrderElementsOf(java.util.stream.IntStream.rangeClosed(1, 21).boxed().toList());
        // the changelog takes the rows, the current table refuses them: only its part goes again
        String current = bridge.prefix + "_public_Users" + BigQueryTables.CURRENT_SUFFIX;
        write.failNext(current, io.grpc.Status.Code.UNAVAILABLE, 3);
        for (int i = 22; i <= 25; i++) {
            sendUser("c", i, "User " + i, "Vendas", 400 + i);
        }
        sendUser("u", 1, "User 1 again", "Compras", 500);
        await().atMost(Duration.ofSeconds(30)).until(() -> write.failuresLeft(current) == 0 && currentUsers().size() == 25
                && "User 1 again|Compras".equals(currentUsers().get(1)));
        await().atMost(Duration.ofSeconds(20)).until(() -> allCommitted("Users"));
        List<Integer> expected = new java.util.ArrayList<>(java.util.stream.IntStream.rangeClosed(1, 25).boxed().toList());
        expected.add(1);
        assertThat(rows("Users")).as("the changelog holds each change once").extracting(r -> r.path("UserId").asInt())
                .containsExactlyInAnyOrderElementsOf(expected);
        Map<Integer, String> source = new java.util.TreeMap<>();
        for (int i = 1; i <= 25; i++) {
            source.put(i, i == 1 ? "User 1 again|Compras" : "User " + i + "|Vendas");
        }
        assertThat(currentUsers()).as("the current table equals the source").isEqualTo(source);
        assertThat(bridge.deadLetters()).isEmpty();
    }

    private Map<Integer, String> currentUsers() {
        Map<Integer, String> out = new java.util.TreeMap<>();
        for (ObjectNode r : fake.rows(bridge.project, bridge.dataset, bridge.prefix + "_public_Users" + BigQueryTables.CURRENT_SUFFIX)) {
            out.put(r.path("UserId").asInt(), r.path("UserName").asText() + "|" + r.path("Department").asText());
        }
        return out;
    }

    @Test
    void aRejectedRowAndPoisonRecordsGoToTheDeadLetterTopicWithTheirCauseWhileTheirNeighboursLand() throws Exception {
        bridge = new BigQueryTestBridge("swreject", fake, write);
        sendUser("c", 1, "Ana", "Vendas", 100);
        String key = "{\"UserId\":2}";
        // UserId is INT64: "dois" cannot be converted, this row alone is refused
        bridge.send("Users", key, event("c", "Users", key, "null", "{\"UserId\":\"dois\",\"UserName\":\"Bia\",\"Department\":\"TI\"}", 110), USER_TYPES);
        sendUser("c", 3, "Caio", "TI", 120);
        bridge.send("Users", null, "this is not json", null);
        sendUser("c", 4, "Duda", "RH", 140);
        bridge.start();

        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 3 && bridge.deadLetters().size() == 2);
        assertThat(rows("Users")).extracting(r -> r.path("UserId").asInt()).containsExactly(1, 3, 4);
        List<ConsumerRecord<byte[], byte[]>> dlq = bridge.deadLetters();
        Map<String, String> byOrigin = dlq.stream().collect(Collectors.toMap(r -> BigQueryDeliveryIT.header(r, "cdc.origin.offset"),
                BigQueryDeliveryIT::errorOf));
        assertThat(byOrigin.get("1")).contains("BigQuery rejected the row").contains("UserId");
        assertThat(byOrigin.get("3")).contains("not JSON");
        ConsumerRecord<byte[], byte[]> rejected = dlq.stream().filter(r -> "1".equals(BigQueryDeliveryIT.header(r, "cdc.origin.offset")))
                .findFirst().orElseThrow();
        assertThat(new String(rejected.value(), StandardCharsets.UTF_8)).contains("\"dois\"");
        assertThat(BigQueryDeliveryIT.header(rejected, "cdc.error.class")).isEqualTo("io.cdcbridge.errors.PermanentDeliveryException");
        sendUser("c", 5, "Edu", "RH", 150);
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 4);
        await().atMost(Duration.ofSeconds(20)).until(() -> allCommitted("Users"));
        assertThat(bridge.deadLetters()).hasSize(2);
    }

    @Test
    void aLargeTransactionArrivesComplete() throws Exception {
        bridge = new BigQueryTestBridge("swbulk", fake, write);
        bridge.start();
        int n = 3000;
        var producer = bridge.producer();
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
        await().atMost(Duration.ofSeconds(60)).until(() -> rows("Sales").size() == n);
        assertThat(rows("Sales")).extracting(r -> r.path("SaleId").asInt()).doesNotHaveDuplicates();
        var delivery = ((io.cdcbridge.delivery.SinkComponent) bridge.context().getComponent("sink")).engine("bigquery");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(delivery.deliveredCounts()).containsEntry("public.Sales", (long) n));
        assertThat(bridge.deadLetters()).isEmpty();
    }

    @Test
    void latestViewOverStorageWriteRowsSelectsTheNewestRowPerKeyKeepsToastAndHidesDeletes() throws Exception {
        bridge = new BigQueryTestBridge("swview", fake, write);
        sendUser("r", 3, "Caio", "TI", 90);
        sendUser("c", 1, "Ana", "Vendas", 100);
        sendUser("c", 2, "Bia", "TI", 101);
        sendUser("u", 1, "Ana Clara", "Compras", 120);
        sendUser("d", 2, "Bia", "TI", 130);
        String docTypes = "{\"Id\":\"int4\",\"Title\":\"text\",\"Body\":\"text\",\"Meta\":\"jsonb\"}";
        String body = "Lorem ipsum ".repeat(1000);
        bridge.send("Docs", "{\"Id\":1}", event("c", "Docs", "{\"Id\":1}", "null",
                "{\"Id\":1,\"Title\":\"v1\",\"Body\":\"" + body + "\",\"Meta\":{\"a\":1}}", 300), docTypes);
        bridge.send("Docs", "{\"Id\":1}", event("u", "Docs", "{\"Id\":1}", "null", "{\"Id\":1,\"Title\":\"v2\"}", 310), docTypes);
        bridge.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> rows("Users").size() == 5 && rows("Docs").size() == 2);
        assertThat(rows("Docs").get(1).has("Body")).isFalse();
        assertThat(rows("Docs").get(1).path("_unchanged").asText()).isEqualTo("Body,Meta");
        String db = io.cdcbridge.support.TestInfra.newDatabase("swview");
        assertThat(io.cdcbridge.support.BigQueryLatestView.evaluate(fake, bridge.project, bridge.dataset, bridge.prefix + "_public_Users", db))
                .extracting(r -> r.get("UserId") + ":" + r.get("UserName") + ":" + r.get("_op"))
                .containsExactlyInAnyOrder("3:Caio:r", "1:Ana Clara:u");
        assertThat(io.cdcbridge.support.BigQueryLatestView.evaluate(fake, bridge.project, bridge.dataset, bridge.prefix + "_public_Docs", db))
                .extracting(r -> r.get("Id") + ":" + r.get("Title") + ":" + ((String) r.get("Body")).length())
                .containsExactly("1:v2:" + body.length());
    }
}
