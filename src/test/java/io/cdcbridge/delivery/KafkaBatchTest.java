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

    /** A consumer that counts its commitSync calls. */
    private static final class CountingConsumer extends org.apache.kafka.clients.consumer.MockConsumer<Object, Object> {
        int commits;

        CountingConsumer() {
            super("earliest");
        }

        @Override
        public synchronized void commitSync(Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets,
                                            java.time.Duration timeout) {
            commits++;
            super.commitSync(offsets, timeout);
        }
    }

    private static KafkaManualCommit syncCommit(org.apache.kafka.clients.consumer.Consumer<?, ?> consumer, String topic, int partition, long offset) {
        return new org.apache.camel.component.kafka.consumer.DefaultKafkaManualSyncCommit(
                new org.apache.camel.component.kafka.consumer.KafkaManualCommitFactory.CamelExchangePayload(null, consumer, "t", null),
                new org.apache.camel.component.kafka.consumer.KafkaManualCommitFactory.KafkaRecordPayload(
                        new org.apache.kafka.common.TopicPartition(topic, partition), offset, 5000),
                null);
    }

    @Test
    void aBatchOfSeveralPartitionsCommitsInOneRoundTrip() {
        CountingConsumer consumer = new CountingConsumer();
        var partitions = List.of(new org.apache.kafka.common.TopicPartition("p.s.a", 0), new org.apache.kafka.common.TopicPartition("p.s.b", 0),
                new org.apache.kafka.common.TopicPartition("p.s.b", 1));
        consumer.assign(partitions);
        KafkaBatch.commitAll(List.of(syncCommit(consumer, "p.s.a", 0, 41), syncCommit(consumer, "p.s.b", 0, 7), syncCommit(consumer, "p.s.b", 1, 0)));
        assertThat(consumer.commits).isEqualTo(1);
        // the offset after each partition's last record, as camel's own commit of that record
        var committed = consumer.committed(java.util.Set.copyOf(partitions));
        assertThat(committed.get(partitions.get(0)).offset()).isEqualTo(42);
        assertThat(committed.get(partitions.get(1)).offset()).isEqualTo(8);
        assertThat(committed.get(partitions.get(2)).offset()).isEqualTo(1);
    }

    @Test
    void otherCommitsRunAsCamelMadeThem() {
        List<String> ran = new ArrayList<>();
        KafkaBatch.commitAll(List.of(() -> ran.add("a"), () -> ran.add("b")));
        assertThat(ran).containsExactly("a", "b");
    }
}
