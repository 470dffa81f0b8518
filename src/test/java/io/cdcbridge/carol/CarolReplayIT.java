package io.cdcbridge.carol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.DeadLetterReplay;
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
 * Replay for Carol never puts an older version of a key over a newer one (issue 18 item 1, docs/architecture.md §9):
 * Carol keeps one record per crosswalk key and no version, so a dead letter whose key has a newer change on its origin
 * topic is superseded and not replayed, while a dead letter with nothing newer is replayed as before.
 */
class CarolReplayIT {

    private static final String TYPES = "{\"UserId\":\"int4\",\"UserName\":\"varchar\",\"Department\":\"varchar\"}";
    /** Carol refusing one record of the request (a 400 that names no connector: halved until the record is alone). */
    private static final String REFUSAL = "{\"errorCode\":400,\"errorMessage\":\"record rejected by the staging's validation\"}";
    private FakeCarol carol;
    private String prefix;
    private Map<String, String> settings;
    private long lsn = 1000;

    @BeforeEach
    void start() {
        carol = FakeCarol.start(Clock.systemUTC());
        carol.defineStaging("users", Map.of("UserId", "long", "UserName", "string", "Department", "string"), List.of("UserId"));
        prefix = TestInfra.newPrefix("carolreplay");
        settings = TestInfra.deliverySettings(prefix, TestInfra.newDir(prefix), carol);
    }

    @AfterEach
    void stop() {
        carol.close();
    }

    @Test
    void aDeadLetterWhoseKeyWasUpdatedSinceIsSupersededAndCarolKeepsTheNewerRow() throws Exception {
        carol.answerNext(400, REFUSAL, Map.of(), 1);
        user("c", 1, "Ana", "Vendas");
        try (Bridge b = Bridge.start(Settings.of(settings))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters() == 1);
            user("u", 1, "Ana", "Logística");
            await().atMost(Duration.ofSeconds(30)).until(() -> lag() == 0);
            // a dead letter with nothing newer of its key: replayed as before
            carol.answerNext(400, REFUSAL, Map.of(), 1);
            user("c", 3, "Zé", "TI");
            await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters() == 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> lag() == 0);
            assertThat(latest()).containsOnlyKeys(1);

            var result = new DeadLetterReplay(TestInfra.kafka().bootstrapServers(), prefix).replay("carol", null, false);

            // the replayed copies are on the topic (acknowledged before replay returns): once the group has passed
            // them, Carol has all it will ever get of this replay
            await().atMost(Duration.ofSeconds(30)).until(() -> lag() == 0);
            assertThat(latest()).containsOnlyKeys(1, 3);
            assertThat(latest().get(1).toString()).isEqualTo("{\"UserId\":1,\"UserName\":\"Ana\",\"Department\":\"Logística\"}");
            assertThat(latest().get(3).get("UserName").asText()).isEqualTo("Zé");
            assertThat(result.toString()).isEqualTo("replayed=1 skipped=0 failed=0 superseded=1");
            assertThat(deadLetters()).isEqualTo(2);
            // progress kept: the superseded one is not looked at again
            assertThat(new DeadLetterReplay(TestInfra.kafka().bootstrapServers(), prefix).replay("carol", null, false).toString())
                    .isEqualTo("replayed=0 skipped=0 failed=0");
        }
    }

    @Test
    void aReplayedDeleteOfARowInsertedAgainSinceDoesNotRemoveTheLiveRow() throws Exception {
        user("c", 2, "João", "Financeiro");
        try (Bridge b = Bridge.start(Settings.of(settings))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> lag() == 0);
            carol.answerNext(400, REFUSAL, Map.of(), 1);
            user("d", 2, "João", "Financeiro");
            await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters() == 1);
            user("c", 2, "João", "Compras");
            await().atMost(Duration.ofSeconds(30)).until(() -> lag() == 0);

            var dry = new DeadLetterReplay(TestInfra.kafka().bootstrapServers(), prefix).replay("carol", null, true);
            var result = new DeadLetterReplay(TestInfra.kafka().bootstrapServers(), prefix).replay("carol", null, false);

            await().atMost(Duration.ofSeconds(30)).until(() -> lag() == 0);
            assertThat(latest().get(2)).as("the live row").isNotNull();
            assertThat(latest().get(2).toString()).isEqualTo("{\"UserId\":2,\"UserName\":\"João\",\"Department\":\"Compras\"}");
            assertThat(result.toString()).isEqualTo("replayed=0 skipped=0 failed=0 superseded=1");
            assertThat(dry.toString()).as("the dry run counts the same").isEqualTo("replayed=0 skipped=0 failed=0 superseded=1");
        }
    }

    /** Carol's state: per crosswalk key the last record it accepted; a key whose last record is a delete is gone. */
    private Map<Integer, ObjectNode> latest() {
        Map<Integer, ObjectNode> out = new LinkedHashMap<>();
        for (ObjectNode r : carol.records("users")) {
            out.put(r.get("UserId").asInt(), r);
        }
        out.values().removeIf(r -> r.path("mdmDeleted").asBoolean(false));
        return out;
    }

    private void user(String op, int id, String name, String dept) {
        String image = "{\"UserId\":" + id + ",\"UserName\":\"" + name + "\",\"Department\":\"" + dept + "\"}";
        String event = "{\"v\":1,\"op\":\"" + op + "\",\"schema\":\"public\",\"table\":\"Users\",\"key\":{\"UserId\":" + id + "},"
                + "\"before\":" + (op.equals("d") ? image : "null") + ",\"after\":" + (op.equals("d") ? "null" : image)
                + ",\"source\":{\"lsn\":" + (++lsn) + ",\"txId\":7,\"tsMs\":1764000000000,\"snapshot\":false}}";
        TestInfra.produce(prefix + ".public.Users", "{\"UserId\":" + id + "}", event, "cdc.types", TYPES);
    }

    private int deadLetters() {
        return KafkaTestConsumer.readAll(prefix + ".dlq.carol").size();
    }

    /** Records of the table's topic the Carol group has not committed yet. */
    private long lag() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestInfra.kafka().bootstrapServers()))) {
            TopicPartition tp = new TopicPartition(prefix + ".public.Users", 0);
            var committed = admin.listConsumerGroupOffsets("carol-" + prefix).partitionsToOffsetAndMetadata().get().get(tp);
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
            return end - (committed == null ? 0 : committed.offset());
        }
    }
}
