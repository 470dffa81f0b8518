package io.cdcbridge.support;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.support.DefaultExchange;

/**
 * A camel-kafka batch as the delivery routes receive it (batching on, manual commits), without a broker: one exchange
 * whose body is the per-record exchanges, each with the consumer's headers and a manual commit that records itself in
 * {@link #committed}. For tests of the {@code sink:} step in seconds.
 */
public final class KafkaBatches {

    /** {@code topic-partition@offset} of each manual commit run, in order. */
    public final List<String> committed = java.util.Collections.synchronizedList(new ArrayList<>());
    private final CamelContext context;
    private final List<Exchange> records = new ArrayList<>();

    public KafkaBatches(CamelContext context) {
        this.context = context;
    }

    /** Adds a record on partition 0 of {@code topic}, the next offset; {@code types} the cdc.types header or null. */
    public KafkaBatches add(String topic, String key, String value, String types) {
        Exchange r = new DefaultExchange(context);
        long offset = records.size();
        var m = r.getMessage();
        m.setBody(value == null ? null : value.getBytes(StandardCharsets.UTF_8));
        m.setHeader(KafkaConstants.TOPIC, topic);
        m.setHeader(KafkaConstants.PARTITION, 0);
        m.setHeader(KafkaConstants.OFFSET, offset);
        m.setHeader(KafkaConstants.KEY, key == null ? null : key.getBytes(StandardCharsets.UTF_8));
        if (types != null) {
            m.setHeader("cdc.types", types.getBytes(StandardCharsets.UTF_8));
        }
        m.setHeader(KafkaConstants.MANUAL_COMMIT, (KafkaManualCommit) () -> committed.add(topic + "-0@" + offset));
        records.add(r);
        return this;
    }

    /** Sets a header (as camel-kafka hands Kafka headers over: bytes) on the record added last. */
    public KafkaBatches header(String name, String value) {
        records.get(records.size() - 1).getMessage().setHeader(name, value.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** The batch exchange (the records added so far), as the consumer hands it to the route. */
    public Exchange batch(String routeId) {
        Exchange b = new DefaultExchange(context);
        b.getExchangeExtension().setFromRouteId(routeId);
        b.getMessage().setBody(new ArrayList<>(records));
        return b;
    }

    /** A version-1 ChangeEvent of {@code public.<table>}. */
    public static String event(String op, String table, String key, String before, String after, long lsn) {
        return "{\"v\":1,\"op\":\"" + op + "\",\"schema\":\"public\",\"table\":\"" + table + "\",\"key\":" + key
                + ",\"before\":" + before + ",\"after\":" + after + ",\"source\":{\"lsn\":" + lsn
                + ",\"txId\":7,\"tsMs\":1764000000000,\"snapshot\":false}}";
    }
}
