package io.cdcbridge.delivery;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;

import io.cdcbridge.errors.BatchNotDeliveredException;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.errors.PermanentDeliveryException;
import io.cdcbridge.event.ChangeEvent;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one delivery engine of every sink (docs/architecture.md §6). It takes one camel-kafka batch (auto-commit off)
 * and, through the sink's {@link SinkMapper} and {@link SinkClient}: maps each record to items (a poison record is
 * dead-lettered at once), groups them by target, prepares each target, cuts requests (≤ max items, ≤ max bytes), sends
 * them ({@code concurrency} at a time) and acts on each {@link Outcome}: retries with backoff, splits, dead-letters.
 *
 * <p><b>The at-least-once rule lives here and nowhere else:</b> the batch's Kafka offsets are committed only once every
 * item of every record is either accepted by the service or its record is acknowledged in the sink's dead-letter
 * topic. If any request ends in neither (the dead-letter write failed, the sink was stopped, the bridge is shutting
 * down), nothing of the batch is committed and {@link BatchNotDeliveredException} makes the consumer read it again.
 * Routes cannot change this: they only choose which records reach the engine ({@link Selection}).
 *
 * @param <T> the sink's item
 */
public final class DeliveryEngine<T> {

    private static final Logger LOG = LoggerFactory.getLogger(DeliveryEngine.class);

    private final String sink;
    private final SinkMapper<T> mapper;
    private final SinkClient<T> client;
    private final DeliveryOptions options;
    private final Supplier<DeadLetters> deadLetters;
    private final ExecutorService senders;
    private final KafkaBatch.Counters delivered = new KafkaBatch.Counters();
    private final KafkaBatch.Counters deadLettered = new KafkaBatch.Counters();
    /** Set while the sink's route stops after {@link Outcome.Stop}: batches polled meanwhile are neither sent nor committed. */
    private volatile String stopping;
    /**
     * For health at a glance (ops/HealthSummary): since when the sink has been retrying without any success (epoch
     * ms, 0 when not), the last retried failure, and why the engine last stopped the route; cleared by a delivery.
     */
    private volatile long retryingSince;
    private volatile String lastFailure;
    private volatile String stoppedBecause;

    public DeliveryEngine(String sink, SinkMapper<T> mapper, SinkClient<T> client, DeliveryOptions options,
                          Supplier<DeadLetters> deadLetters) {
        this.sink = sink;
        this.mapper = mapper;
        this.client = client;
        this.options = options;
        this.deadLetters = deadLetters;
        this.senders = options.concurrency() <= 1 ? null : Executors.newFixedThreadPool(options.concurrency(), r -> {
            Thread t = new Thread(r, sink + "-sender");
            t.setDaemon(true);
            return t;
        });
    }

    public String sink() {
        return sink;
    }

    /** One item of a request and the Kafka record it came from. */
    private record Pending<T>(T item, long bytes, Exchange origin, String table) {
    }

    /** One request: items of one target. */
    private record Request<T>(String target, List<Pending<T>> items) {
        List<T> payload() {
            return itemsOf(items);
        }
    }

    /** What the client is given: the items themselves, in order. */
    private static <T> List<T> itemsOf(List<Pending<T>> pending) {
        List<T> out = new ArrayList<>(pending.size());
        pending.forEach(p -> out.add(p.item()));
        return out;
    }

    /** A request that ended in neither delivery nor the dead-letter topic: the batch must not be committed. */
    private static final class Undelivered extends RuntimeException {
        final boolean stop;

        Undelivered(String message, Throwable cause, boolean stop) {
            super(message, cause);
            this.stop = stop;
        }
    }

    /** What one batch has dead-lettered (a record is dead-lettered once, however many of its items failed). */
    private final class Batch {
        final Exchange exchange;
        final long deadline;
        final Set<Exchange> dead = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));
        /**
         * Set when side-by-side work of the batch failed (a Stop, a dead letter that could not be written): the batch
         * will not be committed, so the rest gives up at its next attempt or wait instead of retrying (or dead-lettering
         * what will be read again) while the failure waits for it.
         */
        volatile boolean abandoned;

        /** Gives up when another part of the batch failed. */
        void goOn() {
            if (abandoned) {
                throw new Undelivered("another part of the batch failed", null, false);
            }
        }

        Batch(Exchange exchange) {
            this.exchange = exchange;
            this.deadline = System.currentTimeMillis() + options.retryBudgetMs();
        }

        void deadLetter(Exchange record, String table, Throwable error, int attempts) {
            if (!dead.add(record)) {
                return;
            }
            try {
                deadLetters.get().publish(sink, DeadLetters.fromExchange(record, error, attempts, exchange.getFromRouteId()));
            } catch (RuntimeException e) {
                dead.remove(record);
                throw new Undelivered("could neither deliver nor dead-letter " + DeadLetters.sourceTable(record)
                        + ": " + e.getMessage(), e, false);
            }
            deadLettered.increment(table);
        }

        void deadLetter(List<Pending<T>> items, Throwable error, int attempts) {
            for (Pending<T> p : items) {
                deadLetter(p.origin(), p.table(), error, attempts);
            }
        }

        void delivered(List<Pending<T>> items) {
            for (Pending<T> p : items) {
                delivered.increment(p.table());
            }
        }
    }

    /** Delivers one camel-kafka batch (the exchange's body: its per-record exchanges), then commits it. */
    public void deliver(Exchange exchange, Selection selection) {
        String stop = stopping;
        if (stop != null) {
            return; // the route is stopping: nothing sent, nothing committed
        }
        List<Exchange> records = KafkaBatch.records(exchange);
        Map<String, KafkaManualCommit> commits = KafkaBatch.commits(records);
        Batch batch = new Batch(exchange);
        try {
            Map<Exchange, PermanentDeliveryException> poison = new LinkedHashMap<>();
            Map<String, List<Pending<T>>> byTarget = map(records, selection, poison);
            List<Request<T>> requests = new ArrayList<>();
            for (Map.Entry<String, List<Pending<T>>> e : prepareAll(byTarget, batch).entrySet()) {
                requests.addAll(cut(e.getKey(), e.getValue()));
            }
            // after the targets are prepared: a preparation that fails fails the batch before anything is parked
            poison.forEach((record, error) -> batch.deadLetter(record, DeadLetters.sourceTable(record), error, 1));
            send(requests, batch);
        } catch (Undelivered e) {
            if (e.stop) {
                stop(exchange, e.getMessage());
                return;
            }
            throw new BatchNotDeliveredException(e.getCause() != null ? e.getCause() : e);
        }
        KafkaBatch.commitAll(commits.values());
    }

    private Map<String, List<Pending<T>>> map(List<Exchange> records, Selection selection, Map<Exchange, PermanentDeliveryException> poison) {
        mapper.startBatch();
        Map<String, List<Pending<T>>> byTarget = new LinkedHashMap<>();
        for (Exchange record : records) {
            if (DeadLetters.replayedForAnotherSink(record, sink)) {
                continue;
            }
            var m = record.getMessage();
            String topic = m.getHeader(KafkaConstants.TOPIC, String.class);
            if (!selection.admits(record, topic)) {
                continue;
            }
            String table = DeadLetters.sourceTable(record);
            List<SinkMapper.Item<T>> items;
            try {
                Integer partition = m.getHeader(KafkaConstants.PARTITION, Integer.class);
                Long offset = m.getHeader(KafkaConstants.OFFSET, Long.class);
                // a replayed record is named by the position it was first read at: ids derived from it stay the same
                long[] first = io.cdcbridge.errors.DeadLetterReplay.firstPosition(topic, m.getHeader(io.cdcbridge.errors.DeadLetterReplay.FIRST_POSITION));
                if (first != null) {
                    partition = (int) first[0];
                    offset = first[1];
                }
                items = mapper.map(new SinkMapper.Inbound(topic, partition == null ? -1 : partition, offset == null ? -1 : offset,
                        m.getBody(), m.getHeader(ChangeEvent.TYPES_HEADER)));
            } catch (PermanentDeliveryException e) {
                poison.put(record, e);
                continue;
            }
            for (SinkMapper.Item<T> i : items) {
                byTarget.computeIfAbsent(i.target(), t -> new ArrayList<>()).add(new Pending<>(i.item(), i.bytes(), record, table));
            }
        }
        return byTarget;
    }

    /**
     * The targets whose preparation succeeded, in the batch's order. Side by side on the senders when there are several:
     * a first batch of many tables (a new deployment, a restart) made each table in turn before sending anything, each
     * a round trip to the service or more (4.6 s for four BigQuery tables with their views and current tables).
     */
    private Map<String, List<Pending<T>>> prepareAll(Map<String, List<Pending<T>>> byTarget, Batch batch) {
        Map<String, List<Pending<T>>> ready = new LinkedHashMap<>();
        if (senders == null || byTarget.size() < 2) {
            byTarget.forEach((target, items) -> {
                if (prepare(target, items, batch)) {
                    ready.put(target, items);
                }
            });
            return ready;
        }
        List<String> targets = new ArrayList<>(byTarget.keySet());
        List<Future<Boolean>> running = new ArrayList<>(targets.size());
        for (String target : targets) {
            running.add(senders.submit(() -> abandonOnFailure(batch, () -> prepare(target, byTarget.get(target), batch))));
        }
        List<Object> prepared = awaitAll(running);
        for (int i = 0; i < targets.size(); i++) {
            if (Boolean.TRUE.equals(prepared.get(i))) {
                ready.put(targets.get(i), byTarget.get(targets.get(i)));
            }
        }
        return ready;
    }

    /**
     * Waits for all of some side-by-side work and gives each one's result, in order; once all are done, throws the
     * failure to act on if any failed (a {@link Outcome.Stop} before anything else).
     */
    private static List<Object> awaitAll(List<? extends Future<?>> running) {
        List<Object> results = new ArrayList<>(running.size());
        Undelivered first = null;
        for (Future<?> f : running) {
            Object result = null;
            try {
                result = f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                first = first != null ? first : new Undelivered("interrupted", e, false);
            } catch (ExecutionException e) {
                Undelivered u = e.getCause() instanceof Undelivered x ? x : new Undelivered(String.valueOf(e.getCause()), e.getCause(), false);
                first = first == null || (u.stop && !first.stop) ? u : first;
            }
            results.add(result);
        }
        if (first != null) {
            throw first;
        }
        return results;
    }

    /** The client's preparation of a target, retried like a request; false when its items were dead-lettered instead. */
    private boolean prepare(String target, List<Pending<T>> items, Batch batch) {
        List<T> payload = itemsOf(items);
        for (int attempt = 1; ; attempt++) {
            batch.goOn();
            Outcome o = call(() -> client.prepare(target, payload));
            if (o instanceof Outcome.Delivered) {
                succeeded();
                return true;
            }
            if (o instanceof Outcome.Stop s) {
                throw new Undelivered(s.reason(), null, true);
            }
            if (o instanceof Outcome.Retry r && backoff(attempt, r, batch)) {
                continue;
            }
            batch.deadLetter(items, failure(o, target), attempt);
            return false;
        }
    }

    /** Cuts a target's items into requests of at most max items and max bytes, in order. */
    private List<Request<T>> cut(String target, List<Pending<T>> items) {
        List<Request<T>> out = new ArrayList<>();
        List<Pending<T>> current = new ArrayList<>();
        long bytes = 0;
        for (Pending<T> p : items) {
            if (!current.isEmpty() && (current.size() >= options.maxItems() || bytes + p.bytes() > options.maxBytes())) {
                out.add(new Request<>(target, current));
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(p);
            bytes += p.bytes();
        }
        if (!current.isEmpty()) {
            out.add(new Request<>(target, current));
        }
        return out;
    }

    private void send(List<Request<T>> requests, Batch batch) {
        if (senders == null || requests.size() < 2) {
            for (Request<T> r : requests) {
                deliver(r, batch);
            }
            return;
        }
        // side by side: each request is retried, split or dead-lettered on its own; the batch waits for all of them
        List<Future<?>> running = new ArrayList<>(requests.size());
        for (Request<T> r : requests) {
            running.add(senders.submit(() -> abandonOnFailure(batch, () -> {
                deliver(r, batch);
                return null;
            })));
        }
        awaitAll(running);
    }

    /** Runs a part of the batch on a sender; its failure tells the others to give up ({@link Batch#abandoned}). */
    private <R> R abandonOnFailure(Batch batch, Supplier<R> part) {
        try {
            return part.get();
        } catch (RuntimeException e) {
            batch.abandoned = true;
            throw e;
        }
    }

    /** One request until each of its items is delivered or dead-lettered (or {@link Undelivered} is thrown). */
    private void deliver(Request<T> request, Batch batch) {
        Deque<Request<T>> queue = new ArrayDeque<>();
        queue.add(request);
        int attempt = 1;
        while (!queue.isEmpty()) {
            batch.goOn();
            Request<T> r = queue.peek();
            Outcome o = call(() -> client.send(r.target(), r.payload()));
            if (o instanceof Outcome.Delivered) {
                queue.poll();
                batch.delivered(r.items());
                succeeded();
                attempt = 1;
            } else if (o instanceof Outcome.ItemsRefused refused && !refused.reasons().isEmpty()) {
                List<Pending<T>> rest = new ArrayList<>();
                for (int i = 0; i < r.items().size(); i++) {
                    String reason = refused.reasons().get(i);
                    Pending<T> p = r.items().get(i);
                    if (reason == null) {
                        rest.add(p);
                    } else {
                        batch.deadLetter(p.origin(), p.table(), new PermanentDeliveryException(reason), attempt);
                    }
                }
                queue.poll();
                if (!rest.isEmpty()) {
                    queue.addFirst(new Request<>(r.target(), rest)); // not stored, not refused: again, at once
                }
            } else if (o instanceof Outcome.RequestRefused refused) {
                queue.poll();
                if (refused.splittable() && r.items().size() > 1) {
                    int half = r.items().size() / 2;
                    queue.addFirst(new Request<>(r.target(), new ArrayList<>(r.items().subList(half, r.items().size()))));
                    queue.addFirst(new Request<>(r.target(), new ArrayList<>(r.items().subList(0, half))));
                    LOG.info("{} refused {} items for {}: sending them in halves ({})", sink, r.items().size(), r.target(), refused.reason());
                } else {
                    batch.deadLetter(r.items(), failure(o, r.target()), attempt);
                }
            } else if (o instanceof Outcome.Stop s) {
                throw new Undelivered(s.reason(), null, true);
            } else {
                // a Retry, or refused items none of which is named: nothing to dead-letter yet, the request goes again
                Outcome.Retry retry = o instanceof Outcome.Retry x ? x
                        : new Outcome.Retry("the service reported errors without naming a refused item", 0, null);
                if (backoff(attempt, retry, batch)) {
                    attempt++;
                } else {
                    queue.poll();
                    batch.deadLetter(r.items(), failure(retry, r.target()), attempt);
                    attempt = 1;
                }
            }
        }
    }

    /**
     * Waits before retry number {@code attempt}; false when the retries are spent (max retries, or the batch's retry
     * budget would be overrun by the wait). Throws {@link Undelivered} when the route stops meanwhile.
     */
    private boolean backoff(int attempt, Outcome.Retry retry, Batch batch) {
        if (attempt > options.maxRetries()) {
            return false;
        }
        long delay = options.delayBeforeRetry(attempt, retry.afterMs());
        if (System.currentTimeMillis() + delay > batch.deadline) {
            LOG.warn("{}: the retry budget of {} s is spent ({}); dead-lettering", sink, options.retryBudgetMs() / 1000, retry.reason());
            return false;
        }
        LOG.warn("{}: {}; retry {}/{} in {} ms", sink, retry.reason(), attempt, options.maxRetries(), delay);
        // a retry spent and the record dead-lettered does not end the trouble: only a success does (succeeded())
        String reason = String.valueOf(retry.reason());
        lastFailure = reason.length() > 300 ? reason.substring(0, 300) + "…" : reason;
        if (retryingSince == 0) {
            retryingSince = System.currentTimeMillis();
        }
        pause(batch, delay);
        return true;
    }

    /**
     * Waits, giving up as soon as the route or Camel is stopping or another part of the batch failed (the batch stays
     * uncommitted and is read again).
     */
    private void pause(Batch batch, long ms) {
        Exchange exchange = batch.exchange;
        CamelContext ctx = exchange.getContext();
        String route = exchange.getFromRouteId();
        long until = System.currentTimeMillis() + ms;
        try {
            for (long left = ms; left > 0; left = until - System.currentTimeMillis()) {
                batch.goOn();
                ServiceStatus status = route == null ? null : ctx.getRouteController().getRouteStatus(route);
                if (ctx.isStopping() || (status != null && (status.isStopping() || status.isStopped()))) {
                    throw new Undelivered("stopping", null, false);
                }
                Thread.sleep(Math.min(left, 200));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Undelivered("interrupted", e, false);
        }
    }

    private static Outcome call(Supplier<Outcome> send) {
        try {
            Outcome o = send.get();
            return o != null ? o : Outcome.retry("the client gave no outcome", null);
        } catch (RuntimeException e) {
            return Outcome.retry(e.getClass().getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /** The error a dead letter records: the service's own exception when there is one, else the reason. */
    private static Throwable failure(Outcome o, String target) {
        if (o instanceof Outcome.RequestRefused r) {
            return r.cause() != null ? r.cause() : new PermanentDeliveryException(r.reason());
        }
        if (o instanceof Outcome.Retry r) {
            return r.cause() != null ? r.cause() : new PermanentDeliveryException("retries exhausted: " + r.reason());
        }
        return new PermanentDeliveryException(o + " for " + target);
    }

    /** {@link Outcome.Stop}: say why once, stop the sink's route (from another thread, as Camel requires). */
    private void stop(Exchange exchange, String reason) {
        if (stopping != null) {
            return;
        }
        stopping = reason;
        stoppedBecause = reason;
        String route = exchange.getFromRouteId();
        LOG.error("{} delivery stops: {}. Nothing was committed, so no change is lost; start route {} again once fixed.",
                sink, reason, route);
        CamelContext ctx = exchange.getContext();
        Thread t = new Thread(() -> {
            try {
                ctx.getRouteController().stopRoute(route);
            } catch (Exception e) {
                LOG.warn("could not stop {}: {}", route, e.toString());
            } finally {
                stopping = null;
            }
        }, sink + "-stopper");
        t.setDaemon(true);
        t.start();
    }

    private void succeeded() {
        if (retryingSince != 0 || stoppedBecause != null) {
            retryingSince = 0;
            lastFailure = null;
            stoppedBecause = null;
        }
    }

    /** Since when the sink has been retrying without a success, or null when it is not. */
    public java.time.Instant retryingSince() {
        long since = retryingSince;
        return since == 0 ? null : java.time.Instant.ofEpochMilli(since);
    }

    /** The last failure retried (as logged), while {@link #retryingSince()} is set; else null. */
    public String lastFailure() {
        return retryingSince == 0 ? null : lastFailure;
    }

    /** Why the engine last stopped the sink's route (an {@link Outcome.Stop}), until a delivery succeeds; or null. */
    public String stoppedBecause() {
        return stoppedBecause;
    }

    /** When the sink's credentials expire (Carol's token), or null. */
    public java.time.Instant credentialsExpireAt() {
        return client.credentialsExpireAt();
    }

    /** Items accepted (or written, in dry run) per source table {@code schema.table}, since start. */
    public Map<String, Long> deliveredCounts() {
        return delivered.snapshot();
    }

    /** Records this sink dead-lettered, per source table. */
    public Map<String, Long> deadLetteredCounts() {
        return deadLettered.snapshot();
    }

    public void close() {
        if (senders != null) {
            senders.shutdownNow();
        }
        // a client holding connections (BigQuery's Storage Write streams) closes them with its engine
        if (client instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(DeliveryEngine.class).warn("{}: closing its client: {}", sink, e.toString());
            }
        }
    }
}
