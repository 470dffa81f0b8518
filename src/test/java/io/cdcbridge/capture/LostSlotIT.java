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

    /**
     * The slot dropped under a running bridge (issue 21 item 5): its walsender ended (pg_terminate_backend) and the slot
     * dropped before Debezium reconnects. The reconnect stops at the slot check instead of making a new slot: readiness
     * down and /api/status's slot badge red, both naming the slot and resync, one ERROR line; then resync and a start
     * snapshot every current row again, the rows changed while the slot was gone included. The slot was made as a
     * failover slot (Postgres 17, cdc.capture.slot-failover).
     */
    @Test
    void aSlotDroppedUnderARunningBridgeStopsCaptureNamingResyncWhichSnapshotsAgain() throws Exception {
        CaptureFixture f = CaptureFixture.create("lostrunning", "CREATE TABLE \"T\" (\"Id\" int PRIMARY KEY, v text)",
                "INSERT INTO \"T\" VALUES (1, 'a'), (2, 'b')");
        // a longer reconnect delay than the default leaves the drop below the time it needs between two reconnects
        Settings settings = f.settings(Map.of("cdc.capture.reconnect-delay-ms", "4000"));
        SourceConfig src = SourceConfig.from(settings);
        KafkaConfig kafka = KafkaConfig.from(settings);
        var http = java.net.http.HttpClient.newHttpClient();
        try (var logs = io.cdcbridge.support.LogCapture.start(); Bridge bridge = Bridge.start(settings)) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"T\" VALUES (3, 'c')");
            awaitRecords(f.topic("T"), 3);
            assertThat(query(f, "SELECT failover::text FROM pg_replication_slots WHERE slot_name = '" + f.database + "'"))
                    .as("a failover slot on Postgres 17").isEqualTo("true");

            Awaitility.await("the slot dropped under the bridge").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                    .ignoreExceptions().until(() -> {
                        f.sql("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" + f.database
                                + "' AND active_pid IS NOT NULL");
                        f.sql("SELECT pg_drop_replication_slot('" + f.database + "')");
                        return true;
                    });
            f.sql("INSERT INTO \"T\" VALUES (4, 'd')", "UPDATE \"T\" SET v = 'a2' WHERE \"Id\" = 1");

            String base = "http://127.0.0.1:" + bridge.httpPort();
            Awaitility.await("readiness down, naming the slot").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        var ready = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/health/ready")).build(),
                                java.net.http.HttpResponse.BodyHandlers.ofString());
                        assertThat(ready.statusCode()).isEqualTo(503);
                        assertThat(ready.body()).contains("'" + f.database + "'", "resync");
                    });
            JsonNode status = JSON.readTree(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(base + "/api/status")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body());
            JsonNode slot = null;
            for (JsonNode p : status.get("health")) {
                if (p.get("part").asText().equals("slot")) {
                    slot = p;
                }
            }
            assertThat(slot).isNotNull();
            assertThat(slot.get("state").asText()).isEqualTo("red");
            assertThat(slot.get("reason").asText()).contains("'" + f.database + "'", "missing", "resync");
            // no new slot behind the operator's back: Debezium kept retrying for at least two of its reconnect delays
            Awaitility.await("no new slot").during(Duration.ofSeconds(10)).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                    .until(() -> LostSlot.slot(src).state() == LostSlot.State.MISSING);
            assertThat(logs.events().stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR
                    && e.getLoggerName().endsWith("CaptureModule") && e.getFormattedMessage().contains("replication slot '" + f.database + "'")).count()).as("one ERROR line").isEqualTo(1);
        }
        int before = KafkaTestConsumer.readAll(f.topic("T")).size();
        assertThat(LostSlot.resync(src, kafka, false)).contains("removed the stored offsets of slot '" + f.database + "'");
        try (Bridge bridge = Bridge.start(settings)) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            Map<Integer, String> expected = new TreeMap<>(Map.of(1, "a2", 2, "b", 3, "c", 4, "d"));
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
            assertThat(LostSlot.slot(src).state()).isEqualTo(LostSlot.State.HEALTHY);
        }
    }

    private static String query(CaptureFixture f, String sql) throws Exception {
        try (var c = io.cdcbridge.support.TestInfra.postgres().connect(f.database); var st = c.createStatement();
             var rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
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
