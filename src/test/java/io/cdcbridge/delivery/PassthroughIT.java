package io.cdcbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;

import io.cdcbridge.app.Bridge;
import io.cdcbridge.config.Settings;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.junit.jupiter.api.Test;

/**
 * The seed's own check of its Carol sink, reproduced: a hand-produced message on {@code ingestion_newstaging} lands in
 * the Carol staging {@code newstaging}; the same topic mapped to a BigQuery table lands rows there; an array is split
 * into records; a message that is not JSON goes to each sink's dead-letter topic with the reason.
 */
class PassthroughIT {

    @Test
    void theSeedsIngestionNewstagingMessageReachesCarolAndBigQuery() throws Exception {
        String prefix = TestInfra.newPrefix("pass");
        try (FakeCarol carol = FakeCarol.start(Clock.systemUTC()); FakeBigQuery bq = FakeBigQuery.start()) {
            carol.defineStaging("newstaging", Map.of("stagingid", "long", "stagingstring", "string"));
            Map<String, String> s = TestInfra.deliverySettings(prefix, TestInfra.newDir(prefix), carol);
            s.put("cdc.bigquery.project", "p");
            s.put("cdc.bigquery.dataset", "ds_" + prefix);
            s.putAll(bq.bridgeSettings());
            s.put("cdc.bigquery.group-id", "bq-" + prefix);
            s.put("cdc.bigquery.batch-timeout-ms", "50");
            s.put("cdc.passthrough.ingestion_newstaging.carol-staging", "newstaging");
            s.put("cdc.passthrough.ingestion_newstaging.bigquery-table", "newstaging");
            TestInfra.produce("ingestion_newstaging", null, "{\"stagingid\": 1, \"stagingstring\": \"abcrd\"}");
            try (Bridge b = Bridge.start(Settings.of(s))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("newstaging").size() == 1
                        && bq.rows("p", "ds_" + prefix, "newstaging").size() == 1);
                assertThat(carol.records("newstaging").get(0).toString()).isEqualTo("{\"stagingid\":1,\"stagingstring\":\"abcrd\"}");
                assertThat(bq.rows("p", "ds_" + prefix, "newstaging").get(0).path("stagingstring").asText()).isEqualTo("abcrd");
                assertThat(bq.schema("p", "ds_" + prefix, "newstaging")).containsEntry("stagingid", "INTEGER").containsEntry("stagingstring", "STRING");

                TestInfra.produce("ingestion_newstaging", null, "[{\"stagingid\": 2, \"stagingstring\": \"dois\"}, {\"stagingid\": 3, \"stagingstring\": \"três\"}]");
                TestInfra.produce("ingestion_newstaging", null, "stagingid=4 (not JSON)");
                TestInfra.produce("ingestion_newstaging", null, "[1, 2]");
                TestInfra.produce("ingestion_newstaging", null, "{\"stagingid\": 5, \"stagingstring\": \"cinco\"}");
                await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("newstaging").size() == 4
                        && bq.rows("p", "ds_" + prefix, "newstaging").size() == 4);
                assertThat(carol.records("newstaging").stream().map(r -> r.get("stagingid").asInt()).toList()).containsExactly(1, 2, 3, 5);
                for (String sink : new String[] {"carol", "bigquery"}) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> KafkaTestConsumer.readAll(prefix + ".dlq." + sink).size() == 2);
                    var dlq = KafkaTestConsumer.readAll(prefix + ".dlq." + sink);
                    assertThat(dlq.get(0).headers().get("cdc.error.message")).as(sink).contains("not JSON");
                    assertThat(dlq.get(1).headers().get("cdc.error.message")).as(sink).contains("JSON object or an array of objects");
                    assertThat(dlq.get(0).headers().get("cdc.origin.topic")).isEqualTo("ingestion_newstaging");
                }
            }
        }
    }
}
