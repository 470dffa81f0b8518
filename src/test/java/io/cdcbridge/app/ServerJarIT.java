package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;

import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.junit.jupiter.api.Test;

/**
 * The production jar, {@code target/cdc-bridge-server.jar}: it holds no demo (no {@code io/cdcbridge/demo} classes,
 * no embedded Postgres binaries, no Kafka broker), refuses settings that ask for the demo with one line naming the
 * key, and without the demo still does the whole job: capture with leader election and offsets in Kafka, delivery to
 * both sinks, health and metrics. That last test is what shows the jar kept every class Debezium, Kafka Connect,
 * Camel and the Google clients load at run time.
 */
class ServerJarIT {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void theJarHoldsNoDemoNoPostgresBinariesAndNoBroker() throws Exception {
        List<String> entries;
        try (JarFile jar = new JarFile(BridgeProcess.serverJar().toFile())) {
            entries = jar.stream().map(JarEntry::getName).toList();
        }
        assertThat(entries).as("the application itself is there").contains("io/cdcbridge/app/Bridge.class",
                "io/cdcbridge/capture/CaptureRoute.class", "io/debezium/pipeline/source/spi/EventFormatter.class",
                "org/apache/kafka/connect/runtime/WorkerConfig.class", "org/postgresql/Driver.class");
        assertThat(entries).filteredOn(e -> e.startsWith("io/cdcbridge/demo/")).isEmpty();
        assertThat(entries).filteredOn(e -> e.startsWith("io/zonky/") || e.endsWith(".txz")).isEmpty();
        assertThat(entries).as("the Kafka broker (Scala) and its runtime")
                .filteredOn(e -> e.startsWith("kafka/server/") || e.startsWith("scala/") || e.startsWith("org/apache/kafka/raft/"))
                .isEmpty();
        assertThat(entries).doesNotContain("META-INF/services/io.cdcbridge.app.Demo");
        try (JarFile full = new JarFile(BridgeProcess.jar().toFile())) {
            assertThat(full.getEntry("META-INF/services/io.cdcbridge.app.Demo")).as("the demo jar keeps its demo").isNotNull();
            assertThat(full.getEntry("io/cdcbridge/demo/DemoEnvironment.class")).isNotNull();
        }
    }

    @Test
    void settingsThatAskForTheDemoStopWithOneLineNamingTheKey() throws Exception {
        // the shipped settings: no database and no broker, which cdc-bridge.jar answers with the demo
        assertThat(refusal(Map.of("cdc.http.port", "0"))).startsWith("cdc-bridge: configuration error: cdc.source.host: ")
                .contains("CDC_SOURCE_HOST").contains("cdc-bridge.jar");
        assertThat(refusal(Map.of("cdc.source.host", "db.example", "cdc.http.port", "0")))
                .startsWith("cdc-bridge: configuration error: cdc.kafka.brokers: ").contains("CDC_KAFKA_BROKERS");
        assertThat(refusal(Map.of("cdc.source.host", "db.example", "cdc.kafka.brokers", "k.example:9092",
                "cdc.demo.bookstore", "true", "cdc.http.port", "0")))
                .startsWith("cdc-bridge: configuration error: cdc.demo.bookstore: ");
    }

    /** Runs the jar from an empty directory; returns its only line of output, after checking nothing was started. */
    private static String refusal(Map<String, String> settings) throws Exception {
        Path dir = TestInfra.newDir("serverdemo");
        try (BridgeProcess p = BridgeProcess.startServer(dir, settings)) {
            assertThat(p.awaitExit(Duration.ofSeconds(60))).as(p.output()).isEqualTo(2);
            List<String> lines = p.output().lines().filter(l -> !l.isBlank()).toList();
            assertThat(lines).as("one line, no stack trace, no start-up log").hasSize(1);
            assertThat(dir.resolve("data")).as("no embedded server created its data directory").doesNotExist();
            return lines.get(0);
        }
    }

    @Test
    void withoutTheDemoItCapturesDeliversToBothSinksAndReportsReady() throws Exception {
        CaptureFixture f = CaptureFixture.create("serverjar", "CREATE TABLE \"Livros\" (\"Id\" int PRIMARY KEY, \"Titulo\" text)");
        try (FakeBigQuery bq = FakeBigQuery.start(); FakeCarol carol = FakeCarol.start(Clock.systemUTC())) {
            Map<String, String> s = new HashMap<>(f.settingsWithSinks(bq, carol).asMap());
            // the production set-up: offsets in Kafka (Connect's Kafka offset store) and capture leader election
            s.put("cdc.offsets.store", "kafka");
            s.put("cdc.offsets.topic", f.prefix + "-offsets");
            s.put("cdc.capture.lock-dir", f.dir.resolve("locks").toString());
            try (BridgeProcess bridge = BridgeProcess.startServer(f.dir.resolve("run"), s).awaitStreaming()) {
                f.sql(IntStream.range(0, 25).mapToObj(i -> "INSERT INTO \"Livros\" VALUES (" + i + ", 'Dom Casmurro " + i + "')")
                        .toArray(String[]::new));
                String table = f.prefix + "_public_Livros";
                await("rows in both sinks").atMost(Duration.ofSeconds(60)).until(() ->
                        bq.rows("p", "ds_" + f.prefix, table).size() == 25 && carol.records("livros").size() == 25);
                assertThat(KafkaTestConsumer.readAll(f.topic("Livros"))).hasSize(25);

                int port = httpPort(bridge.output());
                await("ready").atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    HttpResponse<String> ready = get(port, "/health/ready");
                    assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
                    assertThat(ready.body()).contains("\"capture\":\"UP\"").contains("\"kafka\":\"UP\"");
                });
                assertThat(get(port, "/metrics").body()).contains("cdc_captured_events_total{table=\"public.Livros\"} 25.0");
                assertThat(bridge.terminate(Duration.ofSeconds(60))).as(bridge.output()).isZero();
                assertThat(bridge.output()).doesNotContain("DEMO MODE").doesNotContain("NoClassDefFoundError")
                        .doesNotContain("ClassNotFoundException");
            }
        }
    }

    /**
     * The image's class-data archive (Dockerfile, stage train): deploy/cds-train.sh trains it for the server jar with
     * the demo jar's embedded servers, and the JVM then maps the bridge's classes from it. {@code -Xshare:on} makes a
     * JVM that cannot use the archive (another jar or JDK, a truncated file) stop instead of starting without it.
     */
    @Test
    void theImagesClassDataArchiveIsTrainedAndTheServerJarStartsFromIt() throws Exception {
        Path dir = TestInfra.newDir("cds");
        Path archive = dir.resolve("cdc-bridge-server.jsa");
        String javaBin = Path.of(System.getProperty("java.home"), "bin").toString();
        ProcessBuilder train = new ProcessBuilder("bash", Path.of("deploy/cds-train.sh").toAbsolutePath().toString(),
                BridgeProcess.serverJar().toString(), BridgeProcess.jar().toString(), archive.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("train.log").toFile());
        // the JDK that runs the tests trains the archive (an archive holds only for the JDK that wrote it)
        train.environment().put("PATH", javaBin + File.pathSeparator + System.getenv("PATH"));
        train.environment().put("TRAIN_OPTS", "-Xmx512m");
        Process p = train.start();
        try {
            // above the script's own limits (each wait names what it waited for), so its message is what fails
            boolean done = p.waitFor(10, TimeUnit.MINUTES);
            String log = Files.readString(dir.resolve("train.log"));
            assertThat(done).as("training within 10 minutes:\n" + log).isTrue();
            assertThat(p.exitValue()).as(log).isZero();
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }

        Process run = new ProcessBuilder(Path.of(javaBin, "java").toString(), "-Xmx256m", "-Xshare:on",
                "-XX:SharedArchiveFile=" + archive, "-Xlog:class+load", "-jar", BridgeProcess.serverJar().toString(), "version")
                .redirectErrorStream(true).redirectOutput(dir.resolve("run.log").toFile()).start();
        try {
            assertThat(run.waitFor(60, TimeUnit.SECONDS)).as("version within 60 s").isTrue();
        } finally {
            run.destroyForcibly();
        }
        String out = Files.readString(dir.resolve("run.log"));
        assertThat(run.exitValue()).as(out).isZero();
        assertThat(out).as("the bridge's and Debezium's classes come from the archive")
                .contains("io.cdcbridge.Main source: shared objects file (top)")
                .contains("io.debezium.connector.postgresql.Module source: shared objects file (top)")
                .contains("cdc-bridge ");
    }

    private static int httpPort(String output) {
        Matcher m = Pattern.compile("HTTP on [^:\\s]+:(\\d+)").matcher(output);
        assertThat(m.find()).as("the HTTP port in the output:\n" + output).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
