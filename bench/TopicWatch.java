import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

/**
 * Watches the summed end offset of one topic for the bench scripts (run as a single-file program on the jar's
 * classpath: {@code java -cp target/cdc-bridge.jar bench/TopicWatch.java BOOTSTRAP TOPIC BASE_MIN N TIMEOUT_S}).
 * Prints "READY base millis" once the topic holds at least BASE_MIN records, then "FIRST millis" at the first new
 * record and "DONE millis end" when N new records are there (wall-clock millis, comparable with date +%s%3N).
 * With BASE_MIN 0 a topic that does not exist yet counts as empty (the bridge creates its topics on the first event).
 */
public class TopicWatch {
    public static void main(String[] a) throws Exception {
        String topic = a[1];
        long baseMin = Long.parseLong(a[2]), n = Long.parseLong(a[3]);
        long deadline = System.currentTimeMillis() + Long.parseLong(a[4]) * 1000;
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a[0]);
        try (Admin admin = Admin.create(p)) {
            List<TopicPartition> parts = null;
            long base = -1, end = -1;
            boolean first = false;
            while (System.currentTimeMillis() < deadline) {
                if (parts == null) {
                    if (admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
                        parts = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().stream()
                                .map(i -> new TopicPartition(topic, i.partition())).collect(Collectors.toList());
                    } else {
                        if (baseMin == 0 && base < 0) {
                            base = 0;
                            System.out.println("READY 0 " + System.currentTimeMillis());
                            System.out.flush();
                        }
                        Thread.sleep(20);
                        continue;
                    }
                }
                Map<TopicPartition, OffsetSpec> q = parts.stream().collect(Collectors.toMap(t -> t, t -> OffsetSpec.latest()));
                end = admin.listOffsets(q).all().get().values().stream().mapToLong(i -> i.offset()).sum();
                long now = System.currentTimeMillis();
                if (base < 0) {
                    if (end >= baseMin) {
                        base = end;
                        System.out.println("READY " + base + " " + now);
                    }
                } else {
                    if (!first && end > base) {
                        first = true;
                        System.out.println("FIRST " + now);
                    }
                    if (end >= base + n) {
                        System.out.println("DONE " + now + " " + end);
                        return;
                    }
                }
                System.out.flush();
                Thread.sleep(10);
            }
            System.out.println("TIMEOUT " + end);
            System.exit(2);
        }
    }
}
