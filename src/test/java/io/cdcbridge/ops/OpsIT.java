package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.stream.IntStream;

import javax.management.JMX;
import javax.management.ObjectName;

import io.cdcbridge.app.Bridge;
import io.cdcbridge.capture.CaptureRoute;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;
import org.junit.jupiter.api.Test;

/**
 * Health, metrics and JMX on a running bridge (capture of a real database, both sinks on their fakes): ready only
 * while the engine streams; Prometheus counters per table and sink; pausing Carol over JMX stops its deliveries
 * while BigQuery's go on, and resuming catches up with nothing lost.
 */
class OpsIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static HttpResponse<String> get(Bridge b, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.httpPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthMetricsAndPausingASinkOverJmx() throws Exception {
        CaptureFixture f = CaptureFixture.create("ops", "CREATE TABLE \"T\" (\"Id\" int PRIMARY KEY, \"Name\" text)");
        try (FakeBigQuery bq = FakeBigQuery.start(); FakeCarol carol = FakeCarol.start(Clock.systemUTC())) {
            try (Bridge b = Bridge.start(f.settingsWithSinks(bq, carol))) {
                b.awaitStreaming(Duration.ofSeconds(60));
                assertThat(get(b, "/health/live").statusCode()).isEqualTo(200);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    var ready = get(b, "/health/ready");
                    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                    assertThat(ready.body()).contains("\"capture\":\"UP\"").contains("\"kafka\":\"UP\"");
                });

                // the console on loopback: a page of another site can neither act (CSRF) nor read row contents
                // through a name rebound to 127.0.0.1
                var csrf = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.httpPort() + "/api/routes/carol-delivery/suspend"))
                        .header("Origin", "https://evil.example").POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(csrf.statusCode()).as(csrf.body()).isEqualTo(403);
                assertThat(csrf.body()).contains("Origin https://evil.example");
                assertThat(b.camel().getRouteController().getRouteStatus("carol-delivery").isStarted()).isTrue();
                assertThat(rawGet(b.httpPort(), "/api/events?table=public.T", "evil.example:" + b.httpPort())).startsWith("HTTP/1.1 403");
                assertThat(rawGet(b.httpPort(), "/api/events?table=public.T", "127.0.0.1:" + b.httpPort())).startsWith("HTTP/1.1 200");
                // the charts and dead letters follow the same rules: reading from loopback, no replay from another site
                for (String path : java.util.List.of("/api/history", "/api/deadletters")) {
                    assertThat(rawGet(b.httpPort(), path, "evil.example:" + b.httpPort())).as(path).startsWith("HTTP/1.1 403");
                    assertThat(rawGet(b.httpPort(), path, "127.0.0.1:" + b.httpPort())).as(path).startsWith("HTTP/1.1 200");
                }
                var replay = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.httpPort() + "/api/deadletters/replay?sink=carol"))
                        .header("Origin", "https://evil.example").POST(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(replay.statusCode()).as(replay.body()).isEqualTo(403);
                assertThat(get(b, "/api/deadletters").body()).contains("\"replay\":{\"state\":\"idle\"}");

                insert(f, 0, 20);
                String bqTable = f.prefix + "_public_T";
                await().atMost(Duration.ofSeconds(30)).until(() -> bq.rows("p", "ds_" + f.prefix, bqTable).size() == 20
                        && carol.records("t").size() == 20);
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get(b, "/metrics").body())
                        .contains("cdc_captured_events_total{table=\"public.T\"} 20.0")
                        .contains("cdc_delivered_records_total{sink=\"carol\",table=\"public.T\"} 20.0")
                        .contains("cdc_delivered_records_total{sink=\"bigquery\",table=\"public.T\"} 20.0")
                        .contains("jvm_memory_used_bytes").contains("cdc_slot_lag_bytes")
                        .contains("cdc_sink_lag_events{sink=\"carol\"} 0.0"));

                // pause Carol over JMX: BigQuery keeps receiving, Carol does not
                BridgeMXBean mbean = JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(),
                        new ObjectName(BridgeManagement.NAME), BridgeMXBean.class);
                assertThat(mbean.pauseSink("carol")).contains("Suspended");
                insert(f, 20, 60);
                await().atMost(Duration.ofSeconds(30)).until(() -> bq.rows("p", "ds_" + f.prefix, bqTable).size() == 60);
                assertThat(carol.records("t")).hasSize(20);
                // the fake holds the rows as soon as it answers; the sink counts them once the whole batch is done
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(mbean.getDeliveredRecords())
                        .containsEntry("carol:public.T", 20L).containsEntry("bigquery:public.T", 60L));
                assertThat(mbean.getCapturedEvents()).containsEntry("public.T", 60L);
                assertThat(mbean.getRouteStates()).containsEntry("carol-delivery", "Suspended");
                await("Carol's lag shows the waiting events").atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                        assertThat(get(b, "/metrics").body()).contains("cdc_sink_lag_events{sink=\"carol\"} 40.0"));
                assertThat(mbean.resumeSink("carol")).contains("Started");
                await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("t").size() == 60);
                assertThat(carol.records("t").stream().map(r -> r.get("Id").asInt()).sorted().toList())
                        .isEqualTo(IntStream.range(0, 60).boxed().toList());
                assertThat(mbean.getCarolTokenExpiry()).isNotEmpty();

                // a dead engine turns readiness DOWN
                b.camel().getRouteController().stopRoute(CaptureRoute.ROUTE_ID);
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    var ready = get(b, "/health/ready");
                    assertThat(ready.statusCode()).isEqualTo(503);
                    assertThat(ready.body()).contains("\"capture\":\"DOWN");
                });
            }
        }
    }

    /** A GET with the Host header given (java.net.http will not send a Host other than the URI's). */
    private static String rawGet(int port, String path, String host) throws Exception {
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    private static void insert(CaptureFixture f, int from, int to) {
        f.sql(IntStream.range(from, to).mapToObj(i -> "INSERT INTO \"T\" VALUES (" + i + ", 'nome " + i + "')").toArray(String[]::new));
    }
}
