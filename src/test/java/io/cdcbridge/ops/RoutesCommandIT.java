package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import io.cdcbridge.demo.EmbeddedKafkaBroker;
import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.TestInfra;
import org.junit.jupiter.api.Test;

/** {@code java -jar cdc-bridge.jar routes …} lists and suspends the routes of a running instance over remote JMX. */
class RoutesCommandIT {

    @Test
    void listAndSuspendRoutesOfARunningInstance() throws Exception {
        String prefix = TestInfra.newPrefix("routescmd");
        Path dir = TestInfra.newDir(prefix);
        int jmx = EmbeddedKafkaBroker.freePort();
        try (FakeCarol carol = FakeCarol.start(Clock.systemUTC())) {
            Map<String, String> s = TestInfra.deliverySettings(prefix, dir.resolve("bridge-data"), carol);
            int http = EmbeddedKafkaBroker.freePort();
            s.put("cdc.http.port", String.valueOf(http));
            s.put("cdc.http.host", "0.0.0.0"); // exposed beyond localhost, and no cdc.console.token
            s.put("cdc.console.token", "segredo-do-console");
            s.put("cdc.jmx.port", String.valueOf(jmx));
            s.put("cdc.jmx.host", "0.0.0.0"); // beyond loopback: only with a password
            s.put("cdc.jmx.user", "ops");
            s.put("cdc.jmx.password", "jmx-S3nha");
            try (BridgeProcess bridge = BridgeProcess.start(dir.resolve("bridge"), s).awaitOutput("Remote JMX on", Duration.ofSeconds(90))) {
                String target = "127.0.0.1:" + jmx;
                try (BridgeProcess p = BridgeProcess.start(dir.resolve("cli-nopw"), Map.of(), "routes", "list", "--jmx", target)) {
                    assertThat(p.awaitExit(Duration.ofSeconds(60))).as("no credentials: refused").isNotZero();
                }
                String list = run(dir, "routes", "list", "--jmx", target);
                assertThat(list).containsPattern("carol-delivery\\s+Started").containsPattern("bigquery-delivery\\s+Stopped");
                assertThat(run(dir, "routes", "suspend", "carol-delivery", "--jmx", target)).contains("carol-delivery Suspended");
                assertThat(run(dir, "routes", "list", "--jmx", target)).containsPattern("carol-delivery\\s+Suspended");
                assertThat(run(dir, "routes", "resume", "carol-delivery", "--jmx", target)).contains("carol-delivery Started");

                // the console's route actions: exposed beyond localhost, so only with the token
                var client = java.net.http.HttpClient.newHttpClient();
                var url = java.net.URI.create("http://127.0.0.1:" + http + "/api/routes/carol-delivery/suspend");
                var refused = client.send(java.net.http.HttpRequest.newBuilder(url).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(refused.statusCode()).isEqualTo(403);
                assertThat(refused.body()).contains("X-Console-Token");
                var done = client.send(java.net.http.HttpRequest.newBuilder(url).header("X-Console-Token", "segredo-do-console")
                        .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(done.body()).contains("Suspended");
                // exposed: every /api/* request needs the token, reading included (the events hold row contents)
                var statusUrl = java.net.URI.create("http://127.0.0.1:" + http + "/api/status");
                for (String path : java.util.List.of("/api/status", "/api/events?table=public.Users", "/api/history", "/api/deadletters")) {
                    var anonymous = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + http + path)).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(anonymous.statusCode()).as(path).isEqualTo(403);
                    assertThat(anonymous.body()).contains("X-Console-Token").doesNotContain("segredo");
                }
                var status = client.send(java.net.http.HttpRequest.newBuilder(statusUrl).header("X-Console-Token", "segredo-do-console").build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(status.statusCode()).isEqualTo(200);
                assertThat(status.body()).contains("\"actionsAllowed\":true").doesNotContain("segredo");
                // a replay from the console, exposed: refused without the token, run with it (the replay command's code)
                var replayUrl = java.net.URI.create("http://127.0.0.1:" + http + "/api/deadletters/replay?sink=carol");
                var noToken = client.send(java.net.http.HttpRequest.newBuilder(replayUrl).POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(noToken.statusCode()).as(noToken.body()).isEqualTo(403);
                var started = client.send(java.net.http.HttpRequest.newBuilder(replayUrl).header("X-Console-Token", "segredo-do-console")
                        .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
                org.awaitility.Awaitility.await("the replay done").atMost(Duration.ofSeconds(60)).until(() -> client.send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + http + "/api/deadletters"))
                                .header("X-Console-Token", "segredo-do-console").build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body(),
                        b -> b.contains("\"state\":\"done\"") && b.contains("\"result\":\"replayed=0 skipped=0 failed=0\""));
                var health = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + http + "/health/live")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
                assertThat(health.statusCode()).as("probes carry no token").isEqualTo(200);
                assertThat(bridge.output()).doesNotContain("segredo").doesNotContain("jmx-S3nha");
            }
        }
    }

    private static String run(Path dir, String... args) throws Exception {
        try (BridgeProcess p = BridgeProcess.start(dir.resolve("cli"), Map.of("cdc.jmx.user", "ops", "cdc.jmx.password", "jmx-S3nha"), args)) {
            assertThat(p.awaitExit(Duration.ofSeconds(60))).as(p.output()).isZero();
            return p.output();
        }
    }
}
