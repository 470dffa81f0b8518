package io.cdcbridge.bench;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.demo.Bookstore;
import io.cdcbridge.demo.EmbeddedKafkaBroker;
import io.cdcbridge.demo.EmbeddedPostgresServer;
import io.cdcbridge.support.BigQueryLatestView;
import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Fault injection (issue 5): the jar captures the bookstore from a real Postgres into a real Kafka broker and delivers
 * to the BigQuery and Carol fakes while a load of row changes (inserts, updates, deletes on {@code "Users"} and
 * {@code "Books"}, inserts on {@code "Sales"}) runs; faults are injected during the load; then, per table, the latest
 * state in each sink must equal Postgres' (BigQuery's as its {@code _latest} view shows it, {@link BigQueryLatestView}),
 * and stay equal through a quiet period after they first match (a late stale overwrite would show there). Prints
 * {@code lost=0 stale=0 duplicates=<n> dlq=<n> dlq_repeats=<n>}: duplicates are the changelog rows the BigQuery fake
 * stored twice because a repeat came after its deduplication window (as BigQuery's best-effort deduplication may),
 * counted, not hidden; the latest view collapses them. {@code dlq} counts distinct dead letters (by origin topic,
 * partition and offset) and must equal what the faults cause; {@code dlq_repeats} are letters written again, at least
 * once, after a kill or a rebalance.
 *
 * <p>Faults: {@code kill9} (kill -9 of the bridge, then a restart), {@code pg-restart}, {@code kafka-restart},
 * {@code bigquery-503}, {@code carol-503} (the fake answers 503 for {@code outage}), {@code token-revoked} (Carol
 * revokes every token), {@code poison} (a record that is not a ChangeEvent: once per sink in the DLQs),
 * {@code oversize} (a 1.5 MB row, above Kafka's 1 MB default, that must arrive whole in both sinks, and a 9 MB row,
 * above {@code cdc.kafka.max-record-bytes}, that must become one reference in the capture DLQ, capture going on),
 * {@code replay} (the {@code replay} of Carol's dead letters while the load runs: a replayed poison record is
 * dead-lettered again, once), {@code scale-out} / {@code scale-in} (a second, delivery-only instance joins the sinks'
 * consumer groups, then is killed: two rebalances under load, over three partitions per topic). Nothing else may
 * reach a DLQ.
 * Used by bench/chaos.sh (its own servers, 50,000 changes, one fault per run) and by ChaosIT (the shared test servers,
 * fewer changes, all faults in one run).
 */
public final class ChaosRun {

    public record Result(List<String> faults, int changes, long lost, long stale, long duplicates, long dlq, long dlqRepeats,
                         long poison, long seconds) {
        /** Exactly the dead letters the faults cause; their repeats (at least once, like the changelog's) are reported. */
        public boolean ok() {
            return lost == 0 && stale == 0 && dlq == poison;
        }

        @Override
        public String toString() {
            return "faults=" + String.join("+", faults) + " changes=" + changes + " lost=" + lost + " stale=" + stale
                    + " duplicates=" + duplicates + " (stored by the fake past its dedup window; the latest view collapses them)"
                    + " dlq=" + dlq + (dlq == poison ? (poison > 0 ? " (the poison record, once per sink)" : "") : " (UNEXPECTED, expected " + poison + ")")
                    + " dlq_repeats=" + dlqRepeats + " (a letter written again after a kill or rebalance)"
                    + " converged_in=" + seconds + "s";
        }
    }

    /** How long the sinks must stay equal to Postgres after they first match. */
    static final Duration QUIET = Duration.ofSeconds(10);

    private final EmbeddedPostgresServer pg;
    private final EmbeddedKafkaBroker kafka;
    private final Path work;
    private final Duration outage;
    private static final AtomicInteger SEQ = new AtomicInteger();

    public ChaosRun(EmbeddedPostgresServer pg, EmbeddedKafkaBroker kafka, Path work, Duration outage) {
        this.pg = pg;
        this.kafka = kafka;
        this.work = work;
        this.outage = outage;
    }

    public Result run(List<String> faults, int changes) throws Exception {
        String name = "chaos" + SEQ.incrementAndGet() + "_" + (System.nanoTime() % 10000);
        pg.createDatabase(name);
        try (Connection c = pg.connect(name); Statement st = c.createStatement()) {
            Bookstore.install(c, true);
            st.execute("CREATE TABLE \"Blobs\" (\"BlobId\" int PRIMARY KEY, \"Data\" bytea)"); // the oversize fault's
        }
        Path dir = Files.createDirectories(work.resolve(name));
        try (FakeBigQuery bq = FakeBigQuery.start(); FakeCarol carol = FakeCarol.start(Clock.systemUTC())) {
            carol.expiresIn(Duration.ofSeconds(30));
            Map<String, String> s = new HashMap<>(carol.settings());
            s.put("cdc.source.host", pg.host());
            s.put("cdc.source.port", String.valueOf(pg.port()));
            s.put("cdc.source.database", name);
            s.put("cdc.source.password", "postgres");
            s.put("cdc.source.slot", name);
            s.put("cdc.source.publication", name);
            s.put("cdc.kafka.brokers", kafka.bootstrapServers());
            s.put("cdc.kafka.topic-prefix", name);
            s.put("cdc.bigquery.project", "chaos");
            s.put("cdc.bigquery.dataset", name);
            s.putAll(bq.bridgeSettings());
            s.put("cdc.bigquery.group-id", "bq-" + name);
            s.put("cdc.carol.group-id", "carol-" + name);
            // Sales has no primary key: its staging's crosswalk must be named, else its records are dead-lettered
            s.put("cdc.carol.crosswalk.public.Sales", "SaleId");
            s.put("cdc.routes.reload", "false");
            s.put("cdc.http.port", "0");
            s.put("cdc.offsets.flush-interval-ms", "500");
            s.put("cdc.delivery.max-retry-delay-ms", "5000");
            s.put("cdc.kafka.partitions", "3"); // so a second instance gets partitions of its own (scale-out)
            long t0 = System.nanoTime();
            BridgeProcess[] bridge = {BridgeProcess.start(dir, s).awaitStreaming()};
            blobs = false;
            try {
                AtomicInteger done = new AtomicInteger();
                CompletableFuture<Void> load = CompletableFuture.runAsync(() -> load(name, changes, done));
                int poison = 0;
                for (int i = 0; i < faults.size(); i++) {
                    int at = changes * (i + 1) / (faults.size() + 1);
                    while (done.get() < at && !load.isDone()) {
                        Thread.sleep(20);
                    }
                    poison += inject(faults.get(i), bridge, dir, s, bq, carol, name);
                }
                load.get(30, TimeUnit.MINUTES);
                long[] dlq = {-1, 0};
                long lost = Long.MAX_VALUE;
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                while (System.nanoTime() < deadline) {
                    lost = compare(name, bq, carol);
                    dlq = deadLetterCounts(name);
                    if (lost == 0 && dlq[0] >= poison) {
                        break;
                    }
                    Thread.sleep(1000);
                }
                if (lost != 0) {
                    report = true;
                    compare(name, bq, carol); // once more, printing what differs
                    report = false;
                }
                long converged = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
                // keep watching: a retry or redelivery landing after the sinks first matched must not make a key stale
                long stale = 0;
                if (lost == 0) {
                    long quietUntil = System.nanoTime() + QUIET.toNanos();
                    while (System.nanoTime() < quietUntil) {
                        Thread.sleep(1000);
                        stale = Math.max(stale, compare(name, bq, carol));
                    }
                    dlq = deadLetterCounts(name);
                }
                return new Result(faults, changes, lost, stale, duplicates(bq, name), dlq[0], dlq[1], poison, converged);
            } finally {
                bridge[0].close();
                if (second != null) {
                    second.close();
                    second = null;
                }
            }
        }
    }

    /** Returns how many dead letters the fault legitimately causes. */
    private int inject(String fault, BridgeProcess[] bridge, Path dir, Map<String, String> s, FakeBigQuery bq, FakeCarol carol,
                       String name) throws Exception {
        System.out.println("injecting " + fault);
        faultsSeen.add(fault);
        switch (fault) {
            case "kill9" -> {
                bridge[0].kill();
                bridge[0] = BridgeProcess.start(dir, s).awaitStreaming();
            }
            case "pg-restart" -> pg.restart();
            case "kafka-restart" -> {
                kafka.stop();
                kafka.start();
            }
            case "bigquery-503" -> bq.failWritesFor(503, outage);
            case "carol-503" -> carol.failFor(503, outage, 1);
            case "token-revoked" -> carol.revokeTokens();
            case "poison" -> {
                try (var p = new KafkaProducer<byte[], byte[]>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                        "key.serializer", ByteArraySerializer.class.getName(), "value.serializer", ByteArraySerializer.class.getName()))) {
                    p.send(new ProducerRecord<>(name + ".public.Users", null, "{\"v\":1,\"op\":\"c\" ← not JSON".getBytes())).get();
                }
                return 2; // once per sink
            }
            case "oversize" -> {
                try (Connection c = pg.connect(name); var ps = c.prepareStatement("INSERT INTO \"Blobs\" VALUES (?, ?)")) {
                    ps.setInt(1, 1);
                    ps.setBytes(2, blob(1_500_000, 1));
                    ps.executeUpdate();
                    ps.setInt(1, 2);
                    ps.setBytes(2, blob(9_000_000, 2));
                    ps.executeUpdate();
                }
                blobs = true;
                return 1; // the 9 MB row: one reference in <prefix>.dlq.capture
            }
            case "replay" -> {
                // a replay with something to replay: Carol's dead letter of the poison record (when poison ran before)
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (faultsSeen.contains("poison") && deadLetters(name, "carol") == 0 && System.nanoTime() < until) {
                    Thread.sleep(100);
                }
                var result = new io.cdcbridge.errors.DeadLetterReplay(kafka.bootstrapServers(), name).replay("carol", null, false);
                System.out.println("replayed during the load: " + result);
                return result.replayed(); // each replayed poison record is dead-lettered again
            }
            case "scale-out" -> {
                Map<String, String> delivery = new HashMap<>(s);
                delivery.put("cdc.capture.enabled", "false");
                second = BridgeProcess.start(dir.resolve("second"), delivery).awaitOutput("Started carol-delivery", Duration.ofSeconds(90));
            }
            case "scale-in" -> {
                if (second != null) {
                    second.kill();
                    second = null;
                }
            }
            default -> throw new IllegalArgumentException("unknown fault " + fault);
        }
        return 0;
    }

    /** Row changes in transactions of 10; a transaction cut by a fault is retried (statements are idempotent). */
    private void load(String db, int changes, AtomicInteger done) {
        Random random = new Random(42);
        int nextUser = 1000;
        int statements = 0;
        Connection c = null;
        while (statements < changes) {
            List<String> tx = new ArrayList<>();
            for (int i = 0; i < 10 && statements + tx.size() < changes; i++) {
                int dice = random.nextInt(10);
                if (dice < 4) {
                    int id = nextUser++;
                    tx.add("INSERT INTO \"Users\" (\"UserId\", \"UserName\", \"Department\") VALUES (" + id + ", 'Usuário " + id
                            + "', 'Vendas') ON CONFLICT DO NOTHING");
                } else if (dice < 6) {
                    tx.add("UPDATE \"Users\" SET \"Department\" = 'Depto " + random.nextInt(100) + "' WHERE \"UserId\" = "
                            + (1000 + random.nextInt(Math.max(1, nextUser - 1000))));
                } else if (dice < 7) {
                    tx.add("DELETE FROM \"Users\" WHERE \"UserId\" = " + (1000 + random.nextInt(Math.max(1, nextUser - 1000))));
                } else if (dice < 8) {
                    tx.add("UPDATE \"Books\" SET \"Price\" = " + (10 + random.nextInt(90)) + "." + random.nextInt(100) / 10 + random.nextInt(10)
                            + " WHERE \"BookId\" = " + (1 + random.nextInt(7)));
                } else {
                    tx.add("INSERT INTO \"Sales\" (\"BookId\", \"BookTypeId\", \"UserId\", \"Value\") VALUES (" + (1 + random.nextInt(7)) + ", 1, 1, "
                            + random.nextInt(1000) + ")");
                }
            }
            while (true) {
                try {
                    if (c == null || c.isClosed()) {
                        c = pg.connect(db);
                        c.setAutoCommit(false);
                    }
                    try (Statement st = c.createStatement()) {
                        for (String sql : tx) {
                            st.execute(sql);
                        }
                    }
                    c.commit();
                    break;
                } catch (SQLException e) {
                    // the server restarted under us: reconnect and run the transaction again
                    try {
                        if (c != null) {
                            c.close();
                        }
                    } catch (SQLException ignored) {
                        // gone anyway
                    }
                    c = null;
                    sleep(200);
                }
            }
            statements += tx.size();
            done.set(statements);
        }
        try {
            if (c != null) {
                c.close();
            }
        } catch (SQLException ignored) {
            // done
        }
    }

    /** Keys whose latest state differs between Postgres and either sink (missing, stale, or deleted but present). */
    private long compare(String db, FakeBigQuery bq, FakeCarol carol) throws SQLException {
        long lost = 0;
        for (String[] t : new String[][] {{"Users", "UserId", "UserName,Department"}, {"Books", "BookId", "Title,Price"}}) {
            Map<String, Map<String, String>> truth = postgres(db, t[0], t[1], t[2].split(","));
            lost += diff("bigquery " + t[0], truth, bigQueryLatestView(bq, db, t[0], t[1], t[2].split(",")));
            lost += diff("carol " + t[0], truth, carolLatest(carol.records(t[0].toLowerCase()), t[1], t[2].split(",")));
        }
        Map<String, Map<String, String>> sales = postgres(db, "Sales", "SaleId", new String[] {"Value"});
        long bqSales = Math.abs(sales.size() - bq.rows("chaos", db, db + "_public_Sales").stream().map(r -> r.path("SaleId").asText()).distinct().count());
        long carolSales = Math.abs(sales.size() - carol.records("sales").stream().map(r -> r.path("SaleId").asText()).distinct().count());
        if (report && bqSales + carolSales > 0) {
            System.out.println("differs: Sales count, bigquery off by " + bqSales + ", carol off by " + carolSales);
        }
        lost += bqSales + carolSales;
        if (blobs) {
            // the 1.5 MB row whole in both sinks (base64, 2,000,000 characters), the 9 MB one in neither
            int whole = 2_000_000;
            long inBq = bq.rows("chaos", db, db + "_public_Blobs").stream()
                    .filter(r -> r.path("BlobId").asInt() == 1 && r.path("Data").asText().length() == whole).count();
            long inCarol = carol.records("blobs").stream()
                    .filter(r -> r.path("BlobId").asInt() == 1 && r.path("Data").asText().length() == whole).count();
            long big = bq.rows("chaos", db, db + "_public_Blobs").stream().filter(r -> r.path("BlobId").asInt() == 2).count()
                    + carol.records("blobs").stream().filter(r -> r.path("BlobId").asInt() == 2).count();
            if (report && (inBq == 0 || inCarol == 0 || big > 0)) {
                System.out.println("differs: Blobs, 1.5 MB row in bigquery " + inBq + ", in carol " + inCarol + "; 9 MB row delivered " + big);
            }
            lost += (inBq == 0 ? 1 : 0) + (inCarol == 0 ? 1 : 0) + big;
        }
        return lost;
    }

    /** The faults injected so far in this run. */
    private final java.util.Set<String> faultsSeen = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** The second, delivery-only instance of {@code scale-out}, until {@code scale-in}. */
    private BridgeProcess second;
    /** Whether {@code oversize} ran: then its 1.5 MB row must be in both sinks. */
    private volatile boolean blobs;

    private static byte[] blob(int size, int seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b); // random: no compression makes it small on the way
        return b;
    }

    /** Set for the last comparison of a run that did not converge: what differs is printed. */
    private volatile boolean report;

    private long diff(String what, Map<String, Map<String, String>> truth, Map<String, Map<String, String>> sink) {
        long n = 0;
        for (var e : truth.entrySet()) {
            if (!Objects.equals(e.getValue(), sink.get(e.getKey()))) {
                if (report && n < 10) {
                    System.out.println("differs: " + what + " key " + e.getKey() + ": postgres " + e.getValue() + ", sink " + sink.get(e.getKey()));
                }
                n++;
            }
        }
        for (String k : sink.keySet()) {
            if (!truth.containsKey(k)) {
                if (report && n < 10) {
                    System.out.println("differs: " + what + " key " + k + ": not in postgres, sink " + sink.get(k));
                }
                n++;
            }
        }
        return n;
    }

    private Map<String, Map<String, String>> postgres(String db, String table, String key, String[] cols) throws SQLException {
        Map<String, Map<String, String>> out = new TreeMap<>();
        try (Connection c = pg.connect(db); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT * FROM \"" + table + "\"")) {
            while (rs.next()) {
                Map<String, String> row = new TreeMap<>();
                for (String col : cols) {
                    row.put(col, norm(rs.getString(col)));
                }
                out.put(rs.getString(key), row);
            }
        }
        return out;
    }

    /** A table's latest state as its {@code _latest} view shows it: the view's own SQL over the rows the fake stored. */
    private Map<String, Map<String, String>> bigQueryLatestView(FakeBigQuery bq, String db, String table, String key, String[] cols)
            throws SQLException {
        String id = db + "_public_" + table;
        if (bq.table("chaos", db, id + "_latest") == null) {
            return new TreeMap<>();
        }
        List<Map<String, Object>> rows;
        try (Connection c = pg.connect(db)) {
            rows = BigQueryLatestView.evaluate(bq, "chaos", db, id, c);
        } catch (SQLException e) {
            throw e;
        } catch (Exception e) {
            throw new SQLException(e);
        }
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (Map<String, Object> r : rows) {
            Map<String, String> row = new TreeMap<>();
            for (String col : cols) {
                Object v = r.get(col);
                row.put(col, v == null ? null : norm(v.toString()));
            }
            out.put(String.valueOf(r.get(key)), row);
        }
        return out;
    }

    /** Records applied in arrival order: mdmDeleted removes the key, anything else replaces it. */
    static Map<String, Map<String, String>> carolLatest(List<ObjectNode> records, String key, String[] cols) {
        Map<String, Map<String, String>> out = new TreeMap<>();
        for (ObjectNode r : records) {
            if (r.path("mdmDeleted").asBoolean(false)) {
                out.remove(r.path(key).asText());
            } else {
                out.put(r.path(key).asText(), values(r, cols));
            }
        }
        return out;
    }

    private static Map<String, String> values(JsonNode r, String[] cols) {
        Map<String, String> row = new TreeMap<>();
        for (String col : cols) {
            JsonNode v = r.path(col);
            row.put(col, v.isMissingNode() || v.isNull() ? null : norm(v.asText()));
        }
        return row;
    }

    private static String norm(String v) {
        if (v == null) {
            return null;
        }
        try {
            return new BigDecimal(v).stripTrailingZeros().toPlainString();
        } catch (NumberFormatException e) {
            return v;
        }
    }

    /**
     * BigQuery rows stored twice under one insertId: the fake, like BigQuery, deduplicates only within a window, so a
     * redelivery after it (a restart, a long outage) stores a duplicate. Counted for the report; correctness is the
     * latest view's (compare), not an absence of duplicates.
     */
    private static long duplicates(FakeBigQuery bq, String db) {
        long n = 0;
        for (String t : List.of("Users", "Books", "Sales")) {
            n += bq.duplicates("chaos", db, db + "_public_" + t);
        }
        return n;
    }

    /**
     * The distinct dead letters of the three dead-letter topics, and how many records beyond those are repeats of one:
     * dead letters are written at least once, so a kill or a rebalance right after a letter was written may write the
     * same letter again. A letter is named by its topic and origin (topic, partition, offset); the capture's own
     * letters (no Kafka origin) by their key and value.
     */
    private long[] deadLetterCounts(String prefix) throws Exception {
        java.util.Set<String> distinct = new java.util.HashSet<>();
        long records = 0;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            java.util.Set<String> topics = admin.listTopics().names().get();
            for (String sink : List.of("bigquery", "carol", "capture")) {
                String topic = prefix + ".dlq." + sink;
                if (!topics.contains(topic)) {
                    continue; // nothing dead-lettered there (reading would not create it, but listing first is cheaper)
                }
                for (KafkaTestConsumer.Rec r : KafkaTestConsumer.readAll(kafka.bootstrapServers(), topic)) {
                    records++;
                    String origin = r.headers().get(io.cdcbridge.errors.DeadLetters.ORIGIN_OFFSET);
                    distinct.add(topic + "|" + (origin != null && !origin.equals("-1")
                            ? r.headers().get(io.cdcbridge.errors.DeadLetters.ORIGIN_TOPIC) + "|"
                                    + r.headers().get(io.cdcbridge.errors.DeadLetters.ORIGIN_PARTITION) + "|" + origin
                            : r.key() + "|" + r.value()));
                }
            }
        }
        return new long[] {distinct.size(), records - distinct.size()};
    }

    /** The records of one dead-letter topic, every partition; 0 while it does not exist. */
    private long deadLetters(String prefix, String sink) throws Exception {
        long n = 0;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            String topic = prefix + ".dlq." + sink;
            if (admin.listTopics().names().get().contains(topic)) {
                // every partition: a dead-letter topic made with several partitions holds letters beyond partition 0
                Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
                admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions()
                        .forEach(p -> ends.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
                for (var e : admin.listOffsets(ends).all().get().values()) {
                    n += e.offset();
                }
            }
        }
        return n;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@code ChaosRun WORK_DIR CHANGES OUTAGE_S FAULT...}: own Postgres and broker; one run per fault. */
    public static void main(String[] a) throws Exception {
        Path work = Path.of(a[0]);
        int changes = Integer.parseInt(a[1]);
        Duration outage = Duration.ofSeconds(Long.parseLong(a[2]));
        boolean ok = true;
        try (EmbeddedPostgresServer pg = new EmbeddedPostgresServer(work.resolve("postgres"), 0).start();
             EmbeddedKafkaBroker kafka = new EmbeddedKafkaBroker(work.resolve("kafka"), 0).start()) {
            ChaosRun chaos = new ChaosRun(pg, kafka, work, outage);
            for (int i = 3; i < a.length; i++) {
                Result r = chaos.run(List.of(a[i]), changes);
                System.out.println(r);
                ok &= r.ok();
            }
        }
        System.exit(ok ? 0 : 1);
    }
}
