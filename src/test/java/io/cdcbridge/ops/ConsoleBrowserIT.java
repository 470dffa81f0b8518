package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cdcbridge.demo.EmbeddedKafkaBroker;
import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.TestInfra;
import io.cdcbridge.support.WebDriver;
import org.junit.jupiter.api.Test;

/**
 * The status console in a real browser (headless Debian Chromium over WebDriver) on the running demo jar, delivering
 * to the fake BigQuery and the fake Carol: counters rise with the sales generator and every health badge is green;
 * the Carol route's suspend button stops Carol's counter (its badge amber) while BigQuery's keeps rising; resume lets
 * Carol catch up; BigQuery failing turns its badge amber, then red after {@link HealthSummary#RED_AFTER}, and green
 * again once it answers. The charts move while the generator runs; a record Carol refuses is shown as a dead letter
 * with its cause and replayed from the page, reaching the fake; Carol's fake stopped turns its badge red. Leaves
 * screenshots in target/console*.png (console-deadletter.png is docs/console.png).
 */
class ConsoleBrowserIT {

    private static final String SALES_CAROL = "td[data-cell='carol:public.Sales']";
    private static final String SALES_BIGQUERY = "td[data-cell='bigquery:public.Sales']";

    @Test
    void countersRiseTheCarolRouteIsSuspendedFromThePageAndTheHealthBadgesFollowTheSinks() throws Exception {
        Path dir = TestInfra.newDir("console");
        int http = EmbeddedKafkaBroker.freePort();
        int postgres = EmbeddedKafkaBroker.freePort();
        try (FakeBigQuery bigQuery = FakeBigQuery.start(); FakeCarol carol = FakeCarol.start(Clock.systemUTC())) {
            // real deliveries (not the demo's dry run), so that a failing service shows on the page
            Map<String, String> s = new HashMap<>(carol.settings());
            s.putAll(Map.of("cdc.demo.postgres-port", String.valueOf(postgres),
                    "cdc.demo.kafka-port", String.valueOf(EmbeddedKafkaBroker.freePort()), "cdc.http.port", String.valueOf(http),
                    "cdc.demo.generator-rate", "20", "cdc.console.sensitive-columns", "Users.UserName", "cdc.sink.dry-run", "false",
                    "cdc.bigquery.project", "console", "cdc.bigquery.dataset", "bookstore",
                    // Sales has no primary key: Carol's staging needs its crosswalk named
                    "cdc.carol.crosswalk.public.Sales", "SaleId"));
            s.putAll(bigQuery.bridgeSettings());
            // BigQuery down longer than RED_AFTER must keep retrying (not dead-letter) and recover quickly once back
            s.put("cdc.delivery.max-retries", "1000");
            s.put("cdc.delivery.max-retry-delay-ms", "2000");
            run(dir, http, s, bigQuery, carol, postgres);
        }
    }

    private void run(Path dir, int http, Map<String, String> s, FakeBigQuery bigQuery, FakeCarol carol, int postgres) throws Exception {
        try (BridgeProcess demo = BridgeProcess.start(dir, s).awaitStreaming(); WebDriver browser = new WebDriver()) {
            browser.open("http://127.0.0.1:" + http + "/");
            long first = await("Sales delivered to Carol").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> number(browser.text(SALES_CAROL)), n -> n > 0);
            await("counters rise").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> number(browser.text(SALES_CAROL)) > first && number(browser.text(SALES_BIGQUERY)) > 0);
            chartMoves(browser);
            for (String part : PARTS) {
                await(part + " green").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> browser.text(badge(part)), t -> t.startsWith(part + " · green"));
            }

            browser.click("#suspend-carol-delivery");
            assertThat(browser.text("#confirmText")).isEqualTo("suspend route carol-delivery?");
            browser.click("#confirmYes");
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> "Suspended".equals(browser.text("td[data-cell='state:carol-delivery']")));
            assertThat(browser.text("#actionResult")).isEqualTo("suspend carol-delivery: now Suspended");
            await("Carol amber").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> browser.text(badge("carol")), t -> t.startsWith("carol · amber") && t.contains("route carol-delivery suspended"));
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
            browser.click("#confirmYes");
            await("Carol catches up").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> number(browser.text(SALES_CAROL)) >= number(browser.text(SALES_BIGQUERY)) - 5
                            && number(browser.text(SALES_CAROL)) > carolStopped + 20);
            assertThat(browser.text("td[data-cell='state:carol-delivery']")).isEqualTo("Started");
            await("Carol green again").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                    .until(() -> browser.text(badge("carol")), t -> t.startsWith("carol · green"));

            // BigQuery answers 503: its sink retries, amber at once, red once it has retried for longer than RED_AFTER
            bigQuery.failWritesFor(503, Duration.ofMinutes(5));
            await("BigQuery amber").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> browser.text(badge("bigquery")), t -> t.startsWith("bigquery · amber") && t.contains("retrying for"));
            await("BigQuery red").atMost(HealthSummary.RED_AFTER.plusSeconds(30)).ignoreExceptions()
                    .until(() -> browser.text(badge("bigquery")), t -> t.startsWith("bigquery · red") && t.contains("retrying for"));
            assertThat(browser.text(badge("carol"))).startsWith("carol · green");
            bigQuery.failFor(503, Duration.ZERO, "");
            bigQuery.failWritesFor(503, Duration.ZERO);
            await("BigQuery green again").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> browser.text(badge("bigquery")), t -> t.startsWith("bigquery · green"));
            assertThat(browser.text("#events")).doesNotContain("undefined");
            // the API behind the page: sensitive columns masked in the recent events
            String users = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create("http://127.0.0.1:" + http + "/api/events?table=public.Users")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(users).contains("\"UserName\":\"" + StatusConsole.MASK + "\"").doesNotContain("João").contains("Financeiro");

            deadLetterShownAndReplayedFromThePage(browser, carol, postgres);

            // Carol's fake stopped: its sink retries (unreachable), amber, then red after RED_AFTER; BigQuery stays green
            carol.close();
            await("Carol red once its fake is stopped").atMost(HealthSummary.RED_AFTER.plusSeconds(40)).ignoreExceptions()
                    .until(() -> browser.text(badge("carol")), t -> t.startsWith("carol · red") && t.contains("retrying for")
                            && t.contains("unreachable"));
            assertThat(browser.text(badge("bigquery"))).startsWith("bigquery · green");
        }
    }

    /**
     * The charts (ConsoleHistory, one reading every 5 s) move while the generator runs: the captured series' line is
     * drawn again with new points, and its last rate is above zero.
     */
    private static void chartMoves(WebDriver browser) throws Exception {
        String captured = "polyline[data-series='rate:captured']";
        String before = await("the captured chart drawn").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> browser.attribute(captured, "points"), p -> p != null && p.contains(","));
        await("the captured chart moves").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> !before.equals(browser.attribute(captured, "points"))
                        && Double.parseDouble(browser.attribute(captured, "data-last")) > 0);
        await("Carol's delivered rate drawn").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> Double.parseDouble(browser.attribute("polyline[data-series='rate:carol']", "data-last")) > 0);
        assertThat(browser.attribute("td[data-spark='public.Sales'] polyline", "points")).contains(",");
    }

    /**
     * Carol's validation refuses a new user's record: the sink dead-letters it, the page shows it with its cause and
     * origin and the sensitive column masked; once Carol takes it again, replaying the table from the page (the replay
     * command's code) delivers it to the fake.
     */
    private static void deadLetterShownAndReplayedFromThePage(WebDriver browser, FakeCarol carol, int postgres) throws Exception {
        carol.refuse("users", "Department", "Auditoria");
        try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgres + "/postgres", "postgres", "postgres");
             var st = c.createStatement()) {
            st.executeUpdate("INSERT INTO \"Users\" (\"UserName\", \"Department\") VALUES ('Beatriz Sigilo', 'Auditoria')");
        }
        String card = "div[data-letter='carol:public.Users']";
        String shown = await("the dead letter shown").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> browser.text(card), t -> t != null && t.contains("not replayed"));
        assertThat(shown).contains("HTTP 400", "rejected by the staging's validation: Department Auditoria is not allowed",
                "\"Department\":\"Auditoria\"", "\"UserName\":\"" + StatusConsole.MASK + "\"")
                .doesNotContain("Beatriz").containsPattern("\\d+ attempt\\(s\\)")
                .containsPattern("from \\S+\\.public\\.Users/\\d+/\\d+ "); // the origin topic/partition/offset
        assertThat(browser.text("td[data-cell='pending:carol:public.Users']")).isEqualTo("1");
        await("Carol amber").atMost(Duration.ofSeconds(10)).ignoreExceptions()
                .until(() -> browser.text(badge("carol")), t -> t.startsWith("carol · amber") && t.contains("1 record dead-lettered"));
        browser.resize(1280, 2150); // the whole page: charts and dead letters (docs/console.png is this picture)
        browser.script("window.scrollTo(0, 0)");
        browser.screenshot(Path.of("target", "console-deadletter.png"));

        carol.acceptAll();
        int before = (int) carol.records("users").stream().filter(r -> r.path("Department").asText().equals("Auditoria")).count();
        assertThat(before).isZero();
        browser.click("button[data-replay='carol:public.Users']");
        assertThat(browser.text("#confirmText")).startsWith("Replay the dead letters of public.Users for carol?");
        browser.click("#confirmYes");
        await("the replay's result reported").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> browser.text("#actionResult"), t -> t.startsWith("replay of carol public.Users: done"));
        assertThat(browser.text("#actionResult")).contains("1 of 1 looked at", "replayed=1 skipped=0 failed=0");
        await("the replayed record reaches Carol").atMost(Duration.ofSeconds(60))
                .until(() -> carol.records("users").stream().anyMatch(r -> r.path("Department").asText().equals("Auditoria")
                        && r.path("UserName").asText().equals("Beatriz Sigilo")));
        await("the dead letter marked replayed").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> browser.text(card), t -> t.contains("· replayed") && !t.contains("not replayed"));
        assertThat(browser.text("td[data-cell='pending:carol:public.Users']")).isEqualTo("0");
    }

    private static final List<String> PARTS = List.of("postgres", "slot", "kafka", "bigquery", "carol", "carol-token");

    private static String badge(String part) {
        return "div[data-health='" + part + "']";
    }

    private static long number(String text) {
        return text == null || text.isBlank() ? -1 : Long.parseLong(text.trim());
    }
}
