package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.cdcbridge.app.Bridge;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;

/**
 * One table Debezium cannot capture must not cost the others (issue 18 item 10): a table whose columns differ only by
 * case is left out with one ERROR naming it and the way to capture it, while every other table streams.
 */
class OddTableIT {

    @Test
    void aTableDebeziumCannotCaptureIsLeftOutAndTheOthersStream() throws Exception {
        CaptureFixture f = CaptureFixture.create("oddtable",
                "CREATE TABLE \"Good\" (id int PRIMARY KEY, v text)",
                "CREATE TABLE \"Odd\" (id int PRIMARY KEY, \"Name\" text, name text)",
                "INSERT INTO \"Good\" VALUES (1, 'um')",
                "INSERT INTO \"Odd\" VALUES (1, 'A', 'a')");
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"Good\" VALUES (2, 'dois')");
            List<KafkaTestConsumer.Rec> good = KafkaTestConsumer.read(f.topic("Good"), 2, Duration.ofSeconds(60));
            assertThat(good).hasSize(2);
            // named where an operator looks: readiness (still UP: the other tables stream) and the console's API
            var http = java.net.http.HttpClient.newHttpClient();
            var ready = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + bridge.httpPort()
                    + "/health/ready")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(ready.body()).contains("\"leftOut\":{\"public.Odd\":\"its columns \\\"Name\\\" and name differ only by case");
            var status = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + bridge.httpPort()
                    + "/api/status")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(status.body()).contains("\"leftOut\":{\"public.Odd\"");
        }
    }
}
