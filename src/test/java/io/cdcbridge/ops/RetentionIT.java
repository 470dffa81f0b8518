package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import io.cdcbridge.app.Bridge;
import io.cdcbridge.config.Settings;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.TestInfra;

/**
 * A sink paused longer than its topic's retention (issue 18 item 8): the events deleted before delivery cannot come
 * back, but they are not skipped without a word: one ERROR, a metric, and readiness DOWN naming the sink.
 */
class RetentionIT {

    private static final String TYPES = "{\"UserId\":\"int4\",\"UserName\":\"text\"}";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static void user(String topic, int id) {
        String image = "{\"UserId\":" + id + ",\"UserName\":\"Usuário " + id + "\"}";
        TestInfra.produce(topic, "{\"UserId\":" + id + "}", "{\"v\":1,\"op\":\"c\",\"schema\":\"public\",\"table\":\"Users\","
                + "\"key\":{\"UserId\":" + id + "},\"before\":null,\"after\":" + image
                + ",\"source\":{\"lsn\":" + (1000 + id) + ",\"txId\":7,\"tsMs\":1764000000000,\"snapshot\":false}}", "cdc.types", TYPES);
    }

    private static HttpResponse<String> get(Bridge b, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + b.httpPort() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static List<Integer> ids(FakeCarol carol) {
        return carol.records("users").stream().map(r -> r.get("UserId").asInt()).sorted().toList();
    }

    @Test
    void eventsDeletedBeforeDeliveryAreReportedNotSkippedSilently() throws Exception {
        try (FakeCarol carol = FakeCarol.start(Clock.systemUTC())) {
            carol.defineStaging("users", Map.of("UserId", "long", "UserName", "string"));
            String prefix = TestInfra.newPrefix("retention");
            String topic = prefix + ".public.Users";
            Map<String, String> s = TestInfra.deliverySettings(prefix, TestInfra.newDir(prefix), carol);
            s.put("cdc.progress-interval-ms", "200");
            for (int i = 0; i < 5; i++) {
                user(topic, i);
            }
            try (Bridge b = Bridge.start(Settings.of(s))) {
                await().atMost(Duration.ofSeconds(60)).until(() -> ids(carol).size() == 5);
                await("ready").atMost(Duration.ofSeconds(30)).until(() -> get(b, "/health/ready").statusCode() == 200);

                // the sink stops (its consumer closed: nothing fetched ahead); ten more changes arrive; retention deletes
                // seven of them before it starts again
                b.camel().getRouteController().stopRoute("carol-delivery");
                for (int i = 5; i < 15; i++) {
                    user(topic, i);
                }
                TopicPartition tp = new TopicPartition(topic, 0);
                long[] committed = new long[1];
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestInfra.kafka().bootstrapServers()))) {
                    admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(12))).all().get();

                    await("readiness names the sink").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                        committed[0] = admin.listConsumerGroupOffsets(s.get("cdc.carol.group-id")).partitionsToOffsetAndMetadata()
                                .get().get(tp).offset();
                        var ready = get(b, "/health/ready");
                        assertThat(ready.statusCode()).isEqualTo(503);
                        assertThat(ready.body()).contains("\"retention:carol\":\"DOWN: " + (12 - committed[0]) + " events were deleted")
                                .contains("offsets " + committed[0] + "-11 of " + topic + "-0");
                    });
                }
                assertThat(committed[0]).isEqualTo(5L);
                assertThat(get(b, "/metrics").body()).contains("cdc_sink_retention_lost_events_total{sink=\"carol\"} "
                        + (12 - committed[0]) + ".0");

                // started again, the sink delivers what is left; the gap stays reported: those rows now differ in Carol
                b.camel().getRouteController().startRoute("carol-delivery");
                await().atMost(Duration.ofSeconds(60)).until(() -> ids(carol).containsAll(List.of(12, 13, 14)));
                List<Integer> expected = new java.util.ArrayList<>();
                for (int i = 0; i < committed[0]; i++) {
                    expected.add(i);
                }
                expected.addAll(List.of(12, 13, 14));
                assertThat(ids(carol)).isEqualTo(expected);
                assertThat(get(b, "/health/ready").statusCode()).isEqualTo(503);
            }
        }
    }
}
