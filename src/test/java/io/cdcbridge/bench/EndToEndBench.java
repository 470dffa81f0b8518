package io.cdcbridge.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.cdcbridge.support.FakeBigQuery;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * End-to-end benchmark driver for bench/e2e.sh (not a test): runs the BigQuery fake in this JVM, launches the bridge's
 * jar as its own process against the script's Postgres and Kafka, then measures
 * (1) an N-row transaction → N rows accepted by the fake, and
 * (2) commit → sink latency (the row's Postgres commit time {@code _source_ts} against its arrival at the fake)
 * while rows are committed at a steady rate.
 *
 * <pre>EndToEndBench JAR PG_PORT KAFKA_BOOTSTRAP WORK_DIR N RATE SECONDS</pre>
 */
public final class EndToEndBench {

    private static final String TOPIC = "e2e.public.sales";

    public static void main(String[] a) throws Exception {
        String jar = a[0];
        int pgPort = Integer.parseInt(a[1]);
        String bootstrap = a[2];
        Path work = Path.of(a[3]);
        int n = Integer.parseInt(a[4]);
        int rate = Integer.parseInt(a[5]);
        int seconds = Integer.parseInt(a[6]);
        String url = "jdbc:postgresql://127.0.0.1:" + pgPort + "/bench";

        try (FakeBigQuery bq = FakeBigQuery.start(); io.cdcbridge.support.FakeCarol carol = io.cdcbridge.support.FakeCarol.start(java.time.Clock.systemUTC());
             Connection c = DriverManager.getConnection(url, "postgres", "postgres");
             Admin kafka = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Files.createDirectories(work);
            Path log = work.resolve("bridge-e2e.log");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            // BRIDGE_OPTS: the bridge's JVM flags, set by bench/e2e.sh (bench/defaults.sh), e.g. a heap size or a JFR recording
            cmd.addAll(words("BRIDGE_OPTS"));
            cmd.addAll(List.of("-Dcdc.source.host=127.0.0.1", "-Dcdc.source.port=" + pgPort, "-Dcdc.source.database=bench",
                    "-Dcdc.source.password=postgres", "-Dcdc.source.tables=public.sales", "-Dcdc.source.slot=cdc_e2e",
                    "-Dcdc.source.publication=cdc_e2e", "-Dcdc.source.snapshot-mode=no_data", "-Dcdc.kafka.brokers=" + bootstrap,
                    "-Dcdc.kafka.topic-prefix=e2e", "-Dcdc.routes.reload=false", "-Dcdc.http.port=0",
                    "-Dcdc.bigquery.project=bench", "-Dcdc.bigquery.dataset=bench",
                    "-Dcdc.bigquery.batch-timeout-ms=20", "-Dcdc.carol.url=" + carol.url(), "-Dcdc.carol.connector-id=" + io.cdcbridge.support.FakeCarol.CONNECTOR,
                    "-Dcdc.carol.username=" + io.cdcbridge.support.FakeCarol.USER, "-Dcdc.carol.password=" + io.cdcbridge.support.FakeCarol.PASSWORD,
                    "-Dcdc.carol.tenant=" + io.cdcbridge.support.FakeCarol.TENANT, "-Dcdc.carol.org=" + io.cdcbridge.support.FakeCarol.ORG,
                    "-Dcdc.carol.batch-timeout-ms=20"));
            // both fakes (REST and Storage Write), whichever write API E2E_OPTS / WRITE_API picks
            cmd.addAll(bq.bridgeSystemProperties());
            // E2E_OPTS: settings under test, e.g. -Dcdc.kafka.partitions=4
            cmd.addAll(words("E2E_OPTS"));
            cmd.addAll(List.of("-jar", jar));
            long launch = System.currentTimeMillis();
            Process bridge = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                while (!Files.readString(log).contains("Streaming changes from slot")) {
                    if (!bridge.isAlive()) {
                        throw new IllegalStateException("bridge exited:\n" + Files.readString(log));
                    }
                    Thread.sleep(20);
                }
                long streaming = System.currentTimeMillis() - launch;
                try (Statement st = c.createStatement()) {
                    st.execute("INSERT INTO sales(book_id, user_id, quantity, price) VALUES (0, 0, 0, 0)"); // warm-up: table created
                }
                waitRows(bq, carol, kafka, 1, 120);

                // (1) throughput: one N-row transaction per round; round 1 is the cold JVM, the others warm
                int rounds = Integer.parseInt(System.getenv().getOrDefault("ROUNDS", "2"));
                int total = 1;
                List<Long> warmMillis = new ArrayList<>();
                for (int round = 1; round <= rounds; round++) {
                    long[] cpu0 = {cpuMillis(bridge.pid()), cpuMillis(ProcessHandle.current().pid()), machineCpuMillis()};
                    long t0 = System.currentTimeMillis();
                    try (Statement st = c.createStatement()) {
                        st.execute("INSERT INTO sales(book_id, user_id, quantity, price) SELECT 1 + g % 1000, 1 + g % 5000, 1 + g % 5, "
                                + "(1 + g % 100) * 1.25 FROM generate_series(1, " + n + ") g");
                    }
                    total += n;
                    long[] done = waitRows(bq, carol, kafka, total, 900);
                    long ms = Math.max(done[0], done[1]) - t0;
                    long[] cpu1 = {cpuMillis(bridge.pid()), cpuMillis(ProcessHandle.current().pid()), machineCpuMillis()};
                    System.out.printf("cdc-bridge-e2e round %d (%s): %d rows in %.3f s = %.0f rows/s into both fakes (on Kafka after %.3f s, "
                                    + "BigQuery done after %.3f s, Carol after %.3f s; CPU: bridge %.1f s, fakes %.1f s, machine %.1f of %.1f s)%n",
                            round, round == 1 ? "cold" : "warm", n, ms / 1000.0, n * 1000.0 / ms, (done[2] - t0) / 1000.0,
                            (done[0] - t0) / 1000.0, (done[1] - t0) / 1000.0, (cpu1[0] - cpu0[0]) / 1000.0, (cpu1[1] - cpu0[1]) / 1000.0,
                            (cpu1[2] - cpu0[2]) / 1000.0, ms / 1000.0 * Runtime.getRuntime().availableProcessors());
                    System.out.printf("cdc-bridge-e2e-%s: %.0f rows/s%n", round == 1 ? "cold" : "warm-round-" + round, n * 1000.0 / ms);
                    if (round > 1) {
                        warmMillis.add(ms);
                    }
                    release(bq, carol);
                }
                if (!warmMillis.isEmpty()) {
                    // the rule of bench/capture.sh and bench/compare.sh for both stacks: the median round time, the
                    // slower of the middle two for an even count
                    Collections.sort(warmMillis);
                    long median = warmMillis.get(warmMillis.size() / 2);
                    System.out.printf("cdc-bridge-e2e-warm: %.0f rows/s (median of rounds 2..%d)%n", n * 1000.0 / median, rounds);
                }

                // (2) latency at a steady rate: commits every 10 ms
                int perTick = Math.max(1, rate / 100);
                int before = total;
                release(bq, carol);
                long start = System.nanoTime();
                int sent = 0;
                try (Statement st = c.createStatement()) {
                    for (int tick = 0; tick < seconds * 100; tick++) {
                        long due = start + tick * 10_000_000L;
                        // parked, not spinning: a spinning driver would take one of the two cores from the bridge
                        for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                            java.util.concurrent.locks.LockSupport.parkNanos(wait);
                        }
                        st.execute("INSERT INTO sales(book_id, user_id, quantity, price) SELECT g, g, 1, 2.5 FROM generate_series(1, " + perTick + ") g");
                        sent += perTick;
                    }
                }
                waitRows(bq, carol, kafka, before + sent, 120);
                FakeBigQuery.Table t = bq.table("bench", "bench", "e2e_public_sales");
                List<Long> lat = new ArrayList<>();
                synchronized (t) {
                    for (int i = 0; i < t.rows.size(); i++) { // the rows of this phase: the earlier ones were released
                        long commit = Instant.parse(t.rows.get(i).path("_source_ts").asText()).toEpochMilli();
                        lat.add(t.rowArrivalMillis.get(i) - commit);
                    }
                }
                Collections.sort(lat);
                System.out.printf("cdc-bridge-e2e-latency: at %d rows/s for %d s (%d rows): commit→BigQuery p50 %d ms, p99 %d ms, max %d ms%n",
                        rate, seconds, lat.size(), lat.get(lat.size() / 2), lat.get((int) (lat.size() * 0.99)), lat.get(lat.size() - 1));
                System.out.printf("cdc-bridge-e2e-peak-rss: %d MiB (VmHWM of the bridge process)%n", vmHwmMiB(bridge.pid()));
                System.out.printf("cdc-bridge-e2e-startup: streaming %.3f s after launch%n", streaming / 1000.0);
                // which write path the rows took (WRITE_API): the requests each fake received
                System.out.printf("cdc-bridge-e2e-write-path: insertAll requests %d, Storage Write appends %d%n",
                        bq.insertAllRequests(), bq.storageWrite().appendRequests());
            } finally {
                bridge.destroy();
                if (!bridge.waitFor(60, TimeUnit.SECONDS)) {
                    bridge.destroyForcibly();
                }
            }
        }
    }

    /** Waits until both fakes hold {@code count} rows; returns when each got there and when the topic did (epoch ms). */
    private static long[] waitRows(FakeBigQuery bq, io.cdcbridge.support.FakeCarol carol, Admin kafka, int count, int timeoutS) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutS * 1000L;
        long[] at = {0, 0, 0};
        while (at[0] == 0 || at[1] == 0) {
            long now = System.currentTimeMillis();
            if (at[2] == 0 && (now / 5) % 10 == 0 && onKafka(kafka) >= count) { // every ~50 ms: asking the broker costs
                at[2] = now;
            }
            if (at[0] == 0 && stored(bq) >= count) {
                at[0] = now;
            }
            if (at[1] == 0 && carolCount(carol) >= count) {
                at[1] = now;
            }
            if (now > deadline) {
                throw new IllegalStateException("timed out: BigQuery " + stored(bq) + ", Carol " + carolCount(carol) + " of " + count);
            }
            Thread.sleep(5);
        }
        return at;
    }

    private static long onKafka(Admin kafka) throws Exception {
        if (!kafka.listTopics().names().get().contains(TOPIC)) {
            return 0;
        }
        Map<TopicPartition, OffsetSpec> ends = new java.util.HashMap<>();
        kafka.describeTopics(List.of(TOPIC)).allTopicNames().get().get(TOPIC).partitions()
                .forEach(i -> ends.put(new TopicPartition(TOPIC, i.partition()), OffsetSpec.latest()));
        return kafka.listOffsets(ends).all().get().values().stream().mapToLong(i -> i.offset()).sum();
    }

    /** Changelog rows and Carol records counted, then dropped from the fakes, by {@link #release}. */
    private static int bigQueryReleased;
    private static int carolReleased;

    /**
     * Counts and drops what the fakes took so far (the changelog's rows, Carol's records, the current-state table; their
     * checks ran when they took them): kept for every round, they grew the driver's heap past a gigabyte, and its
     * collector's pauses (4-5 s of a four-round run, -Xlog:gc) held up the fakes' answers, which the bench counted as
     * the bridge's time.
     */
    private static void release(FakeBigQuery bq, io.cdcbridge.support.FakeCarol carol) {
        FakeBigQuery.Table t = bq.table("bench", "bench", "e2e_public_sales");
        if (t != null) {
            synchronized (t) {
                bigQueryReleased += t.rows.size();
                t.rows.clear();
                t.rowInsertIds.clear();
                t.rowArrivalMillis.clear();
            }
        }
        carolReleased += carol.drain("sales").size();
        bq.storageWrite().forgetCurrentState("bench", "bench", "e2e_public_sales_current");
    }

    private static int stored(FakeBigQuery bq) {
        FakeBigQuery.Table t = bq.table("bench", "bench", "e2e_public_sales");
        if (t == null) {
            return bigQueryReleased;
        }
        synchronized (t) {
            return bigQueryReleased + t.rows.size();
        }
    }

    private static int carolCount(io.cdcbridge.support.FakeCarol carol) {
        return carolReleased + carol.count("sales");
    }

    /** An environment variable's space-separated words (none when unset or blank). */
    private static List<String> words(String variable) {
        String value = System.getenv().getOrDefault(variable, "").trim();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    /** User + system CPU time of a process (/proc/PID/stat, clock ticks of 10 ms). */
    private static long cpuMillis(long pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * 10;
    }

    /** CPU time spent by the whole machine, all processes (/proc/stat: every state but idle and iowait). */
    private static long machineCpuMillis() throws Exception {
        String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
        long busy = 0;
        for (int i = 1; i < f.length && i <= 8; i++) {
            if (i != 4 && i != 5) {
                busy += Long.parseLong(f[i]);
            }
        }
        return busy * 10;
    }

    private static long vmHwmMiB(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }
}
