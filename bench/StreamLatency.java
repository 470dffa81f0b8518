import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Steady load on one table and its commit → topic latency, for bench/backfill.sh (a single-file program on the jar's
 * classpath: {@code java -cp target/cdc-bridge.jar bench/StreamLatency.java BOOTSTRAP TOPIC JDBC_URL RATE SECONDS}).
 * Inserts RATE rows per second into {@code ticks(id)}, one per transaction, for SECONDS (bounded), and reads TOPIC from
 * its start; prints "READY" once its consumer is assigned, then one line per event "id commitMillis arriveMillis"
 * (wall clock, comparable with date +%s%3N), and "END sent received" at the end (after up to 60 s more for stragglers).
 */
public class StreamLatency {
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(\\d+)");

    public static void main(String[] a) throws Exception {
        String bootstrap = a[0], topic = a[1], url = a[2];
        int rate = Integer.parseInt(a[3]);
        long seconds = Long.parseLong(a[4]);
        ConcurrentHashMap<Long, Long> committed = new ConcurrentHashMap<>();
        AtomicBoolean loading = new AtomicBoolean(true);
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "stream-latency-" + System.nanoTime());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, "10");
        p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "500"); // the topic appears with the first event
        long sent = 0, received = 0;
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            consumer.subscribe(java.util.regex.Pattern.compile(Pattern.quote(topic)));
            Thread load = new Thread(() -> {
                try (Connection c = DriverManager.getConnection(url);
                     PreparedStatement ps = c.prepareStatement("INSERT INTO ticks(id) VALUES (?)")) {
                    long periodNs = 1_000_000_000L / rate, start = System.nanoTime(), end = start + seconds * 1_000_000_000L;
                    for (long i = 1; System.nanoTime() < end; i++) {
                        ps.setLong(1, i);
                        ps.executeUpdate(); // autocommit: one transaction per row
                        committed.put(i, System.currentTimeMillis());
                        long next = start + i * periodNs, wait = next - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                    }
                } catch (Exception e) {
                    System.err.println("load: " + e);
                } finally {
                    loading.set(false);
                }
            }, "load");
            System.out.println("READY");
            System.out.flush();
            load.start();
            long drainUntil = Long.MAX_VALUE;
            while (System.currentTimeMillis() < drainUntil) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(20))) {
                    long now = System.currentTimeMillis();
                    Matcher m = ID.matcher(r.key() == null ? "" : r.key());
                    if (m.find()) {
                        long id = Long.parseLong(m.group(1));
                        Long at = committed.get(id);
                        System.out.println(id + " " + (at == null ? -1 : at) + " " + now);
                        received++;
                    }
                }
                if (!loading.get() && drainUntil == Long.MAX_VALUE) {
                    drainUntil = System.currentTimeMillis() + 60_000;
                }
                if (!loading.get() && received >= committed.size()) {
                    break;
                }
            }
            sent = committed.size();
        }
        System.out.println("END " + sent + " " + received);
    }
}
