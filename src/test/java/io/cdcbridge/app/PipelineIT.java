package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.demo.Bookstore;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeBigQueryWrite;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole application end to end, as {@code java -jar} wires it: the bookstore in the real embedded Postgres →
 * capture → Kafka → the YAML delivery routes → the BigQuery fake (spoken to by the real client library).
 */
class PipelineIT {

    static FakeBigQuery bigQuery;
    static FakeBigQueryWrite storageWrite;

    @BeforeAll
    static void startFakes() {
        bigQuery = FakeBigQuery.start();
        storageWrite = FakeBigQueryWrite.start(bigQuery);
    }

    @AfterAll
    static void stopFakes() {
        storageWrite.close();
        bigQuery.close();
    }

    /** On both write paths (cdc.bigquery.write-api): insertAll over REST, or the Storage Write API over gRPC. */
    @ParameterizedTest
    @ValueSource(strings = {"insertall", "storage"})
    void bookstoreChangesLandInBigQueryThroughAnAlterTableAndAnOutage(String writeApi) throws Exception {
        boolean storage = writeApi.equals("storage");
        CaptureFixture f = CaptureFixture.create("pipeline", Bookstore.SCHEMA_SQL, "ALTER TABLE \"Sales\" REPLICA IDENTITY FULL",
                Bookstore.SEED_SQL);
        String dataset = "ds_" + f.prefix;
        Map<String, String> settings = new java.util.HashMap<>(Map.of(
                "cdc.bigquery.project", "test-project",
                "cdc.bigquery.dataset", dataset,
                "cdc.bigquery.endpoint", bigQuery.endpoint(),
                "cdc.bigquery.group-id", "bq-" + f.prefix,
                "cdc.bigquery.batch-timeout-ms", "50",
                "cdc.delivery.retry-delay-ms", "100",
                "cdc.delivery.max-retry-delay-ms", "500",
                "cdc.routes.reload", "false",
                "cdc.bigquery.write-api", writeApi));
        if (storage) {
            settings.put("cdc.bigquery.storage-endpoint", storageWrite.endpoint());
        }
        int appendsBefore = storageWrite.appendRequests();
        int insertAllsBefore = bigQuery.insertAllRequests();
        try (Bridge bridge = Bridge.start(f.settings(settings))) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            String users = f.prefix + "_public_Users";
            await("snapshot in BigQuery").atMost(Duration.ofSeconds(60)).until(() -> rows(dataset, users).size() == 3
                    && rows(dataset, f.prefix + "_public_Books").size() == 7 && rows(dataset, f.prefix + "_public_BookTypes").size() == 4);

            f.sql("INSERT INTO \"Users\" (\"UserName\", \"Department\") VALUES ('Zé Ninguém ✓', NULL)",
                    "UPDATE \"Users\" SET \"Department\" = 'Logística' WHERE \"UserName\" = 'Ana'");
            f.sql("DELETE FROM \"Users\" WHERE \"UserName\" = 'João'");
            f.sql("ALTER TABLE \"Users\" ADD COLUMN \"Email\" varchar(200)");
            f.sql("INSERT INTO \"Users\" (\"UserName\", \"Department\", \"Email\") VALUES ('Bia', 'TI', 'bia@exemplo.com.br')");
            await("changes and the new column").atMost(Duration.ofSeconds(60)).until(() -> rows(dataset, users).size() == 7);
            // a delete carries the key (Users has the default replica identity: no other old values)
            assertThat(rows(dataset, users)).extracting(r -> r.path("_op").asText() + ":" + r.path("UserId").asInt() + ":" + r.path("UserName").asText(""))
                    .containsExactly("r:1:Ana", "r:2:João", "r:3:Márcia", "c:4:Zé Ninguém ✓", "u:1:Ana", "d:2:", "c:5:Bia");
            assertThat(rows(dataset, users).get(3).path("Department").asText(null)).as("NULL stays NULL").isNull();
            assertThat(rows(dataset, users).get(4).path("Department").asText()).isEqualTo("Logística");
            assertThat(rows(dataset, users).get(6).path("Email").asText()).isEqualTo("bia@exemplo.com.br");
            assertThat(bigQuery.schema("test-project", dataset, users)).containsEntry("Email", "STRING").containsEntry("UserId", "INTEGER");
            if (storage) {
                // a BIGNUMERIC travels as its encoded value over gRPC: BigQuery keeps no trailing zeros
                assertThat(new java.math.BigDecimal(rows(dataset, f.prefix + "_public_Books").get(0).path("Price").asText()))
                        .isEqualByComparingTo("39.90");
            } else {
                assertThat(rows(dataset, f.prefix + "_public_Books").get(0).path("Price").asText()).isEqualTo("39.90");
            }

            // BigQuery answers 503 (UNAVAILABLE on gRPC) for a while: the rows committed meanwhile arrive afterwards, none lost
            if (storage) {
                storageWrite.failFor(io.grpc.Status.Code.UNAVAILABLE, Duration.ofSeconds(3));
            } else {
                bigQuery.failFor(503, Duration.ofSeconds(3), "/insertAll");
            }
            for (int i = 0; i < 20; i++) {
                f.sql("INSERT INTO \"Sales\" (\"BookId\", \"BookTypeId\", \"UserId\", \"Value\") VALUES (1, 2, 1, " + (10 + i) + ".5)");
            }
            String sales = f.prefix + "_public_Sales";
            await("sales after the outage").atMost(Duration.ofSeconds(60)).until(() -> rows(dataset, sales).size() == 20);
            assertThat(rows(dataset, sales)).extracting(r -> r.path("Value").asDouble()).containsExactlyInAnyOrderElementsOf(
                    java.util.stream.IntStream.range(0, 20).mapToObj(i -> 10 + i + 0.5).toList());
            assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.bigquery")).isEmpty();
            // the rows took the path asked for
            if (storage) {
                assertThat(storageWrite.appendRequests()).isGreaterThan(appendsBefore);
                assertThat(bigQuery.insertAllRequests()).isEqualTo(insertAllsBefore);
            } else {
                assertThat(bigQuery.insertAllRequests()).isGreaterThan(insertAllsBefore);
            }
        }
    }

    @Test
    void bookstoreChangesReachCarolStagingsWhileTokensExpireEveryFewSeconds() throws Exception {
        CaptureFixture f = CaptureFixture.create("pipecarol", Bookstore.SCHEMA_SQL, "ALTER TABLE \"Sales\" REPLICA IDENTITY FULL",
                Bookstore.SEED_SQL);
        try (FakeCarol carol = FakeCarol.start(java.time.Clock.systemUTC())) {
            carol.expiresIn(Duration.ofSeconds(3));
            carol.defineStaging("clientes", Map.of("id", "long", "nome", "string"));
            Map<String, String> s = new java.util.HashMap<>(carol.settings());
            s.put("cdc.carol.token-refresh-ahead-s", "1");
            s.put("cdc.carol.group-id", "carol-" + f.prefix);
            s.put("cdc.carol.batch-timeout-ms", "50");
            s.put("cdc.carol.staging.public.Users", "clientes");
            s.put("cdc.carol.fields.clientes", "UserId:id,UserName:nome");
            // Sales has no primary key: its staging's crosswalk must be named, else its records are dead-lettered
            s.put("cdc.carol.crosswalk.public.Sales", "SaleId");
            s.put("cdc.routes.reload", "false");
            try (Bridge bridge = Bridge.start(f.settings(s))) {
                bridge.awaitStreaming(Duration.ofSeconds(60));
                await("snapshot in Carol").atMost(Duration.ofSeconds(60)).until(() -> carol.records("clientes").size() == 3
                        && carol.records("books").size() == 7 && carol.records("booktypes").size() == 4);
                assertThat(carol.records("clientes").get(1).toString()).isEqualTo("{\"id\":2,\"nome\":\"João\"}");
                assertThat(carol.records("books").get(0).get("Price").decimalValue()).isEqualByComparingTo("39.90");
                // the stagings the bridge made: mixed-case columns as they are, the key as crosswalk; a column Postgres
                // gains is added to the staging before the first record that carries it
                assertThat(carol.schema("booktypes").path("mdmCrosswalkTemplate").path("mdmCrossreference").path("booktypes").toString())
                        .isEqualTo("[\"BookTypeId\"]");
                assertThat(carol.schema("books").path("mdmStagingMapping").path("properties").has("Isbn")).isFalse();
                f.sql("ALTER TABLE \"Books\" ADD COLUMN \"Isbn\" varchar(20)",
                        "INSERT INTO \"Books\" (\"Title\", \"BookTypeId\", \"Price\", \"Isbn\") VALUES ('Iracema', 1, 25.00, '978-85-01')");
                await("the new column in Carol").atMost(Duration.ofSeconds(60)).until(() -> carol.records("books").size() == 8);
                assertThat(carol.records("books").get(7).get("Isbn").asText()).isEqualTo("978-85-01");
                assertThat(carol.schema("books").path("mdmStagingMapping").path("properties").path("Isbn").path("type").asText())
                        .isEqualTo("string");

                f.sql("DELETE FROM \"Users\" WHERE \"UserName\" = 'Márcia'");
                f.sql("INSERT INTO \"Sales\" (\"BookId\", \"BookTypeId\", \"UserId\", \"Value\") "
                        + "SELECT 1 + g % 7, 1, 1 + g % 3, g FROM generate_series(1, 10000) g");
                await("10,000 sales").atMost(Duration.ofSeconds(120)).until(() -> carol.records("sales").size() >= 10_000);
                assertThat(carol.records("sales")).hasSize(10_000);
                assertThat(carol.records("sales").stream().map(r -> r.get("Value").asInt()).collect(java.util.stream.Collectors.toSet()))
                        .hasSize(10_000);
                await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("clientes").size() == 4);
                assertThat(carol.records("clientes").get(3).toString()).isEqualTo("{\"id\":3,\"mdmDeleted\":true}");
                String name = carol.records("clientes").stream().filter(r -> r.path("id").asInt() == 1).findFirst().orElseThrow().get("nome").asText();
                // changes keep coming (one a second) until the token has been renewed, however fast the above went;
                // then every one of them has arrived
                java.util.concurrent.atomic.AtomicInteger updates = new java.util.concurrent.atomic.AtomicInteger();
                await("a renewed token").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    f.sql("UPDATE \"Users\" SET \"UserName\" = \"UserName\" || '.' WHERE \"UserId\" = 1");
                    updates.incrementAndGet();
                    return carol.tokenCalls() > 1;
                });
                // each key once per request (its last change): updates that share a batch arrive as the last of them
                await("every update").atMost(Duration.ofSeconds(30)).until(() -> {
                    List<ObjectNode> one = carol.records("clientes").stream().filter(r -> r.path("id").asInt() == 1).toList();
                    return one.get(one.size() - 1).get("nome").asText().equals(name + ".".repeat(updates.get()));
                });
                assertThat(carol.repeatedKeys()).as("no request held a key twice").isZero();
                assertThat(carol.unauthorized()).as("no request went with an expired token").isZero();
                assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.carol")).isEmpty();
            }
        }
    }

    @Test
    void aToastedColumnAnUpdateLeftAloneArrivesInCarolsRecordUnderFullReplicaIdentity() throws Exception {
        // Carol keeps the whole last record per key: an update that did not touch a TOASTed column must still carry it
        CaptureFixture f = CaptureFixture.create("toast", "CREATE TABLE \"Docs\" (\"DocId\" int PRIMARY KEY, \"Title\" text, \"Body\" text)",
                "ALTER TABLE \"Docs\" REPLICA IDENTITY FULL", "ALTER TABLE \"Docs\" ALTER COLUMN \"Body\" SET STORAGE EXTERNAL");
        try (FakeCarol carol = FakeCarol.start(java.time.Clock.systemUTC())) {
            Map<String, String> s = new java.util.HashMap<>(carol.settings());
            s.put("cdc.carol.group-id", "carol-" + f.prefix);
            s.put("cdc.carol.batch-timeout-ms", "50");
            s.put("cdc.routes.reload", "false");
            try (Bridge bridge = Bridge.start(f.settings(s))) {
                bridge.awaitStreaming(Duration.ofSeconds(60));
                // EXTERNAL storage: the 20 kB body is stored out of line (TOASTed) and not compressed
                f.sql("INSERT INTO \"Docs\" VALUES (1, 'primeiro', repeat('texto longo ', 2000))");
                f.sql("UPDATE \"Docs\" SET \"Title\" = 'segundo' WHERE \"DocId\" = 1");
                await("the update in Carol").atMost(Duration.ofSeconds(60)).until(() -> carol.records("docs").stream()
                        .anyMatch(r -> r.path("Title").asText().equals("segundo")));
                ObjectNode last = carol.records("docs").get(carol.records("docs").size() - 1);
                assertThat(last.path("Title").asText()).isEqualTo("segundo");
                assertThat(last.path("Body").asText()).hasSize(24_000).startsWith("texto longo ");
                assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.carol")).isEmpty();
            }
        }
    }

    private static List<ObjectNode> rows(String dataset, String table) {
        return bigQuery.rows("test-project", dataset, table);
    }
}
