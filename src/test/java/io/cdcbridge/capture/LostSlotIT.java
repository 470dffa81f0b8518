package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A replication slot dropped under a stopped bridge that captured before (issue 21 item 5; docs/operations.md, "Lost
 * slot"): the next start refuses to capture, naming the slot and {@code resync}, rather than letting Debezium make a new
 * slot and stream from now (the changes made while the slot was gone would be skipped without a word); {@code resync}
 * then removes the stored offsets and the following start snapshots every current row again.
 */
class LostSlotIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aDroppedSlotStopsCaptureUntilResyncWhichSnapshotsEveryRowAgain() throws Exception {
        CaptureFixture f = CaptureFixture.create("lostslot", "CREATE TABLE \"T\" (\"Id\" int PRIMARY KEY, v text)",
                "INSERT INTO \"T\" VALUES (1, 'a'), (2, 'b'), (3, 'c')");
        Settings settings = f.settings();
        SourceConfig src = SourceConfig.from(settings);
        KafkaConfig kafka = KafkaConfig.from(settings);
        try (Bridge bridge = Bridge.start(settings)) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"T\" VALUES (4, 'd')");
            awaitRecords(f.topic("T"), 4);
        }
        // a healthy slot: resync refuses, capture would resume without loss
        assertThatThrownBy(() -> LostSlot.resync(src, kafka, false)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("healthy");

        f.sql("SELECT pg_drop_replication_slot('" + f.database + "')");
        // changes made while the slot is gone: a new slot would never see them
        f.sql("INSERT INTO \"T\" VALUES (5, 'e')", "UPDATE \"T\" SET v = 'a2' WHERE \"Id\" = 1", "DELETE FROM \"T\" WHERE \"Id\" = 2");
        int before = KafkaTestConsumer.readAll(f.topic("T")).size();

        Throwable refused = null;
        try (Bridge bridge = Bridge.start(settings)) {
            // reaching here is the failure: the bridge would stream from a new slot
        } catch (Exception e) {
            refused = e;
        }
        ConfigException why = configException(refused);
        assertThat(why).as("start-up refused with the slot's line").isNotNull();
        assertThat(why.getMessage()).contains("'" + f.database + "'", "missing", "lost", "resync");
        assertThat(LostSlot.slot(src).state()).as("no new slot made").isEqualTo(LostSlot.State.MISSING);
        assertThat(KafkaTestConsumer.readAll(f.topic("T"))).hasSize(before);

        assertThat(LostSlot.resync(src, kafka, false)).contains("removed the stored offsets of slot '" + f.database + "'");

        try (Bridge bridge = Bridge.start(settings)) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            // every current row again, as a snapshot read
            Map<Integer, String> expected = new TreeMap<>(Map.of(1, "a2", 3, "c", 4, "d", 5, "e"));
            Awaitility.await("the new snapshot").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        List<KafkaTestConsumer.Rec> all = KafkaTestConsumer.readAll(f.topic("T"));
                        Map<Integer, String> seen = new TreeMap<>();
                        for (var r : all.subList(before, all.size())) {
                            JsonNode e = JSON.readTree(r.value());
                            assertThat(e.get("op").asText()).isEqualTo("r");
                            seen.put(e.get("after").get("Id").asInt(), e.get("after").get("v").asText());
                        }
                        assertThat(seen).isEqualTo(expected);
                    });
        }
    }

    private static ConfigException configException(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConfigException ce) {
                return ce;
            }
        }
        return null;
    }

    private static void awaitRecords(String topic, int n) {
        Awaitility.await(n + " records on " + topic).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> KafkaTestConsumer.readAll(topic).size() >= n);
    }
}
