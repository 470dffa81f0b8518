package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.demo.EmbeddedKafkaBroker;
import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * Backfill on demand (issue 21 item 2; docs/operations.md, "Backfill"): {@code java -jar cdc-bridge.jar backfill} against
 * a running bridge (over its remote JMX) reads a table's current rows again while inserts into it and into another table
 * go on: every row there was arrives as op r, every concurrent insert as op c, the other table keeps streaming during
 * the backfill; progress in /api/status and /metrics; a WHERE backfill through the console's API reads only its rows;
 * a table that is not there and a bad WHERE are one readable line each.
 */
class BackfillIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int ROWS = 30_000;

    @Test
    void backfillOfATableWhileInsertsGoOnIntoItAndAnother() throws Exception {
        CaptureFixture f = CaptureFixture.create("backfill",
                "CREATE TABLE \"Big\" (\"Id\" int PRIMARY KEY, v text)",
                "CREATE TABLE \"Other\" (\"Id\" int PRIMARY KEY, v text)",
                "INSERT INTO \"Big\" SELECT g, 'row ' || g FROM generate_series(1, " + ROWS + ") g",
                "ANALYZE \"Big\"");
        int jmx = EmbeddedKafkaBroker.freePort();
        var settings = f.settings(Map.of("cdc.jmx.port", String.valueOf(jmx)));
        try (Bridge bridge = Bridge.start(settings)) {
            bridge.awaitStreaming(Duration.ofSeconds(90));
            // the initial snapshot: ROWS rows as r; what follows on the topic is the backfill's and the inserts'
            awaitCount(f.topic("Big"), ROWS);
            int mark = KafkaTestConsumer.readAll(f.topic("Big")).size();

            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger inserted = new AtomicInteger();
            Thread load = new Thread(() -> {
                // bounded: at most 3000 pairs of inserts, one pair every ~20 ms
                for (int i = 1; i <= 3000 && !stop.get(); i++) {
                    f.sql("INSERT INTO \"Big\" VALUES (" + (1_000_000 + i) + ", 'new')", "INSERT INTO \"Other\" VALUES (" + i + ", 'o')");
                    inserted.set(i);
                    try {
                        Thread.sleep(20); // the load's pace, not a synchronisation
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "backfill-it-load");
            load.start();
            Awaitility.await("inserts flowing").atMost(Duration.ofSeconds(30)).until(() -> inserted.get() >= 20);

            // the other table's events captured while the backfill was under way (rows published, not yet all)
            AtomicLong otherAtFirst = new AtomicLong(-1);
            AtomicLong otherAtLast = new AtomicLong(-1);
            Thread watch = new Thread(() -> {
                while (!stop.get()) {
                    var p = bridge.status().backfillProgress().stream().filter(b -> b.table().equals("public.Big")).findFirst();
                    if (p.isPresent() && p.get().finished() == null && p.get().rows() > 0) {
                        long other = bridge.captureStats().perTable().getOrDefault("public.Other", 0L);
                        otherAtFirst.compareAndSet(-1, other);
                        otherAtLast.set(other);
                    }
                    try {
                        Thread.sleep(20); // sampling pace
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "backfill-it-watch");
            watch.start();

            String target = "127.0.0.1:" + jmx;
            String started = cli(f, 0, "backfill", "--table", "public.Big", "--jmx", target);
            assertThat(started).contains("backfill-", "public.Big", "started");
            // the total is pg_class.reltuples: an autoanalyze during the inserts may already count some of them
            var about = java.util.regex.Pattern.compile("about (\\d+) rows").matcher(started);
            assertThat(about.find()).as("an estimate in %s", started).isTrue();
            assertThat(Long.parseLong(about.group(1))).isBetween((long) ROWS, (long) ROWS + inserted.get());

            Awaitility.await("the backfill done").atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200))
                    .until(() -> bridge.status().backfillProgress().stream().anyMatch(b -> b.table().equals("public.Big") && "done".equals(b.state())));
            stop.set(true);
            load.join();
            watch.join();
            int last = inserted.get();

            // every row there was arrives as op r (snapshot true); every insert made meanwhile as op c
            Set<Integer> read = new HashSet<>();
            Set<Integer> createdBig = new HashSet<>();
            Awaitility.await("every row and insert on " + f.topic("Big")).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        read.clear();
                        createdBig.clear();
                        List<KafkaTestConsumer.Rec> all = KafkaTestConsumer.readAll(f.topic("Big"));
                        for (var r : all.subList(mark, all.size())) {
                            JsonNode e = JSON.readTree(r.value());
                            int id = e.get("after").get("Id").asInt();
                            if (e.get("op").asText().equals("r")) {
                                assertThat(e.get("source").get("snapshot").asBoolean()).isTrue();
                                read.add(id);
                            } else {
                                assertThat(e.get("op").asText()).isEqualTo("c");
                                createdBig.add(id);
                            }
                        }
                        for (int id = 1; id <= ROWS; id++) {
                            assertThat(read).as("row %d read again", id).contains(id);
                        }
                        for (int i = 1; i <= last; i++) {
                            assertThat(createdBig.contains(1_000_000 + i) || read.contains(1_000_000 + i)).as("insert %d", i).isTrue();
                        }
                    });
            assertThat(createdBig).as("concurrent inserts stream as c").hasSizeGreaterThan(last / 2);

            // the other table streamed on: all its inserts as c, and some of them while the backfill was under way
            Awaitility.await("every insert on " + f.topic("Other")).atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        Set<Integer> other = new HashSet<>();
                        for (var r : KafkaTestConsumer.readAll(f.topic("Other"))) {
                            JsonNode e = JSON.readTree(r.value());
                            assertThat(e.get("op").asText()).isEqualTo("c");
                            other.add(e.get("after").get("Id").asInt());
                        }
                        for (int i = 1; i <= last; i++) {
                            assertThat(other).contains(i);
                        }
                    });
            assertThat(otherAtFirst.get()).as("the backfill was seen under way").isNotNegative();
            assertThat(otherAtLast.get()).as("the other table streamed during the backfill").isGreaterThan(otherAtFirst.get());

            // progress: /api/status and /metrics
            HttpClient http = HttpClient.newHttpClient();
            String base = "http://127.0.0.1:" + bridge.httpPort();
            JsonNode status = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "/api/status")).build(),
                    HttpResponse.BodyHandlers.ofString()).body());
            JsonNode done = status.get("backfills").get(0);
            assertThat(done.get("table").asText()).isEqualTo("public.Big");
            assertThat(done.get("state").asText()).isEqualTo("done");
            assertThat(done.get("percent").asDouble()).isEqualTo(100.0);
            assertThat(done.get("rows").asLong()).isGreaterThanOrEqualTo(ROWS);
            assertThat(done.get("total").asLong()).isBetween((long) ROWS, (long) ROWS + last); // reltuples, see above
            String metrics = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).containsPattern("cdc_backfill_rows_done\\{table=\"public.Big\"\\} [0-9.E]+")
                    .containsPattern("cdc_backfill_rows_expected\\{table=\"public.Big\"\\} " + done.get("total").asLong() + "\\.0")
                    .contains("cdc_backfill_progress_ratio{table=\"public.Big\"} 1.0")
                    .contains("cdc_backfill_running{table=\"public.Big\"} 0.0");

            // the console's API: a WHERE backfill reads exactly its rows; refusals are one line each, 400
            int before = KafkaTestConsumer.readAll(f.topic("Big")).size();
            var ok = post(http, base, "{\"table\":\"public.Big\",\"where\":\"\\\"Id\\\" <= 100\"}");
            assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
            assertThat(ok.body()).contains("about 100 rows");
            Awaitility.await("the WHERE backfill").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        List<KafkaTestConsumer.Rec> all = KafkaTestConsumer.readAll(f.topic("Big"));
                        Set<Integer> ids = new HashSet<>();
                        for (var r : all.subList(before, all.size())) {
                            JsonNode e = JSON.readTree(r.value());
                            assertThat(e.get("op").asText()).isEqualTo("r");
                            ids.add(e.get("after").get("Id").asInt());
                        }
                        assertThat(ids).hasSize(100).allMatch(id -> id >= 1 && id <= 100);
                    });
            var noTable = post(http, base, "{\"table\":\"public.Nope\"}");
            assertThat(noTable.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(noTable.body()).get("error").asText()).contains("no table public.Nope");
            var badWhere = post(http, base, "{\"table\":\"public.Other\",\"where\":\"nonsense (((\"}");
            assertThat(badWhere.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(badWhere.body()).get("error").asText()).contains("--where is not a condition Postgres accepts");

            // the command line: the same refusals, one line on stderr, exit 1, no stack trace
            String missing = cli(f, 1, "backfill", "--table", "public.Nope", "--jmx", target);
            assertThat(missing).contains("cdc-bridge backfill: there is no table public.Nope");
            String bad = cli(f, 1, "backfill", "--table", "public.Other", "--where", "nonsense (((", "--jmx", target);
            assertThat(bad).contains("cdc-bridge backfill: --where is not a condition Postgres accepts on public.Other");
        }
    }

    private static HttpResponse<String> post(HttpClient http, String base, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/api/backfill")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** {@code java -jar cdc-bridge.jar args} as users run it; its output, once it exited with {@code code}. */
    private static String cli(CaptureFixture f, int code, String... args) throws Exception {
        Map<String, String> none = new HashMap<>();
        try (BridgeProcess p = BridgeProcess.start(f.dir.resolve("cli"), none, args)) {
            assertThat(p.awaitExit(Duration.ofSeconds(60))).as(p.output()).isEqualTo(code);
            String out = p.output();
            assertThat(out).as("no stack trace").doesNotContain("\tat ", "Exception:");
            return out;
        }
    }

    private static void awaitCount(String topic, int n) {
        Awaitility.await(n + " records on " + topic).atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> KafkaTestConsumer.readAll(topic).size() >= n);
    }
}
