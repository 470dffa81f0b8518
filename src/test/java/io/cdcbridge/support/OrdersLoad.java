package io.cdcbridge.support;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;

/**
 * The load of the multi-instance tests (failover, Lease failover, scale-out): rows of an {@code "Orders" ("Id",
 * text)} table written in small transactions, what BigQuery holds of them, and a sink group's members.
 */
public final class OrdersLoad {

    public static final String DDL = "CREATE TABLE \"Orders\" (\"Id\" int PRIMARY KEY, \"Note\" text)";

    private OrdersLoad() {
    }

    /** Inserts ids {@code [from, to)}, {@code perTransaction} rows per transaction. */
    public static void insert(CaptureFixture f, int from, int to, int perTransaction) {
        for (int i = from; i < to; i += perTransaction) {
            int base = i;
            f.sql(IntStream.range(base, Math.min(base + perTransaction, to))
                    .mapToObj(n -> "INSERT INTO \"Orders\" VALUES (" + n + ", 'pedido " + n + "')").toArray(String[]::new));
        }
    }

    /** The ids of the rows the BigQuery fake holds in the fixture's dataset (project {@code test-project}). */
    public static Set<Integer> ids(FakeBigQuery bq, CaptureFixture f, String table) {
        return bq.rows("test-project", "ds_" + f.prefix, table).stream().map(r -> r.path("Id").asInt())
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Ids {@code [0, to)}, to compare with {@link #ids}. */
    public static Set<Integer> all(int to) {
        return IntStream.range(0, to).boxed().collect(Collectors.toCollection(TreeSet::new));
    }

    /** A consumer group as the shared broker describes it. */
    public static ConsumerGroupDescription group(String id) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestInfra.kafka().bootstrapServers()))) {
            return admin.describeConsumerGroups(List.of(id)).all().get().get(id);
        }
    }
}
