package io.cdcbridge.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;

/**
 * Soak driver for bench/soak.sh (not a test): the BigQuery and Carol fakes in this JVM, the bridge's jar as its own
 * process, then RATE changes/s over four tables for SECONDS, committed every 10 ms (per tick and table: one insert,
 * the rest updates of earlier rows), after {@code SOAK_WARMUP_MINUTES} (default 1) of the same load on the cold JVM, which
 * are printed as such and not measured. Prints per minute the bridge's RSS, commit → BigQuery p50/p99/max of the rows
 * that arrived in that minute and where that time went (commit → the sink's batch, from {@code _ingested_at}; the batch
 * → stored), the GC pauses of that minute (the bridge's {@code -Xlog:gc}) and how far the fakes are behind; then the
 * measured minutes' worst p99 and RSS spread; at the end whether the latest state of every row in both fakes
 * (BigQuery's changelog by LSN and its {@code _current} table, Carol's last record) equals Postgres's (zero lost, none
 * stale), the warm-up's changes included.
 *
 * <pre>SoakBench JAR PG_PORT KAFKA_BOOTSTRAP WORK_DIR RATE SECONDS</pre>
 */
public final class SoakBench {

    private static final List<String> TABLES = List.of("soak_a", "soak_b", "soak_c", "soak_d");
    private static final Pattern PAUSE = Pattern.compile("^\\[([0-9.]+)s\\].*Pause.* ([0-9.]+)ms$");

    public static void main(String[] a) throws Exception {
        String jar = a[0];
        int pgPort = Integer.parseInt(a[1]);
        String bootstrap = a[2];
        Path work = Path.of(a[3]);
        int rate = Integer.parseInt(a[4]);
        int seconds = Integer.parseInt(a[5]);
        String url = "jdbc:postgresql://127.0.0.1:" + pgPort + "/bench";
        Files.createDirectories(work);
        Path gcLog = work.resolve("gc.log");

        try (FakeBigQuery bq = FakeBigQuery.start(); FakeCarol carol = FakeCarol.start(java.time.Clock.systemUTC());
             Connection c = DriverManager.getConnection(url, "postgres", "postgres")) {
            try (Statement st = c.createStatement()) {
                for (String t : TABLES) {
                    st.execute("CREATE TABLE " + t + "(id serial PRIMARY KEY, book_id int, user_id int, quantity int, "
                            + "price numeric(10,2), sold_at timestamptz DEFAULT now())");
                }
            }
            Path log = work.resolve("bridge-soak.log");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(words("BRIDGE_OPTS"));
            cmd.add("-Xlog:gc:file=" + gcLog + ":uptime");
            cmd.addAll(List.of("-Dcdc.source.host=127.0.0.1", "-Dcdc.source.port=" + pgPort, "-Dcdc.source.database=bench",
                    "-Dcdc.source.password=postgres", "-Dcdc.source.tables=" + String.join(",", TABLES.stream().map(t -> "public." + t).toList()),
                    "-Dcdc.source.slot=cdc_soak", "-Dcdc.source.publication=cdc_soak", "-Dcdc.source.snapshot-mode=no_data",
                    "-Dcdc.kafka.brokers=" + bootstrap, "-Dcdc.kafka.topic-prefix=soak", "-Dcdc.routes.reload=false", "-Dcdc.http.port=0",
                    "-Dcdc.bigquery.project=bench", "-Dcdc.bigquery.dataset=bench",
                    "-Dcdc.bigquery.batch-timeout-ms=20", "-Dcdc.carol.url=" + carol.url(), "-Dcdc.carol.connector-id=" + FakeCarol.CONNECTOR,
                    "-Dcdc.carol.username=" + FakeCarol.USER, "-Dcdc.carol.password=" + FakeCarol.PASSWORD,
                    "-Dcdc.carol.tenant=" + FakeCarol.TENANT, "-Dcdc.carol.org=" + FakeCarol.ORG, "-Dcdc.carol.batch-timeout-ms=20"));
            // both BigQuery fakes (REST for tables, Storage Write for rows: the default write path, with _current tables)
            cmd.addAll(bq.bridgeSystemProperties());
            cmd.addAll(words("SOAK_OPTS"));
            cmd.addAll(List.of("-jar", jar));
            long launch = System.currentTimeMillis();
            Process bridge = new ProcessBuilder(cmd).directory(work.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            try {
                long streamingDeadline = launch + 120_000;
                while (!Files.readString(log).contains("Streaming changes from slot")) {
                    if (!bridge.isAlive() || System.currentTimeMillis() > streamingDeadline) {
                        throw new IllegalStateException("the bridge did not stream:\n" + Files.readString(log));
                    }
                    Thread.sleep(20);
                }
                System.out.printf("soak: streaming %.3f s after launch; %d changes/s over %d tables for %d s after a warm-up of %s min%n",
                        (System.currentTimeMillis() - launch) / 1000.0, rate, TABLES.size(), seconds,
                        System.getenv().getOrDefault("SOAK_WARMUP_MINUTES", "1"));
                Thread probe = publishedProbe(bootstrap);
                run(c, bq, carol, bridge, gcLog, rate, seconds);
                probe.interrupt();
            } finally {
                bridge.destroy();
                if (!bridge.waitFor(60, TimeUnit.SECONDS)) {
                    bridge.destroyForcibly();
                }
            }
        }
    }

    private static void run(Connection c, FakeBigQuery bq, FakeCarol carol, Process bridge, Path gcLog, int rate, int seconds)
            throws Exception {
        // per 10 ms tick and table: one insert, the rest updates of earlier rows (a table's keys grow by 100 a second:
        // the current-state tables and the fakes' memory stay bounded over half an hour while most changes are updates)
        int perTickPerTable = Math.max(2, rate / 100 / TABLES.size());
        int inserts = 1;
        int updates = perTickPerTable - inserts;
        long changes = 0;
        int[] maxId = new int[TABLES.size()];
        java.util.Random random = new java.util.Random(23);
        long start = System.nanoTime();
        long startMs = System.currentTimeMillis();
        int gcLines = 0;
        c.setAutoCommit(false);
        int warmupMinutes = Integer.parseInt(System.getenv().getOrDefault("SOAK_WARMUP_MINUTES", "1"));
        try (Statement st = c.createStatement()) {
            int ticks = (warmupMinutes * 60 + seconds) * 100;
            for (int tick = 0; tick < ticks; tick++) {
                long due = start + tick * 10_000_000L;
                // parked, not spinning: a spinning driver would take one of the two cores from the bridge
                for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
                for (int t = 0; t < TABLES.size(); t++) {
                    st.execute("INSERT INTO " + TABLES.get(t) + "(book_id, user_id, quantity, price) SELECT 1 + g % 1000, g, 1, 2.5 "
                            + "FROM generate_series(1, " + inserts + ") g");
                    if (maxId[t] > 0) {
                        StringBuilder ids = new StringBuilder();
                        for (int u = 0; u < updates; u++) {
                            ids.append(u == 0 ? "" : ",").append(1 + random.nextInt(maxId[t]));
                        }
                        // an id drawn twice is one change: count what Postgres updated
                        changes += st.executeUpdate("UPDATE " + TABLES.get(t) + " SET quantity = quantity + 1 WHERE id IN (" + ids + ")");
                    }
                    changes += inserts;
                }
                c.commit();
                for (int t = 0; t < TABLES.size(); t++) {
                    maxId[t] += inserts;
                }
                if ((tick + 1) % 6000 == 0 || tick == ticks - 1) {
                    gcLines = minute(bq, carol, bridge, gcLog, gcLines, (tick + 1) / 6000.0 - warmupMinutes, changes, startMs);
                }
            }
        }
        c.setAutoCommit(true);
        // the end: everything committed reaches both fakes, and each row's latest state there is Postgres's. Carol's
        // record count is no measure: the sink keeps the last change of a key within a batch (an update of a row inserted
        // in the same batch), so the check itself is what is waited for
        long drainStart = System.currentTimeMillis();
        long deadline = drainStart + 120_000;
        int[] result;
        while (true) {
            result = latestState(c, bq, carol, false);
            if ((result[0] == 0 && result[1] == 0 && bigQueryRows(bq) >= changes) || System.currentTimeMillis() > deadline) {
                break;
            }
            Thread.sleep(500);
        }
        System.out.printf("soak: drained %.1f s after the last commit: BigQuery %d rows (%d changes; at least once), Carol %d records%n",
                (System.currentTimeMillis() - drainStart) / 1000.0, bigQueryRows(bq), changes, carolRecords(carol));
        minute(bq, carol, bridge, gcLog, gcLines, Double.NaN, changes, startMs);
        summary();
        result = latestState(c, bq, carol, true);
        System.out.printf("soak-result: %d changes, lost %d, stale %d (latest state in both fakes against Postgres)%n", changes,
                result[0], result[1]);
    }

    /** Rows missing from a fake, and rows whose latest state there is not Postgres's, over all tables. */
    private static int[] latestState(Connection c, FakeBigQuery bq, FakeCarol carol, boolean print) throws Exception {
        int lost = 0;
        int stale = 0;
        absorb(bq, carol, null, null, null);
        for (String t : TABLES) {
            Map<Integer, Integer> pg = new HashMap<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT id, quantity FROM " + t)) {
                while (rs.next()) {
                    pg.put(rs.getInt(1), rs.getInt(2));
                }
            }
            Map<Integer, long[]> bqLatest = BQ_LATEST.get(t);
            // BigQuery's current-state table (Storage Write CDC upserts, applied by key and sequence number): one row per key
            Map<Integer, Integer> bqCurrent = new HashMap<>();
            for (ObjectNode r : bq.rows("bench", "bench", "soak_public_" + t + "_current")) {
                bqCurrent.put(r.path("id").asInt(), r.path("quantity").asInt());
            }
            Map<Integer, Integer> carolLatest = CAROL_LATEST.get(t);
            int tableLost = 0;
            int tableStale = 0;
            for (Map.Entry<Integer, Integer> e : pg.entrySet()) {
                long[] b = bqLatest.get(e.getKey());
                Integer q = carolLatest.get(e.getKey());
                Integer cur = bqCurrent.get(e.getKey());
                if (b == null || q == null || cur == null) {
                    tableLost++;
                } else if (b[1] != e.getValue() || !q.equals(e.getValue()) || !cur.equals(e.getValue())) {
                    tableStale++;
                }
            }
            if (print) {
                System.out.printf("soak: %s: %d rows in Postgres; BigQuery holds %d (its _current table %d), Carol %d; lost %d, stale %d%n", t,
                        pg.size(), bqLatest.size(), bqCurrent.size(), carolLatest.size(), tableLost, tableStale);
            }
            lost += tableLost;
            stale += tableStale;
        }
        return new int[] {lost, stale};
    }

    /** One line for the minute that ended: RSS, commit → BigQuery latency of the rows that arrived in it, GC pauses. */
    private static int minute(FakeBigQuery bq, FakeCarol carol, Process bridge, Path gcLog, int gcLinesBefore,
                              double minute, long changes, long startMs) throws Exception {
        List<Long> lat = new ArrayList<>();
        List<Long> toBatch = new ArrayList<>();
        List<Long> inSink = new ArrayList<>();
        absorb(bq, carol, lat, toBatch, inSink);
        Collections.sort(lat);
        Collections.sort(toBatch);
        Collections.sort(inSink);
        List<Long> published;
        synchronized (PUBLISHED) {
            published = new ArrayList<>(PUBLISHED);
            PUBLISHED.clear();
        }
        Collections.sort(published);
        List<String> gc = Files.exists(gcLog) ? Files.readAllLines(gcLog) : List.of();
        int pauses = 0;
        double total = 0;
        double max = 0;
        for (int i = gcLinesBefore; i < gc.size(); i++) {
            Matcher m = PAUSE.matcher(gc.get(i));
            if (m.matches()) {
                double ms = Double.parseDouble(m.group(2));
                pauses++;
                total += ms;
                max = Math.max(max, ms);
            }
        }
        String label = Double.isNaN(minute) ? "drain" : minute <= 0 ? String.format("warm-up %.1f (cold JVM, not measured)", minute)
                : String.format("minute %.1f", minute);
        long rss = vm(bridge.pid(), "VmRSS");
        System.out.printf("soak %s: RSS %d MiB (peak %d); commit→BigQuery p50 %s, p99 %s, max %s ms (%d rows; commit→published p50 %s, "
                        + "p99 %s, max %s; commit→batch p50 %s, p99 %s; batch→stored p50 %s, p99 %s); GC %d pauses, %.1f ms, max %.1f ms; "
                        + "BigQuery behind by %d of %d changes, Carol holds %d records%n",
                label, rss, vm(bridge.pid(), "VmHWM"), pct(lat, 0.5), pct(lat, 0.99),
                lat.isEmpty() ? "-" : lat.get(lat.size() - 1), lat.size(), pct(published, 0.5), pct(published, 0.99),
                published.isEmpty() ? "-" : published.get(published.size() - 1), pct(toBatch, 0.5), pct(toBatch, 0.99),
                pct(inSink, 0.5), pct(inSink, 0.99), pauses, total, max, changes - bigQueryRows(bq), changes, carolRecords(carol));
        if (minute > 0 && !lat.isEmpty()) {
            MEASURED.add(new double[] {minute, lat.get(Math.min(lat.size() - 1, (int) (lat.size() * 0.99))), rss, max});
        }
        return gc.size();
    }

    /** Commit → published (the change's Kafka timestamp, set by capture's producer) of the changes published since the last minute. */
    private static final List<Long> PUBLISHED = Collections.synchronizedList(new ArrayList<>());
    private static final Pattern TS_MS = Pattern.compile("\"tsMs\":(\\d+)");

    /**
     * Reads the four tables' topics as they grow and notes each change's commit → published time: with commit → batch
     * (from {@code _ingested_at}) it tells capture's share of a minute's latency from the sink consumer's.
     */
    private static Thread publishedProbe(String bootstrap) {
        Thread t = new Thread(() -> {
            Map<String, Object> config = Map.of("bootstrap.servers", bootstrap, "group.id", "soak-probe",
                    "auto.offset.reset", "latest", "enable.auto.commit", "false",
                    "key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName(),
                    "value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class.getName());
            try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(config)) {
                consumer.subscribe(TABLES.stream().map(x -> "soak.public." + x).toList());
                while (!Thread.currentThread().isInterrupted()) {
                    for (var r : consumer.poll(java.time.Duration.ofMillis(100))) {
                        Matcher m = r.value() == null ? null : TS_MS.matcher(new String(r.value(), java.nio.charset.StandardCharsets.UTF_8));
                        if (m != null && m.find()) {
                            PUBLISHED.add(r.timestamp() - Long.parseLong(m.group(1)));
                        }
                    }
                }
            } catch (org.apache.kafka.common.errors.InterruptException e) {
                // the soak ended
            }
        }, "soak-published-probe");
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** The measured minutes: {minute, p99 ms, RSS MiB, longest GC pause ms}. */
    private static final List<double[]> MEASURED = new ArrayList<>();

    /** The measured minutes at a glance: the worst p99 and where, the RSS spread around its mean, the longest pause. */
    private static void summary() {
        if (MEASURED.isEmpty()) {
            return;
        }
        double[] worst = MEASURED.stream().max(java.util.Comparator.comparingDouble(m -> m[1])).orElseThrow();
        double mean = MEASURED.stream().mapToDouble(m -> m[2]).average().orElse(0);
        double lo = MEASURED.stream().mapToDouble(m -> m[2]).min().orElse(0);
        double hi = MEASURED.stream().mapToDouble(m -> m[2]).max().orElse(0);
        double pause = MEASURED.stream().mapToDouble(m -> m[3]).max().orElse(0);
        long over = MEASURED.stream().filter(m -> m[1] > 300).count();
        System.out.printf("soak-summary: %d measured minutes: p99 commit→BigQuery at most %.0f ms (minute %.1f), over 300 ms in %d; "
                        + "RSS %.0f-%.0f MiB, mean %.0f, within %+.1f%%/%+.1f%% of it; longest GC pause %.1f ms%n",
                MEASURED.size(), worst[1], worst[0], over, lo, hi, mean, (lo - mean) * 100 / mean, (hi - mean) * 100 / mean, pause);
    }

    private static String pct(List<Long> sorted, double p) {
        return sorted.isEmpty() ? "-" : String.valueOf(sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * p))));
    }

    private static long bigQueryRows(FakeBigQuery bq) {
        absorb(bq, null, null, null, null);
        return bqRows;
    }

    private static long carolRecords(FakeCarol carol) {
        absorb(null, carol, null, null, null);
        return carolRecords;
    }

    /** Per table: id → {_lsn, quantity} of the row with the highest LSN the BigQuery changelog took, and Carol's last. */
    private static final Map<String, Map<Integer, long[]>> BQ_LATEST = new HashMap<>();
    private static final Map<String, Map<Integer, Integer>> CAROL_LATEST = new HashMap<>();
    private static long bqRows;
    private static long carolRecords;

    /**
     * Folds what the fakes took since the last call into the latest state per row and empties them: half an hour at
     * 2,000 changes/s is millions of rows, more than this JVM should hold. BigQuery: rows arrive from parallel
     * requests, so a row's latest is the one with the highest LSN; Carol: one consumer per topic partition, so a row's
     * records arrive in commit order. {@code lat}, when given, gets each new BigQuery row's commit → arrival latency,
     * {@code toBatch} its commit → {@code _ingested_at} (when the sink's batch took it) and {@code inSink} the rest.
     */
    private static synchronized void absorb(FakeBigQuery bq, FakeCarol carol, List<Long> lat, List<Long> toBatch, List<Long> inSink) {
        for (String t : TABLES) {
            Map<Integer, long[]> latest = BQ_LATEST.computeIfAbsent(t, k -> new HashMap<>());
            FakeBigQuery.Table table = bq == null ? null : bq.table("bench", "bench", "soak_public_" + t);
            if (table != null) {
                // taken out under the table's lock, folded outside it: the fake's appends to the table wait on that lock,
                // and a minute's fold held it for hundreds of milliseconds (the bridge's next batch waited, the soak
                // counted it as commit -> batch latency)
                List<ObjectNode> rows;
                List<Long> arrivals;
                synchronized (table) {
                    rows = new ArrayList<>(table.rows);
                    arrivals = new ArrayList<>(table.rowArrivalMillis);
                    table.rows.clear();
                    table.rowInsertIds.clear();
                    table.rowArrivalMillis.clear();
                }
                for (int i = 0; i < rows.size(); i++) {
                    ObjectNode r = rows.get(i);
                    if (lat != null) {
                        long commit = Instant.parse(r.path("_source_ts").asText()).toEpochMilli();
                        long batch = Instant.parse(r.path("_ingested_at").asText()).toEpochMilli();
                        long arrival = arrivals.get(i);
                        lat.add(arrival - commit);
                        toBatch.add(batch - commit);
                        inSink.add(arrival - batch);
                    }
                    long lsn = r.path("_lsn").asLong();
                    long[] was = latest.get(r.path("id").asInt());
                    if (was == null || lsn >= was[0]) {
                        latest.put(r.path("id").asInt(), new long[] {lsn, r.path("quantity").asInt()});
                    }
                }
                bqRows += rows.size();
            }
            Map<Integer, Integer> last = CAROL_LATEST.computeIfAbsent(t, k -> new HashMap<>());
            if (carol != null) {
                for (ObjectNode r : carol.drain(t)) {
                    last.put(r.path("id").asInt(), r.path("quantity").asInt());
                    carolRecords++;
                }
            }
        }
    }

    private static List<String> words(String variable) {
        String value = System.getenv().getOrDefault(variable, "").trim();
        return value.isEmpty() ? List.of() : List.of(value.split("\\s+"));
    }

    private static long vm(long pid, String key) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(key + ":")) {
                return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
            }
        }
        return -1;
    }
}
