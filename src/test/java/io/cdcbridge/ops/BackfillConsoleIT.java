package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.WebDriver;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The console's Backfill action in a real browser (headless Chromium over WebDriver; docs/operations.md, "Backfill"):
 * a table's Backfill button asks for confirmation, POSTs /api/backfill, and the row shows the state, rows of the total
 * and % until done; the rows arrive on the topic as op r.
 */
class BackfillConsoleIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void theBackfillButtonConfirmsStartsAndShowsProgress() throws Exception {
        CaptureFixture f = CaptureFixture.create("bfconsole", "CREATE TABLE \"T\" (\"Id\" int PRIMARY KEY, v text)",
                "INSERT INTO \"T\" SELECT g, 'v' FROM generate_series(1, 2000) g");
        try (Bridge bridge = Bridge.start(f.settings()); WebDriver browser = new WebDriver()) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            Awaitility.await("the initial snapshot").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> KafkaTestConsumer.readAll(f.topic("T")).size() >= 2000);
            int mark = KafkaTestConsumer.readAll(f.topic("T")).size();

            browser.open("http://127.0.0.1:" + bridge.httpPort() + "/");
            String button = "[id=\"backfill-public.T\"]";
            Awaitility.await("the Backfill button").atMost(Duration.ofSeconds(20)).ignoreExceptions()
                    .until(() -> "Backfill".equals(browser.text(button)));
            browser.click(button);
            assertThat(browser.text("#confirmText")).contains("Backfill public.T?");
            browser.click("#confirmYes");
            Awaitility.await("the console shows it done").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                    .untilAsserted(() -> {
                        assertThat(browser.text("[data-cell=\"backfill-state:public.T\"]")).isEqualTo("done");
                        assertThat(browser.text("[data-cell=\"backfill-rows:public.T\"]")).isEqualTo("2000 of 2000");
                        assertThat(browser.text("[data-cell=\"backfill-percent:public.T\"]")).isEqualTo("100");
                    });
            assertThat(browser.text("#backfillError")).contains("backfill-", "public.T", "started");
            Awaitility.await("every row again as r").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        var all = KafkaTestConsumer.readAll(f.topic("T"));
                        Set<Integer> ids = new HashSet<>();
                        for (var r : all.subList(mark, all.size())) {
                            JsonNode e = JSON.readTree(r.value());
                            assertThat(e.get("op").asText()).isEqualTo("r");
                            ids.add(e.get("after").get("Id").asInt());
                        }
                        assertThat(ids).hasSize(2000);
                    });
            browser.screenshot(f.dir.resolve("backfill-console.png"));
        }
    }
}
