package io.cdcbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;

class KafkaBatchTest {

    private final CamelContext context = new DefaultCamelContext();

    /** A manual commit that says which record it belongs to. */
    private record Commit(String name) implements KafkaManualCommit {
        @Override
        public void commit() {
        }
    }

    private Exchange record(String topic, int partition, long offset, boolean withCommit) {
        Exchange e = new DefaultExchange(context);
        e.getMessage().setHeader(KafkaConstants.TOPIC, topic);
        e.getMessage().setHeader(KafkaConstants.PARTITION, partition);
        e.getMessage().setHeader(KafkaConstants.OFFSET, offset);
        if (withCommit) {
            e.getMessage().setHeader(KafkaConstants.MANUAL_COMMIT, new Commit(topic + "-" + partition + "@" + offset));
        }
        return e;
    }

    @Test
    void eachPartitionCommitsItsLastRecordOfTheBatch() {
        List<Exchange> batch = new ArrayList<>();
        batch.add(record("a", 0, 10, true));
        batch.add(record("a", 1, 5, true));
        batch.add(record("a", 0, 11, true));
        batch.add(record("b", 0, 7, true));
        batch.add(record("a", 0, 12, true));
        batch.add(record("a", 0, 13, true));
        batch.add(record("a", 1, 6, true));
        batch.add(record("b", 0, 8, false)); // no commit handle: its partition falls back to the record before it

        Map<String, KafkaManualCommit> commits = KafkaBatch.commits(batch);

        assertThat(commits).containsOnlyKeys("a-0", "a-1", "b-0");
        assertThat(commits.get("a-0")).isEqualTo(new Commit("a-0@13"));
        assertThat(commits.get("a-1")).isEqualTo(new Commit("a-1@6"));
        assertThat(commits.get("b-0")).isEqualTo(new Commit("b-0@7"));
    }
}
