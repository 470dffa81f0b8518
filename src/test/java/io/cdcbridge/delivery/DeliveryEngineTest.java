package io.cdcbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

import io.cdcbridge.errors.BatchNotDeliveredException;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.errors.PermanentDeliveryException;
import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The delivery engine against a stub client: which records are committed, sent again, split or dead-lettered for each
 * kind of answer (docs/architecture.md §6). Records are "t<n>" values on topic p.s.t; the stub's items are their text.
 */
class DeliveryEngineTest {

    private final DefaultCamelContext camel = new DefaultCamelContext();
    private final MockProducer<byte[], byte[]> dlq = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final List<String> committed = new CopyOnWriteArrayList<>();
    /** Requests the stub was sent, as "target:item,item". */
    private final List<String> sent = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    private static final SinkMapper<String> MAPPER = r -> {
        String v = new String((byte[]) r.value(), StandardCharsets.UTF_8);
        if (v.startsWith("poison")) {
            throw new PermanentDeliveryException("not a ChangeEvent");
        }
        if (v.startsWith("skip")) {
            return List.of();
        }
        return List.of(new SinkMapper.Item<>(v.substring(0, 1), v, v.length()));
    };

    private DeliveryEngine<String> engine(BiFunction<String, List<String>, Outcome> answer, int maxItems, int concurrency) {
        SinkClient<String> client = (target, items) -> {
            sent.add(target + ":" + String.join(",", items));
            return answer.apply(target, items);
        };
        DeadLetters letters = new DeadLetters(dlq, "p");
        return new DeliveryEngine<>("stub", MAPPER, client, new DeliveryOptions(maxItems, 1000, concurrency, 2, 1, 5, 60_000), () -> letters);
    }

    /** A camel-kafka batch: one exchange per value, offsets 0.., one partition, each with its manual commit. */
    private Exchange batch(String... values) {
        List<Exchange> records = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            Exchange r = new DefaultExchange(camel);
            long offset = i;
            r.getMessage().setBody(values[i].getBytes(StandardCharsets.UTF_8));
            r.getMessage().setHeader(KafkaConstants.TOPIC, "p.s.t");
            r.getMessage().setHeader(KafkaConstants.PARTITION, 0);
            r.getMessage().setHeader(KafkaConstants.OFFSET, offset);
            r.getMessage().setHeader(KafkaConstants.MANUAL_COMMIT, (org.apache.camel.component.kafka.consumer.KafkaManualCommit) () -> committed.add("p.s.t-0@" + offset));
            records.add(r);
        }
        Exchange b = new DefaultExchange(camel);
        b.getMessage().setBody(records);
        return b;
    }

    private static final Selection ALL = new Selection("p", "", "", null);

    private List<String> deadLettered() {
        List<String> out = new ArrayList<>();
        for (ProducerRecord<byte[], byte[]> r : dlq.history()) {
            out.add(new String(r.value(), StandardCharsets.UTF_8));
        }
        Collections.sort(out);
        return out;
    }

    @Test
    void requestsHoldOneTargetAtMostMaxItemsAndTheBatchCommitsOnceDelivered() {
        DeliveryEngine<String> e = engine((t, items) -> Outcome.DELIVERED, 2, 1);
        e.deliver(batch("a1", "b1", "a2", "a3", "skip", "b2"), ALL);
        assertThat(sent).containsExactly("a:a1,a2", "a:a3", "b:b1,b2");
        assertThat(committed).containsExactly("p.s.t-0@5");
        assertThat(e.deliveredCounts()).containsEntry("s.t", 5L);
        assertThat(deadLettered()).isEmpty();
    }

    @Test
    void requestsAreCutAtMaxBytesAndAnOversizeItemGoesAlone() {
        SinkMapper<String> sized = r -> {
            String v = new String((byte[]) r.value(), StandardCharsets.UTF_8);
            return List.of(new SinkMapper.Item<>("a", v, v.equals("big") ? 5000 : 400));
        };
        SinkClient<String> client = (target, items) -> {
            sent.add(String.join(",", items));
            return Outcome.DELIVERED;
        };
        DeliveryEngine<String> e = new DeliveryEngine<>("stub", sized, client, new DeliveryOptions(500, 1000, 1, 2, 1, 5, 60_000), () -> null);
        e.deliver(batch("x1", "x2", "x3", "big", "x4"), ALL);
        assertThat(sent).containsExactly("x1,x2", "x3", "big", "x4");
    }

    @Test
    void poisonIsDeadLetteredAtOnceAndTheRestDelivered() {
        DeliveryEngine<String> e = engine((t, items) -> Outcome.DELIVERED, 10, 1);
        e.deliver(batch("a1", "poison", "a2"), ALL);
        assertThat(deadLettered()).containsExactly("poison");
        assertThat(sent).containsExactly("a:a1,a2");
        assertThat(committed).containsExactly("p.s.t-0@2");
        assertThat(e.deadLetteredCounts()).containsEntry("s.t", 1L);
    }

    @Test
    void refusedItemsAreDeadLetteredWithTheirReasonAndTheOthersSentAgain() {
        DeliveryEngine<String> e = engine((t, items) -> items.contains("a2")
                ? new Outcome.ItemsRefused(Map.of(items.indexOf("a2"), "a2 is bad")) : Outcome.DELIVERED, 10, 1);
        e.deliver(batch("a1", "a2", "a3"), ALL);
        assertThat(sent).containsExactly("a:a1,a2,a3", "a:a1,a3");
        assertThat(deadLettered()).containsExactly("a2");
        assertThat(new String(dlq.history().get(0).headers().lastHeader(DeadLetters.ERROR_MESSAGE).value(), StandardCharsets.UTF_8))
                .isEqualTo("a2 is bad");
        assertThat(committed).hasSize(1);
    }

    @Test
    void aSplittableRefusalIsHalvedUntilTheBadItemIsAlone() {
        DeliveryEngine<String> e = engine((t, items) -> items.contains("a3")
                ? new Outcome.RequestRefused("HTTP 400", true, null) : Outcome.DELIVERED, 10, 1);
        e.deliver(batch("a1", "a2", "a3", "a4"), ALL);
        assertThat(sent).containsExactly("a:a1,a2,a3,a4", "a:a1,a2", "a:a3,a4", "a:a3", "a:a4");
        assertThat(deadLettered()).containsExactly("a3");
        assertThat(e.deliveredCounts()).containsEntry("s.t", 3L);
        assertThat(committed).hasSize(1);
    }

    @Test
    void aRetryableFailureIsRetriedThenDeadLetteredWithItsAttemptsAndTheBatchCommits() {
        AtomicInteger calls = new AtomicInteger();
        DeliveryEngine<String> e = engine((t, items) -> {
            calls.incrementAndGet();
            return new Outcome.Retry("HTTP 503", 0, new IllegalStateException("HTTP 503"));
        }, 10, 1);
        e.deliver(batch("a1", "a2"), ALL);
        assertThat(calls).hasValue(3); // one attempt and max-retries (2) retries
        assertThat(deadLettered()).containsExactly("a1", "a2");
        var headers = dlq.history().get(0).headers();
        assertThat(new String(headers.lastHeader(DeadLetters.ERROR_ATTEMPTS).value(), StandardCharsets.UTF_8)).isEqualTo("3");
        assertThat(new String(headers.lastHeader(DeadLetters.ERROR_CLASS).value(), StandardCharsets.UTF_8)).isEqualTo("java.lang.IllegalStateException");
        assertThat(committed).hasSize(1);
    }

    @Test
    void aFailureThatPassesIsDeliveredWithoutDeadLetters() {
        AtomicInteger calls = new AtomicInteger();
        DeliveryEngine<String> e = engine((t, items) -> calls.incrementAndGet() < 3 ? Outcome.retry("503", null) : Outcome.DELIVERED, 10, 1);
        e.deliver(batch("a1"), ALL);
        assertThat(deadLettered()).isEmpty();
        assertThat(committed).hasSize(1);
    }

    @Test
    void aClientExceptionCountsAsRetryable() {
        AtomicInteger calls = new AtomicInteger();
        DeliveryEngine<String> e = engine((t, items) -> {
            if (calls.incrementAndGet() == 1) {
                throw new IllegalStateException("connection reset");
            }
            return Outcome.DELIVERED;
        }, 10, 1);
        e.deliver(batch("a1"), ALL);
        assertThat(calls).hasValue(2);
        assertThat(committed).hasSize(1);
    }

    @Test
    void whenTheDeadLetterWriteFailsNothingIsCommitted() {
        dlq.sendException = new org.apache.kafka.common.errors.TimeoutException("broker down");
        DeliveryEngine<String> e = engine((t, items) -> Outcome.refused("refused"), 10, 4);
        assertThatThrownBy(() -> e.deliver(batch("a1", "b1", "poison"), ALL)).isInstanceOf(BatchNotDeliveredException.class);
        assertThat(committed).isEmpty();
    }

    @Test
    void concurrentRequestsAllFinishBeforeTheCommitAndOneUndeliverableFailsTheBatch() {
        DeliveryEngine<String> ok = engine((t, items) -> Outcome.DELIVERED, 1, 4);
        ok.deliver(batch("a1", "a2", "b1", "b2", "c1"), ALL);
        assertThat(sent).hasSize(5);
        assertThat(committed).containsExactly("p.s.t-0@4");

        committed.clear();
        dlq.sendException = new org.apache.kafka.common.errors.TimeoutException("broker down");
        DeliveryEngine<String> one = engine((t, items) -> t.equals("b") ? Outcome.refused("no") : Outcome.DELIVERED, 1, 4);
        assertThatThrownBy(() -> one.deliver(batch("a1", "a2", "b1", "c1"), ALL)).isInstanceOf(BatchNotDeliveredException.class);
        assertThat(committed).isEmpty();
    }

    @Test
    void stopCommitsNothingAndDeadLettersNothing() {
        DeliveryEngine<String> e = engine((t, items) -> new Outcome.Stop("credentials refused; fix cdc.x.password"), 10, 1);
        Exchange b = batch("a1", "a2");
        b.getExchangeExtension().setFromRouteId("stub-delivery");
        e.deliver(b, ALL);
        assertThat(committed).isEmpty();
        assertThat(deadLettered()).isEmpty();
    }

    @Test
    void aRetryAfterIsHonouredUpToTheMaxRetryDelay() {
        DeliveryOptions o = new DeliveryOptions(10, 1000, 1, 5, 100, 1000, 60_000);
        assertThat(o.delayBeforeRetry(1, 0)).isEqualTo(100);
        assertThat(o.delayBeforeRetry(3, 0)).isEqualTo(400);
        assertThat(o.delayBeforeRetry(10, 0)).isEqualTo(1000);
        assertThat(o.delayBeforeRetry(1, 700)).isEqualTo(700);
        assertThat(o.delayBeforeRetry(1, 300_000)).isEqualTo(1000);
    }

    @Test
    void theRetryBudgetEndsRetriesBeforeTheConsumerWouldLeaveItsGroup() {
        AtomicInteger calls = new AtomicInteger();
        SinkClient<String> client = (target, items) -> {
            calls.incrementAndGet();
            return new Outcome.Retry("429", 60_000, null);
        };
        DeadLetters letters = new DeadLetters(dlq, "p");
        // 100 retries allowed, but each wait is 50 ms and the budget 120 ms
        DeliveryEngine<String> e = new DeliveryEngine<>("stub", MAPPER, client, new DeliveryOptions(10, 1000, 1, 100, 50, 50, 120), () -> letters);
        e.deliver(batch("a1"), ALL);
        assertThat(calls.get()).isBetween(2, 4);
        assertThat(deadLettered()).containsExactly("a1");
        assertThat(committed).hasSize(1);
    }

    @Test
    void theRouteSelectionChoosesTablesAndRecords() {
        DeliveryEngine<String> e = engine((t, items) -> Outcome.DELIVERED, 10, 1);
        e.deliver(batch("a1"), new Selection("p", "s.other", "", null));
        assertThat(sent).isEmpty();
        assertThat(committed).hasSize(1); // not this sink's: committed without being sent
        e.deliver(batch("a1"), new Selection("p", "", "s.t", null));
        assertThat(sent).isEmpty();
        var filter = camel.resolveLanguage("simple").createPredicate("${header.CdcTable} == 's.t' && ${bodyAs(String)} != 'a2'");
        e.deliver(batch("a1", "a2", "a3"), new Selection("p", "s.t", "", filter));
        assertThat(sent).containsExactly("a:a1,a3");
    }
    /** An engine whose client prepares each target as {@code prepare} says and accepts every request. */
    private DeliveryEngine<String> preparing(java.util.function.Function<String, Outcome> prepare, int concurrency) {
        return preparing(prepare, new DeliveryOptions(10, 1000, concurrency, 2, 1, 5, 60_000));
    }

    private DeliveryEngine<String> preparing(java.util.function.Function<String, Outcome> prepare, DeliveryOptions options) {
        SinkClient<String> client = new SinkClient<>() {
            @Override
            public Outcome prepare(String target, List<String> items) {
                return prepare.apply(target);
            }

            @Override
            public Outcome send(String target, List<String> items) {
                sent.add(target + ":" + String.join(",", items));
                return Outcome.DELIVERED;
            }
        };
        DeadLetters letters = new DeadLetters(dlq, "p");
        return new DeliveryEngine<>("stub", MAPPER, client, options, () -> letters);
    }

    @Test
    void aTargetWhosePreparationFailsCostsNoOtherTarget() {
        DeliveryEngine<String> e = preparing(target -> target.equals("a") ? Outcome.refused("table a cannot be made") : Outcome.DELIVERED, 1);
        e.deliver(batch("a1", "b1", "a2", "c1"), ALL);
        assertThat(deadLettered()).containsExactly("a1", "a2");
        assertThat(sent).containsExactly("b:b1", "c:c1");
        assertThat(committed).containsExactly("p.s.t-0@3");
    }

    @Test
    void targetsArePreparedSideBySide() {
        // each preparation waits until all four are under way: one at a time, the first would give up and refuse
        java.util.concurrent.CountDownLatch all = new java.util.concurrent.CountDownLatch(4);
        DeliveryEngine<String> e = preparing(target -> {
            all.countDown();
            try {
                return all.await(10, java.util.concurrent.TimeUnit.SECONDS) ? Outcome.DELIVERED : Outcome.refused("prepared one at a time");
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                return Outcome.refused("interrupted");
            }
        }, 4);
        try {
            e.deliver(batch("a1", "b1", "c1", "d1", "a2"), ALL);
        } finally {
            e.close();
        }
        assertThat(deadLettered()).isEmpty();
        assertThat(sent).containsExactlyInAnyOrder("a:a1,a2", "b:b1", "c:c1", "d:d1");
        assertThat(committed).containsExactly("p.s.t-0@4");
    }

    @Test
    void aStopWhileOtherTargetsAreRetriedEndsTheirRetries() {
        // b's table answers 5xx-like retries; a's credentials are refused. Side by side, b must not go on retrying (and
        // then dead-letter its records) in a batch that the stop leaves uncommitted, to be read again
        AtomicInteger bAttempts = new AtomicInteger();
        DeliveryEngine<String> e = preparing(target -> {
            if (target.equals("a")) {
                return new Outcome.Stop("credentials refused; fix cdc.x.password");
            }
            bAttempts.incrementAndGet();
            return Outcome.retry("table b: backend error", null);
        }, new DeliveryOptions(10, 1000, 4, 8, 50, 100, 60_000));
        Exchange b = batch("a1", "b1");
        b.getExchangeExtension().setFromRouteId("stub-delivery");
        try {
            e.deliver(b, ALL);
        } finally {
            e.close();
        }
        assertThat(deadLettered()).isEmpty();
        assertThat(committed).isEmpty();
        assertThat(sent).isEmpty();
        assertThat(bAttempts.get()).isLessThan(8);
    }
}
