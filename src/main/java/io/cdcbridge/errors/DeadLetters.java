package io.cdcbridge.errors;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.camel.Exchange;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes records that could not be delivered to the sink's dead-letter topic {@code <prefix>.dlq.<sink>}
 * (docs/architecture.md §9): the original key and value, the original headers, plus the error headers below.
 *
 * <p>Each write waits for the broker's acknowledgement, so a delivery route may commit its Kafka offsets as soon as
 * {@link #publish} returns: the record is either delivered or safely here. Only the delivery engine writes here.
 */
public final class DeadLetters {

    public static final String ERROR_CLASS = "cdc.error.class";
    public static final String ERROR_MESSAGE = "cdc.error.message";
    public static final String ERROR_ATTEMPTS = "cdc.error.attempts";
    public static final String ERROR_ROUTE = "cdc.error.route";
    public static final String ERROR_TS = "cdc.error.ts";
    public static final String ORIGIN_TOPIC = "cdc.origin.topic";
    public static final String ORIGIN_PARTITION = "cdc.origin.partition";
    public static final String ORIGIN_OFFSET = "cdc.origin.offset";
    /** On a record re-published by replay: the one sink it is meant for (the others skip it). */
    public static final String REPLAY_SINK = "cdc.replay.sink";
    /** On a record re-published by replay: the dead letter it came from ({@code topic/partition/offset}). */
    public static final String REPLAY_OF = "cdc.replay.of";

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    private static final int MAX_MESSAGE = 4000;

    private final Producer<byte[], byte[]> producer;
    private final String prefix;

    public DeadLetters(Producer<byte[], byte[]> producer, String topicPrefix) {
        this.producer = producer;
        this.prefix = topicPrefix;
    }

    /** Whether a record read by a sink's route was replayed for another sink, so this sink must skip it. */
    public static boolean replayedForAnotherSink(Exchange record, String sink) {
        Object h = record.getMessage().getHeader(REPLAY_SINK);
        if (h == null) {
            return false;
        }
        String target = h instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : h.toString();
        return !target.equals(sink);
    }

    /**
     * The source table of a record read from a ChangeEvent topic, {@code schema.table} (the topic without its
     * prefix, which has no dots); counters are kept per source table so every sink reports the same names.
     */
    public static String sourceTable(Exchange record) {
        String topic = String.valueOf(record.getMessage().getHeader(KafkaConstants.TOPIC));
        int dot = topic.indexOf('.');
        return dot < 0 ? topic : topic.substring(dot + 1);
    }

    public String topic(String sink) {
        return prefix + ".dlq." + sink;
    }

    /** One record that failed, with where it came from and why. */
    public record Letter(String originTopic, int partition, long offset, byte[] key, byte[] value, Headers headers,
                         Throwable error, int attempts, String route) {
    }

    /** Writes one dead letter and waits for Kafka to acknowledge it. */
    public void publish(String sink, Letter letter) {
        RecordHeaders headers = new RecordHeaders();
        if (letter.headers() != null) {
            letter.headers().forEach(h -> {
                if (!h.key().startsWith("cdc.error.") && !h.key().startsWith("cdc.origin.") && !h.key().startsWith("cdc.replay.")) {
                    headers.add(h);
                }
            });
        }
        Throwable error = letter.error();
        put(headers, ERROR_CLASS, error == null ? "unknown" : error.getClass().getName());
        put(headers, ERROR_MESSAGE, truncate(error == null ? "" : String.valueOf(error.getMessage())));
        put(headers, ERROR_ATTEMPTS, String.valueOf(letter.attempts()));
        put(headers, ERROR_ROUTE, String.valueOf(letter.route()));
        put(headers, ERROR_TS, Instant.now().toString());
        put(headers, ORIGIN_TOPIC, String.valueOf(letter.originTopic()));
        put(headers, ORIGIN_PARTITION, String.valueOf(letter.partition()));
        put(headers, ORIGIN_OFFSET, String.valueOf(letter.offset()));
        String topic = topic(sink);
        try {
            producer.send(new ProducerRecord<>(topic, null, letter.key(), letter.value(), headers)).get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing to " + topic, e);
        } catch (ExecutionException | TimeoutException e) {
            // Not acknowledged: the caller must not commit; the record will be consumed again.
            throw new IllegalStateException("could not write dead letter to " + topic + ": " + e.getMessage(), e);
        }
        LOG.warn("Dead-lettered {}[{}]@{} to {}: {}", letter.originTopic(), letter.partition(), letter.offset(), topic,
                error == null ? "" : truncate(error.toString()));
    }

    /** A letter for the Kafka record an exchange was consumed from (camel-kafka headers). */
    public static Letter fromExchange(Exchange ex, Throwable error, int attempts, String route) {
        var in = ex.getIn();
        Object key = in.getHeader(KafkaConstants.KEY);
        Headers raw = in.getHeader(KafkaConstants.HEADERS, Headers.class);
        Integer partition = in.getHeader(KafkaConstants.PARTITION, Integer.class);
        Long offset = in.getHeader(KafkaConstants.OFFSET, Long.class);
        return new Letter(in.getHeader(KafkaConstants.TOPIC, String.class), partition == null ? -1 : partition,
                offset == null ? -1 : offset, bytes(key), bytes(in.getBody()), raw, error, attempts, route);
    }

    private static byte[] bytes(Object o) {
        if (o == null) {
            return null;
        }
        if (o instanceof byte[] b) {
            return b;
        }
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void put(RecordHeaders headers, String key, String value) {
        headers.remove(key);
        headers.add(key, value.getBytes(StandardCharsets.UTF_8));
    }

    private static String truncate(String s) {
        return s.length() <= MAX_MESSAGE ? s : s.substring(0, MAX_MESSAGE) + "...";
    }
}
