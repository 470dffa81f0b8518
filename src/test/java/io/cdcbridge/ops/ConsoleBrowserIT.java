package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.cdcbridge.demo.EmbeddedKafkaBroker;
import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.TestInfra;
import io.cdcbridge.support.WebDriver;
import org.junit.jupiter.api.Test;

/**
 * The status console in a real browser (headless Debian Chromium over WebDriver) on the running demo jar: counters
 * rise with the sales generator; the Carol route's suspend button stops Carol's counter while BigQuery's keeps
 * rising; resume lets Carol catch up. Leaves a screenshot in target/console.png.
 */
class ConsoleBrowserIT {

    private static final String SALES_CAROL = "td[data-cell='carol:public.Sales']";
    private static final String SALES_BIGQUERY = "td[data-cell='bigquery:public.Sales']";

    @Test
    void countersRiseAndTheCarolRouteIsSuspendedAndResumedFromThePage() throws Exception {
        Path dir = TestInfra.newDir("console");
        int http = EmbeddedKafkaBroker.freePort();
        Map<String, String> s = Map.of("cdc.demo.postgres-port", String.valueOf(EmbeddedKafkaBroker.freePort()),
                "cdc.demo.kafka-port", String.valueOf(EmbeddedKafkaBroker.freePort()), "cdc.http.port", String.valueOf(http),
                "cdc.demo.generator-rate", "20", "cdc.console.sensitive-columns", "Users.UserName");
        try (BridgeProcess demo = BridgeProcess.start(dir, s).awaitStreaming(); WebDriver browser = new WebDriver()) {
            browser.open("http://127.0.0.1:" + http + "/");
            long first = await("Sales delivered to Carol").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> number(browser.text(SALES_CAROL)), n -> n > 0);
            await("counters rise").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> number(browser.text(SALES_CAROL)) > first && number(browser.text(SALES_BIGQUERY)) > 0);

            browser.click("#suspend-carol-delivery");
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> "Suspended".equals(browser.text("td[data-cell='state:carol-delivery']")));
            // a batch in flight when the route was suspended may still land: wait until the counter holds still
            long[] last = {-2};
            long carolStopped = await("Carol's counter settles").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(2500))
                    .ignoreExceptions().until(() -> {
                        long now = number(browser.text(SALES_CAROL));
                        boolean same = now == last[0];
                        last[0] = now;
                        return same ? now : -1L;
                    }, n -> n >= 0);
            long bigQueryThen = number(browser.text(SALES_BIGQUERY));
            await("BigQuery keeps rising").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> number(browser.text(SALES_BIGQUERY)) > bigQueryThen + 20);
            assertThat(number(browser.text(SALES_CAROL))).as("Carol's counter stopped").isEqualTo(carolStopped);
            browser.screenshot(Path.of("target", "console.png"));

            browser.click("#resume-carol-delivery");
            await("Carol catches up").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> number(browser.text(SALES_CAROL)) >= number(browser.text(SALES_BIGQUERY)) - 5
                            && number(browser.text(SALES_CAROL)) > carolStopped + 20);
            assertThat(browser.text("td[data-cell='state:carol-delivery']")).isEqualTo("Started");
            assertThat(browser.text("#events")).doesNotContain("undefined");
            // the API behind the page: sensitive columns masked in the recent events
            String users = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + http + "/api/events?table=public.Users")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(users).contains("\"UserName\":\"" + StatusConsole.MASK + "\"").doesNotContain("João").contains("Financeiro");
        }
    }

    private static long number(String text) {
        return text == null || text.isBlank() ? -1 : Long.parseLong(text.trim());
    }
}
