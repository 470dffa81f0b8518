package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.cdcbridge.ops.HealthSummary.Part;
import io.cdcbridge.ops.HealthSummary.Sink;
import io.cdcbridge.ops.HealthSummary.State;
import org.junit.jupiter.api.Test;

class HealthSummaryTest {

    private static final Instant NOW = Instant.parse("2026-12-01T23:00:00Z");
    private static final long WARN = 1L << 30;

    private static Map<String, String> upChecks() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("camel", "UP");
        m.put("kafka", "UP");
        m.put("capture", "UP");
        m.put("consumer:bigquery-delivery", "UP");
        m.put("consumer:carol-delivery", "UP");
        return m;
    }

    private static Sink sink(String name, String routeState) {
        return new Sink(name, Map.of(name + "-delivery", routeState), 0, null, null, null);
    }

    private static HealthSummary.Inputs inputs(Map<String, String> checks, List<Sink> sinks) {
        return new HealthSummary.Inputs(checks, Map.of(), 4096, WARN, sinks, NOW.plus(Duration.ofHours(1)), true);
    }

    private static Part part(List<Part> parts, String name) {
        return parts.stream().filter(p -> p.part().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void everythingWorkingIsGreenPartByPart() {
        List<Part> parts = HealthSummary.compute(inputs(upChecks(), List.of(sink("bigquery", "Started"), sink("carol", "Started"))), NOW);
        assertThat(parts).extracting(Part::part).containsExactly("postgres", "slot", "kafka", "bigquery", "carol", "carol-token");
        assertThat(parts).extracting(Part::state).containsOnly(State.green);
        assertThat(part(parts, "slot").reason()).isEqualTo("4096 bytes behind");
        assertThat(HealthSummary.json(parts).get(0)).containsEntry("part", "postgres").containsEntry("state", "green")
                .containsEntry("reason", "streaming");
    }

    @Test
    void readinessFailuresAreRedWithTheirReason() {
        Map<String, String> checks = upChecks();
        checks.put("kafka", "DOWN: brokers do not answer (TimeoutException)");
        checks.put("capture", "DOWN: the Debezium engine is not streaming");
        checks.put("retention:bigquery", "DOWN: 12 events were deleted by the topic's retention");
        checks.put("consumer:carol-delivery", "DOWN: poll failed");
        List<Part> parts = HealthSummary.compute(inputs(checks, List.of(sink("bigquery", "Started"), sink("carol", "Started"))), NOW);
        assertThat(part(parts, "kafka")).isEqualTo(new Part("kafka", State.red, "brokers do not answer (TimeoutException)"));
        assertThat(part(parts, "postgres")).isEqualTo(new Part("postgres", State.red, "the Debezium engine is not streaming"));
        assertThat(part(parts, "bigquery")).isEqualTo(new Part("bigquery", State.red, "12 events were deleted by the topic's retention"));
        assertThat(part(parts, "carol")).isEqualTo(new Part("carol", State.red, "consumer of carol-delivery: poll failed"));
    }

    @Test
    void leftOutTablesAndSlotLagAreAmber() {
        var in = new HealthSummary.Inputs(upChecks(), Map.of("public.Big", "no replica identity"), 3L << 30, WARN,
                List.of(), null, false);
        List<Part> parts = HealthSummary.compute(in, NOW);
        assertThat(part(parts, "postgres")).isEqualTo(new Part("postgres", State.amber, "left out of capture: public.Big (no replica identity)"));
        assertThat(part(parts, "slot").state()).isEqualTo(State.amber);
        assertThat(part(parts, "slot").reason()).startsWith("3072 MiB behind").contains("cdc.capture.slot-lag-warn-bytes");

        var unknown = new HealthSummary.Inputs(upChecks(), Map.of(), -1, WARN, List.of(), null, false);
        assertThat(part(HealthSummary.compute(unknown, NOW), "slot")).isEqualTo(new Part("slot", State.amber, "lag not known yet"));
    }

    @Test
    void withoutCaptureOnThisInstancePostgresAndTheSlotAreNotBlamed() {
        Map<String, String> checks = upChecks();
        checks.remove("capture");
        List<Part> parts = HealthSummary.compute(new HealthSummary.Inputs(checks, Map.of(), -1, WARN, List.of(), null, false), NOW);
        assertThat(part(parts, "postgres").state()).isEqualTo(State.green);
        assertThat(part(parts, "slot").state()).isEqualTo(State.green);
        assertThat(parts).extracting(Part::part).doesNotContain("bigquery", "carol", "carol-token");
    }

    @Test
    void routeStatesColourTheSink() {
        List<Part> parts = HealthSummary.compute(inputs(upChecks(), List.of(sink("bigquery", "Suspended"),
                new Sink("carol", Map.of("carol-delivery", "Stopped"), 0, null, null, "Carol answered 404 for the connector"))), NOW);
        assertThat(part(parts, "bigquery")).isEqualTo(new Part("bigquery", State.amber, "route bigquery-delivery suspended"));
        assertThat(part(parts, "carol")).isEqualTo(new Part("carol", State.red,
                "route carol-delivery stopped: Carol answered 404 for the connector"));
        assertThat(part(parts, "carol-token").state()).as("not a credentials problem").isEqualTo(State.green);
    }

    @Test
    void retryingIsAmberThenRedAfterThirtySecondsAndDeadLettersAreCounted() {
        Sink justNow = new Sink("bigquery", Map.of("bigquery-delivery", "Started"), 0, NOW.minusSeconds(5), "HTTP 503 from insertAll", null);
        assertThat(part(HealthSummary.compute(inputs(upChecks(), List.of(justNow)), NOW), "bigquery"))
                .isEqualTo(new Part("bigquery", State.amber, "retrying for 5 s: HTTP 503 from insertAll"));

        Sink long_ = new Sink("bigquery", Map.of("bigquery-delivery", "Started"), 3, NOW.minusSeconds(31), "HTTP 503 from insertAll", null);
        assertThat(part(HealthSummary.compute(inputs(upChecks(), List.of(long_)), NOW), "bigquery"))
                .isEqualTo(new Part("bigquery", State.red, "retrying for 31 s: HTTP 503 from insertAll; 3 records dead-lettered since start"));

        Sink dead = new Sink("bigquery", Map.of("bigquery-delivery", "Started"), 1, null, null, null);
        assertThat(part(HealthSummary.compute(inputs(upChecks(), List.of(dead)), NOW), "bigquery"))
                .isEqualTo(new Part("bigquery", State.amber, "1 record dead-lettered since start"));
    }

    @Test
    void theCarolTokenIsAmberNearExpiryOrMissingAndRedWhenTheCredentialsAreRefused() {
        List<Sink> carol = List.of(sink("carol", "Started"));
        var soon = new HealthSummary.Inputs(upChecks(), Map.of(), 0, WARN, carol, NOW.plusSeconds(120), true);
        assertThat(part(HealthSummary.compute(soon, NOW), "carol-token"))
                .isEqualTo(new Part("carol-token", State.amber, "expires in 120 s (2026-12-01T23:02:00Z)"));
        var none = new HealthSummary.Inputs(upChecks(), Map.of(), 0, WARN, carol, null, true);
        assertThat(part(HealthSummary.compute(none, NOW), "carol-token")).isEqualTo(new Part("carol-token", State.amber, "no token yet"));
        var apiKey = new HealthSummary.Inputs(upChecks(), Map.of(), 0, WARN, carol, null, false);
        assertThat(part(HealthSummary.compute(apiKey, NOW), "carol-token").state()).isEqualTo(State.green);

        String refused = "Carol refused the password grant for user 'bridge' (HTTP 401)";
        var stopped = new HealthSummary.Inputs(upChecks(), Map.of(), 0, WARN,
                List.of(new Sink("carol", Map.of("carol-delivery", "Stopped"), 0, null, null, refused)), NOW.plusSeconds(3600), true);
        List<Part> parts = HealthSummary.compute(stopped, NOW);
        assertThat(part(parts, "carol-token")).isEqualTo(new Part("carol-token", State.red, "Carol refused the credentials: " + refused));
        assertThat(part(parts, "carol").state()).isEqualTo(State.red);
    }

    @Test
    void longReasonsAreCut() {
        Map<String, String> checks = upChecks();
        checks.put("kafka", "DOWN: " + "x".repeat(1000));
        assertThat(part(HealthSummary.compute(inputs(checks, List.of()), NOW), "kafka").reason()).hasSize(301);
    }

    @Test
    void aSlotLostUnderTheRunningBridgeIsRedNamingTheSlotAndResync() {
        Map<String, String> checks = upChecks();
        String lost = "replication slot 'cdc_bridge' is missing (dropped, or a failover to a server without it) under the running "
                + "bridge: ... Way back: stop the bridge, run java -jar cdc-bridge.jar resync ...";
        checks.put("capture", "DOWN: " + lost);
        List<Part> parts = HealthSummary.compute(new HealthSummary.Inputs(checks, Map.of(), -1, WARN, List.of(), null, false, lost), NOW);
        assertThat(part(parts, "slot").state()).isEqualTo(State.red);
        assertThat(part(parts, "slot").reason()).contains("'cdc_bridge'", "resync");
        assertThat(part(parts, "postgres").state()).isEqualTo(State.red);
    }
}
