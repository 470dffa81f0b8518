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
            try (BridgeProcess bridge = BridgeProcess.start(dir.resolve("bridge"), s).awaitOutput("Remote JMX on", Duration.ofSeconds(90))) {
                String target = "127.0.0.1:" + jmx;
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
                var status = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + http + "/api/status")).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                assertThat(status).contains("\"actionsAllowed\":false").doesNotContain("segredo");
                assertThat(bridge.output()).doesNotContain("segredo");
            }
        }
    }

    private static String run(Path dir, String... args) throws Exception {
        try (BridgeProcess p = BridgeProcess.start(dir.resolve("cli"), Map.of(), args)) {
            assertThat(p.awaitExit(Duration.ofSeconds(60))).as(p.output()).isZero();
            return p.output();
        }
    }
}
