package io.cdcbridge.bigquery;

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
        bridge = new BigQueryTestBridge("bqtyped", fake);
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
                Map.entry("_source_ts", "TIMESTAMP"), Map.entry("_ingested_at", "TIMESTAMP"));
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
}
