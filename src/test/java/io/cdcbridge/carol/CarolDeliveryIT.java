package io.cdcbridge.carol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.config.Settings;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Carol delivery route as the application runs it (capture off, ChangeEvents produced to the shared broker)
 * against the Carol fake: stagings, deletes, token renewal, 401, 413 splitting, a refused record, outages, bad
 * credentials, dry run, API key.
 */
class CarolDeliveryIT {

    private static final String TYPES = "{\"UserId\":\"int4\",\"UserName\":\"varchar\",\"Department\":\"varchar\",\"Saldo\":\"numeric\"}";
    private FakeCarol carol;
    private String prefix;
    private Map<String, String> settings;

    @BeforeEach
    void start() {
        carol = FakeCarol.start(Clock.systemUTC());
        carol.defineStaging("users", Map.of("UserId", "long", "UserName", "string", "Department", "string", "Saldo", "double"));
        prefix = TestInfra.newPrefix("carol");
        settings = TestInfra.deliverySettings(prefix, TestInfra.newDir(prefix), carol);
        settings.put("cdc.delivery.max-retries", "6");
        settings.put("cdc.delivery.retry-delay-ms", "100");
        settings.put("cdc.delivery.max-retry-delay-ms", "1000");
    }

    @AfterEach
    void stop() {
        carol.close();
    }

    private String topic() {
        return prefix + ".public.Users";
    }

    private void user(String op, int id, String name, String dept) {
        String image = "{\"UserId\":" + id + ",\"UserName\":\"" + name + "\",\"Department\":\"" + dept + "\",\"Saldo\":\"" + id + ".25\"}";
        String event = "{\"v\":1,\"op\":\"" + op + "\",\"schema\":\"public\",\"table\":\"Users\",\"key\":{\"UserId\":" + id + "},"
                + "\"before\":" + (op.equals("d") ? image : "null") + ",\"after\":" + (op.equals("d") ? "null" : image)
                + ",\"source\":{\"lsn\":" + (1000 + id) + ",\"txId\":7,\"tsMs\":1764000000000,\"snapshot\":false}}";
        TestInfra.produce(topic(), "{\"UserId\":" + id + "}", event, "cdc.types", TYPES);
    }

    private void users(int from, int to) {
        for (int i = from; i < to; i++) {
            user("c", i, "Usuário " + i, "Vendas");
        }
    }

    private List<Integer> ids() {
        return carol.records("users").stream().filter(r -> !r.has("mdmDeleted")).map(r -> r.get("UserId").asInt()).sorted().toList();
    }

    private Bridge bridge() throws Exception {
        return Bridge.start(Settings.of(settings));
    }

    private long lag() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestInfra.kafka().bootstrapServers()))) {
            TopicPartition tp = new TopicPartition(topic(), 0);
            var committed = admin.listConsumerGroupOffsets("carol-" + prefix).partitionsToOffsetAndMetadata().get().get(tp);
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
            return end - (committed == null ? 0 : committed.offset());
        }
    }

    @Test
    void changesArriveAsTypedStagingRecordsDeletesAsMdmDeletedAndOffsetsAreCommitted() throws Exception {
        user("c", 1, "Ana", "Vendas");
        user("u", 1, "Ana", "Logística");
        user("c", 2, "João", "Financeiro");
        user("d", 2, "João", "Financeiro");
        try (Bridge b = bridge()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> lag() == 0);
            // one batch: each key once, its last change
            List<ObjectNode> r = carol.records("users");
            assertThat(r).hasSize(2);
            assertThat(r.get(0).toString()).isEqualTo("{\"UserId\":1,\"UserName\":\"Ana\",\"Department\":\"Logística\",\"Saldo\":1.25}");
            assertThat(r.get(1).toString()).isEqualTo("{\"UserId\":2,\"mdmDeleted\":true}");
            assertThat(KafkaTestConsumer.readAll(prefix + ".dlq.carol")).isEmpty();
        }
    }

    @Test
    void twentyUpdatesOfOneKeyInOneBatchArriveAsOneFinalRecordAndNoRequestHoldsAKeyTwice() throws Exception {
        // a staging whose crosswalk is the key, so the fake checks each request for repeated keys
        carol.defineStaging("users", Map.of("UserId", "long", "UserName", "string", "Department", "string", "Saldo", "double"), List.of("UserId"));
        user("c", 1, "Ana", "Vendas");
        for (int i = 1; i <= 20; i++) {
            user("u", 1, "Ana v" + i, "Depto " + i);
        }
        user("c", 2, "João", "Financeiro");
        user("d", 2, "João", "Financeiro");
        // produced before the bridge starts: the first poll takes all 23 records, one batch, one request
        try (Bridge b = bridge()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> lag() == 0);
            assertThat(carol.records("users").stream().map(Object::toString)).containsExactly(
                    "{\"UserId\":1,\"UserName\":\"Ana v20\",\"Department\":\"Depto 20\",\"Saldo\":1.25}",
                    "{\"UserId\":2,\"mdmDeleted\":true}");
            assertThat(carol.repeatedKeys()).isZero();
            assertThat(carol.intakeCalls()).isEqualTo(1);
            assertThat(KafkaTestConsumer.readAll(prefix + ".dlq.carol")).isEmpty();
        }
    }

    @Test
    void aTableWithoutKeyOrCrosswalkIsDeadLetteredNamingTheSettingAndOtherTablesGoOn() throws Exception {
        String logs = prefix + ".public.Logs";
        for (int i = 0; i < 3; i++) {
            TestInfra.produce(logs, null, "{\"v\":1,\"op\":\"c\",\"schema\":\"public\",\"table\":\"Logs\",\"key\":null,\"before\":null,"
                    + "\"after\":{\"Line\":\"linha " + i + "\"},\"source\":{\"lsn\":" + (10 + i) + ",\"txId\":7,\"tsMs\":1,\"snapshot\":false}}",
                    "cdc.types", "{\"Line\":\"text\"}");
        }
        users(0, 3);
        try (Bridge b = bridge()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> KafkaTestConsumer.readAll(prefix + ".dlq.carol").size() == 3);
            await().atMost(Duration.ofSeconds(30)).until(() -> ids().equals(List.of(0, 1, 2)));
            for (var dead : KafkaTestConsumer.readAll(prefix + ".dlq.carol")) {
                assertThat(dead.value()).contains("\"table\":\"Logs\"");
                assertThat(dead.headers().get("cdc.error.message")).contains("cdc.carol.crosswalk.public.Logs").contains("no primary key");
            }
            assertThat(carol.records("logs")).isEmpty();
            assertThat(carol.schema("logs")).isNull();
            await().atMost(Duration.ofSeconds(20)).until(() -> lag() == 0);
        }
    }

    @Test
    void tokensExpiringEveryFewSecondsLoseNothingAndNoRequestGoesWithoutAValidToken() throws Exception {
        carol.expiresIn(Duration.ofSeconds(3));
        settings.put("cdc.carol.token-refresh-ahead-s", "1");
        settings.put("cdc.carol.batch-size", "100");
        try (Bridge b = bridge()) {
            // rows keep coming, 2,000 at a time, until the token has been renewed twice: deliveries straddle renewals
            // however fast they go (at least 10,000 rows)
            int n = 0;
            while (n < 10_000 || carol.tokenCalls() < 3) {
                users(n, n + 2_000);
                n += 2_000;
                int sent = n;
                await().atMost(Duration.ofSeconds(60)).until(() -> carol.records("users").size() >= sent);
                assertThat(n).as("rows sent before the second renewal").isLessThan(400_000);
            }
            assertThat(ids()).isEqualTo(IntStream.range(0, n).boxed().toList());
            assertThat(carol.unauthorized()).as("requests refused for their token").isZero();
        }
    }

    @Test
    void aRevokedTokenIsRenewedOnceAndTheRequestRetried() throws Exception {
        try (Bridge b = bridge()) {
            users(0, 10);
            await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("users").size() == 10);
            carol.revokeTokens();
            users(10, 20);
            await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("users").size() == 20);
            assertThat(carol.unauthorized()).isEqualTo(1);
            assertThat(ids()).isEqualTo(IntStream.range(0, 20).boxed().toList());
        }
    }

    @Test
    void aRequestOverCarolsLimitIsSplitInHalvesUntilItPasses() throws Exception {
        carol.maxBytes(20_000); // ~100 records of ~130 bytes
        users(0, 500);
        try (Bridge b = bridge()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("users").size() == 500);
            assertThat(carol.tooLarge()).isPositive();
            assertThat(carol.maxRecordsSeen()).isLessThan(500);
            assertThat(ids()).isEqualTo(IntStream.range(0, 500).boxed().toList());
            assertThat(KafkaTestConsumer.readAll(prefix + ".dlq.carol")).isEmpty();
        }
    }

    @Test
    void aRecordCarolRefusesGoesAloneToTheDeadLetterTopicWithCarolsReasonAndItsNeighboursArrive() throws Exception {
        users(0, 50);
        // a Department that is a number where the staging wants a string
        TestInfra.produce(topic(), "{\"UserId\":50}", "{\"v\":1,\"op\":\"c\",\"schema\":\"public\",\"table\":\"Users\",\"key\":{\"UserId\":50},"
                + "\"before\":null,\"after\":{\"UserId\":50,\"UserName\":\"Zé\",\"Department\":42},\"source\":{\"lsn\":5,\"txId\":7,\"tsMs\":1,\"snapshot\":false}}",
                "cdc.types", TYPES);
        TestInfra.produce(topic(), null, "this is not a ChangeEvent");
        users(51, 100);
        try (Bridge b = bridge()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("users").size() == 99);
            await().atMost(Duration.ofSeconds(30)).until(() -> KafkaTestConsumer.readAll(prefix + ".dlq.carol").size() == 2);
            var dlq = KafkaTestConsumer.readAll(prefix + ".dlq.carol");
            var refused = dlq.stream().filter(r -> r.value().contains("\"UserId\":50")).findFirst().orElseThrow();
            assertThat(refused.headers().get("cdc.error.message")).contains("field Department must be a string").contains("HTTP 400");
            var poison = dlq.stream().filter(r -> r.value().startsWith("this is not")).findFirst().orElseThrow();
            assertThat(poison.headers().get("cdc.error.message")).contains("not JSON");
            assertThat(ids()).doesNotContain(50).hasSize(99);
            await().atMost(Duration.ofSeconds(20)).until(() -> lag() == 0);
        }
    }

    @Test
    void aServiceUnavailableWindowDelaysButLosesNothing() throws Exception {
        carol.failFor(503, Duration.ofSeconds(3), 1);
        users(0, 30);
        try (Bridge b = bridge()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> carol.intakeCalls() > 0);
            assertThat(lag()).as("nothing committed during the outage").isEqualTo(30);
            await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("users").size() == 30);
            assertThat(ids()).isEqualTo(IntStream.range(0, 30).boxed().toList());
            assertThat(KafkaTestConsumer.readAll(prefix + ".dlq.carol")).isEmpty();
        }
    }

    @Test
    void anOutageBeyondTheRetryBudgetDeadLettersTheBatchAndTheStreamGoesOn() throws Exception {
        settings.put("cdc.delivery.max-retries", "2");
        carol.failNext(503, 3);
        users(0, 5);
        try (Bridge b = bridge()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> KafkaTestConsumer.readAll(prefix + ".dlq.carol").size() == 5);
            assertThat(KafkaTestConsumer.readAll(prefix + ".dlq.carol").get(0).headers().get("cdc.error.message")).contains("HTTP 503");
            users(5, 8);
            await().atMost(Duration.ofSeconds(30)).until(() -> ids().equals(List.of(5, 6, 7)));
        }
    }

    @Test
    void badCredentialsStopTheRouteWithCarolsMessageAndCommitNothing() throws Exception {
        settings.put("cdc.carol.password", "senha-errada-987");
        stopsWithNothingDeliveredCommittedOrDeadLettered();
    }

    @Test
    void anApiKeyCarolRefusesStopsTheRouteAndCommitsNothing() throws Exception {
        settings.put("cdc.carol.auth", "apikey");
        settings.put("cdc.carol.api-key", "chave-errada-000");
        stopsWithNothingDeliveredCommittedOrDeadLettered();
    }

    @Test
    void anMfaAccountStopsTheRouteAndCommitsNothing() throws Exception {
        settings.put("cdc.carol.username", FakeCarol.MFA_USER);
        stopsWithNothingDeliveredCommittedOrDeadLettered();
    }

    @Test
    void aWrongConnectorIdStopsTheRouteAndCommitsNothing() throws Exception {
        settings.put("cdc.carol.connector-id", "0badc0de0badc0de0badc0de0badc0de");
        stopsWithNothingDeliveredCommittedOrDeadLettered();
    }

    @Test
    void aRedirectStopsTheRouteAndCommitsNothing() throws Exception {
        settings.put("cdc.carol.manage-schemas", "false"); // the staging is defined in start(): intake is the first call
        carol.answerNext(301, "", Map.of("Location", "https://livraria.carol.ai/login"), 1);
        stopsWithNothingDeliveredCommittedOrDeadLettered();
    }

    /** Credentials Carol refuses: the route stops, nothing reaches Carol or the dead-letter topic, all 5 stay uncommitted. */
    private void stopsWithNothingDeliveredCommittedOrDeadLettered() throws Exception {
        users(0, 5);
        try (Bridge b = bridge()) {
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    b.camel().getRouteController().getRouteStatus(CarolSink.ROUTE_ID).isStopped());
            assertThat(carol.records("users")).isEmpty();
            assertThat(KafkaTestConsumer.readAll(prefix + ".dlq.carol")).isEmpty();
            assertThat(lag()).isEqualTo(5);
        }
    }

    @Test
    void dryRunWritesTheRequestBodiesAndCallsNothing() throws Exception {
        settings.put("cdc.sink.dry-run", "true");
        users(0, 3);
        try (Bridge b = bridge()) {
            var file = java.nio.file.Path.of(settings.get("cdc.data-dir"), "out", "carol", "users.jsonl");
            await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(file)
                    && Files.readAllLines(file).stream().mapToInt(l -> l.split("\"UserId\"").length - 1).sum() == 3);
            assertThat(Files.readString(file, StandardCharsets.UTF_8)).startsWith("[{\"UserId\":0,");
            assertThat(carol.intakeCalls()).isZero();
            assertThat(carol.tokenCalls()).isZero();
        }
    }

    @Test
    void anApiKeyNeedsNoToken() throws Exception {
        settings.put("cdc.carol.auth", "apikey");
        settings.put("cdc.carol.api-key", FakeCarol.API_KEY);
        users(0, 3);
        try (Bridge b = bridge()) {
            await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("users").size() == 3);
            assertThat(carol.tokenCalls()).isZero();
        }
    }

    static String csv(List<Integer> ids) {
        return ids.stream().map(String::valueOf).collect(Collectors.joining(","));
    }
}
