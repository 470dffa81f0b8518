package io.cdcbridge.carol;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.delivery.KafkaBatch;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.errors.PermanentDeliveryException;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.kafka.KafkaConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the {@code carol-delivery} route (routes/carol.camel.yaml), bean {@code carolDelivery}. The route's
 * exchange is one camel-kafka batch: its body the list of per-record exchanges not yet delivered (what the shared
 * error handler dead-letters if delivery fails for good).
 *
 * <ol>
 *   <li>{@link #prepare}: map each record to its staging record (poison → dead letter at once), group by staging,
 *   cut into requests of ≤ batch-size records and ≤ max-request-bytes of JSON.</li>
 *   <li>{@link #send}, once per request: gzip, the token, {@code POST …/staging/intake/{staging}} through camel-http,
 *   and Carol's answer (DESIGN.md §5): accepted; 401/403 → one forced token refresh and one more try; 413 or 400 →
 *   the request split in halves until it passes, a single record refused alone goes to the dead-letter topic with
 *   Carol's response; other 4xx → dead letters; 408/409/429/5xx/I/O → {@link CarolRetryableException}, retried by
 *   the shared error handler (honouring {@code Retry-After}), then dead-lettered.</li>
 *   <li>{@link #commit}, when the exchange completed: the batch's Kafka offsets.</li>
 * </ol>
 */
public final class CarolDelivery {

    public static final String SINK = "carol";
    public static final String REQUESTS = "CdcCarolRequests";
    public static final String PENDING = "CdcCarolPending";
    public static final String COMMITS = "CdcCarolCommits";
    /** Set when the batch must not be committed (the route stops: bad credentials). */
    public static final String NO_COMMIT = "CdcCarolNoCommit";
    public static final String ROUTE_ID = "carol-delivery";
    /** Set by the route: {@code schema.table,…} not to send (content-based routing in the YAML). */
    public static final String EXCLUDE_PROPERTY = "CdcExcludeTables";
    private static final Set<Integer> RETRYABLE = Set.of(408, 409, 429, 500, 502, 503, 504, 520, 524);

    private static final Logger LOG = LoggerFactory.getLogger(CarolDelivery.class);

    /** One staging record (serialized once: its size counts toward the request's, its bytes go in the body) and the
     *  Kafka record it came from. */
    record Pending(byte[] json, Exchange origin, String table, String staging) {
        int bytes() {
            return json.length + 1; // and a comma
        }
    }

    /** One intake request: records of one staging. */
    static final class Request {
        final String staging;
        final List<Pending> records = new ArrayList<>();
        long bytes;
        boolean authRetried;

        Request(String staging) {
            this.staging = staging;
        }
    }

    private final CarolConfig config;
    private final io.cdcbridge.passthrough.Passthrough passthrough;
    private final CarolRecordMapper mapper;
    private final CarolTokenCache tokens;
    private final boolean dryRun;
    private final Path dryRunDir;
    private final Supplier<DeadLetters> deadLetters;
    private final String endpointUri;
    private volatile ProducerTemplate template;
    private final KafkaBatch.Counters delivered = new KafkaBatch.Counters();
    private final KafkaBatch.Counters deadLettered = new KafkaBatch.Counters();

    /** @param tokens null in API-key mode */
    public CarolDelivery(CarolConfig config, CarolRecordMapper mapper, CarolTokenCache tokens, boolean dryRun, Path dryRunDir,
                         Supplier<DeadLetters> deadLetters) {
        this(config, null, mapper, tokens, dryRun, dryRunDir, deadLetters);
    }

    /** @param passthrough topics whose records go to a staging as they are (null: none) */
    public CarolDelivery(CarolConfig config, io.cdcbridge.passthrough.Passthrough passthrough, CarolRecordMapper mapper,
                         CarolTokenCache tokens, boolean dryRun, Path dryRunDir, Supplier<DeadLetters> deadLetters) {
        this.config = config;
        this.passthrough = passthrough;
        this.mapper = mapper;
        this.tokens = tokens;
        this.dryRun = dryRun;
        this.dryRunDir = dryRunDir;
        this.deadLetters = deadLetters;
        // one camel-http endpoint; the staging's URL goes in the CamelHttpUri header of each request
        this.endpointUri = config == null ? null
                : config.url().getScheme() + "://" + config.url().getAuthority() + "/api/v3/staging/intake"
                + "?throwExceptionOnFailure=false&connectTimeout=" + config.timeoutMs() + "&responseTimeout=" + config.timeoutMs();
    }

    public void prepare(Exchange exchange) {
        List<Exchange> records = KafkaBatch.records(exchange);
        if (exchange.getProperty(COMMITS) == null) {
            exchange.setProperty(COMMITS, KafkaBatch.commits(records));
        }
        List<Pending> pending = new ArrayList<>();
        Set<String> excluded = CarolConfig.list(exchange.getProperty(EXCLUDE_PROPERTY, "", String.class));
        for (Exchange record : records) {
            if (DeadLetters.replayedForAnotherSink(record, SINK)) {
                continue;
            }
            String topic = String.valueOf(record.getMessage().getHeader(KafkaConstants.TOPIC));
            String passthroughStaging = passthrough == null ? null : passthrough.carolStaging(topic);
            try {
                if (passthroughStaging != null) {
                    // already Carol records: the same path from here on (batching, retries, dead letters, dry run)
                    for (ObjectNode r : io.cdcbridge.passthrough.Passthrough.records(record.getMessage().getBody())) {
                        pending.add(new Pending(json(r), record, topic, passthroughStaging));
                    }
                    continue;
                }
                CarolRecordMapper.Mapped m = mapper.map(record.getMessage().getBody(), record.getMessage().getHeader("cdc.types"));
                if (m.record() != null && !excluded.contains(m.table())) {
                    pending.add(new Pending(json(m.record()), record, m.table(), m.staging()));
                }
            } catch (PermanentDeliveryException e) {
                deadLetters.get().publish(SINK, DeadLetters.fromExchange(record, e, 1, exchange.getFromRouteId()));
                deadLettered.increment(passthroughStaging != null ? topic : DeadLetters.sourceTable(record));
            }
        }
        Deque<Request> requests = requests(pending);
        exchange.setProperty(REQUESTS, requests);
        exchange.setProperty(PENDING, requests.size());
        List<Exchange> undelivered = new ArrayList<>();
        pending.forEach(p -> undelivered.add(p.origin()));
        exchange.getMessage().setBody(undelivered);
    }

    /** Cuts records into requests: one staging per request, at most batch-size records and max-request-bytes. */
    Deque<Request> requests(List<Pending> records) {
        Map<String, List<Request>> byStaging = new LinkedHashMap<>();
        for (Pending p : records) {
            String staging = p.staging();
            List<Request> list = byStaging.computeIfAbsent(staging, s -> new ArrayList<>());
            Request last = list.isEmpty() ? null : list.get(list.size() - 1);
            if (last == null || last.records.size() >= config.batchSize()
                    || (!last.records.isEmpty() && last.bytes + p.bytes() > config.maxRequestBytes())) {
                last = new Request(staging);
                list.add(last);
            }
            last.records.add(p);
            last.bytes += p.bytes();
        }
        Deque<Request> out = new ArrayDeque<>();
        byStaging.values().forEach(out::addAll);
        return out;
    }

    /** Sends the head request and acts on Carol's answer. */
    public void send(Exchange exchange) throws IOException {
        Deque<Request> requests = requests(exchange);
        Request head = requests.peek();
        if (head == null) {
            exchange.setProperty(PENDING, 0);
            return;
        }
        exchange.getMessage().removeHeader(Exchange.REDELIVERY_DELAY);
        // plain JSON: camel-http gzips the entity itself when Content-Encoding is gzip
        byte[] body = json(head);
        while (true) {
            String token = tokens == null ? null : tokens.token();
            Exchange response = template(exchange).send(endpointUri, ex -> {
                var m = ex.getMessage();
                m.setHeader(Exchange.HTTP_METHOD, "POST");
                m.setHeader(Exchange.HTTP_URI, config.intakeUri(head.staging).toString());
                m.setHeader(Exchange.CONTENT_TYPE, "application/json");
                m.setHeader(Exchange.CONTENT_ENCODING, "gzip");
                if (token != null) {
                    m.setHeader("Authorization", config.authScheme().equals("bearer") ? "Bearer " + token : token);
                } else {
                    m.setHeader("X-Auth-Key", config.apiKey());
                    m.setHeader("X-Auth-ConnectorId", config.connectorId());
                }
                m.setBody(body);
            });
            if (response.getException() != null) {
                throw new CarolRetryableException("Carol intake unreachable: " + response.getException().getClass().getSimpleName()
                        + ": " + response.getException().getMessage(), response.getException());
            }
            int status = response.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
            String answer = response.getMessage().getBody(String.class);
            if (status / 100 == 2) {
                accepted(exchange, requests);
                return;
            }
            if ((status == 401 || status == 403) && tokens != null && !head.authRetried) {
                // the token may have been revoked or expired early: one forced refresh, one more try
                head.authRetried = true;
                tokens.invalidate(token);
                continue;
            }
            if (status == 413 || status == 400) {
                refusedInPart(exchange, requests, status, answer);
                return;
            }
            if (RETRYABLE.contains(status) || status == 401 || status == 403) {
                long retryAfter = retryAfterMs(response.getMessage().getHeader("Retry-After", String.class));
                if (retryAfter > 0) {
                    exchange.getMessage().setHeader(Exchange.REDELIVERY_DELAY, retryAfter);
                }
                head.authRetried = false;
                throw new CarolRetryableException(status, "Carol intake answered HTTP " + status + " for staging " + head.staging
                        + ": " + CarolTokenCache.carolMessage(answer));
            }
            // any other 4xx: these records will not pass as they are
            requests.poll();
            deadLetter(exchange, head.records, "Carol refused the request to staging " + head.staging + " (HTTP " + status + "): " + answer);
            exchange.setProperty(PENDING, requests.size());
            return;
        }
    }

    private void accepted(Exchange exchange, Deque<Request> requests) {
        Request head = requests.poll();
        keepUndelivered(exchange);
        head.records.forEach(p -> delivered.increment(p.table()));
        exchange.setProperty(PENDING, requests.size());
        LOG.debug("Carol accepted {} records into {}", head.records.size(), head.staging);
    }

    /** 413 or 400: halves go back to the front of the queue; a single record is dead-lettered with Carol's answer. */
    private void refusedInPart(Exchange exchange, Deque<Request> requests, int status, String answer) {
        Request head = requests.poll();
        if (head.records.size() == 1) {
            deadLetter(exchange, head.records, "Carol refused the record for staging " + head.staging + " (HTTP " + status + "): " + answer);
        } else {
            int half = head.records.size() / 2;
            Request first = new Request(head.staging);
            Request second = new Request(head.staging);
            first.records.addAll(head.records.subList(0, half));
            second.records.addAll(head.records.subList(half, head.records.size()));
            first.records.forEach(p -> first.bytes += p.bytes());
            second.records.forEach(p -> second.bytes += p.bytes());
            requests.addFirst(second);
            requests.addFirst(first);
            LOG.info("Carol refused {} records for {} (HTTP {}): sending them in halves", head.records.size(), head.staging, status);
        }
        exchange.setProperty(PENDING, requests.size());
    }

    private void deadLetter(Exchange exchange, List<Pending> records, String reason) {
        PermanentDeliveryException e = new PermanentDeliveryException(reason);
        for (Pending p : records) {
            deadLetters.get().publish(SINK, DeadLetters.fromExchange(p.origin(), e, 1, exchange.getFromRouteId()));
            deadLettered.increment(p.table());
        }
        keepUndelivered(exchange);
    }

    /** Dry run: each request body as one JSON line (the array Carol would receive) in {@code <staging>.jsonl}. */
    public void writeDryRun(Exchange exchange) {
        Deque<Request> requests = requests(exchange);
        for (Request r : requests) {
            KafkaBatch.append(dryRunDir.resolve(r.staging + ".jsonl"), new String(json(r), StandardCharsets.UTF_8) + "\n");
            r.records.forEach(p -> delivered.increment(p.table()));
        }
        requests.clear();
        keepUndelivered(exchange);
        exchange.setProperty(PENDING, 0);
    }

    /** Carol refused the credentials: stop this route (records stay in Kafka, uncommitted) and say why, once. */
    public void credentialsRejected(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        exchange.setProperty(NO_COMMIT, true);
        LOG.error("Carol delivery stops: {}. Fix cdc.carol.username / cdc.carol.password (or cdc.carol.api-key) and "
                + "restart; nothing was committed, so no change is lost.", e == null ? "credentials refused" : e.getMessage());
        var context = exchange.getContext();
        Thread t = new Thread(() -> {
            try {
                context.getRouteController().stopRoute(ROUTE_ID);
            } catch (Exception ex) {
                LOG.warn("could not stop {}: {}", ROUTE_ID, ex.toString());
            }
        }, "carol-stopper");
        t.setDaemon(true);
        t.start();
    }

    /** Commits the batch's Kafka offsets: per partition, the manual commit of its last record. */
    public void commit(Exchange exchange) {
        if (!Boolean.TRUE.equals(exchange.getProperty(NO_COMMIT, Boolean.class))) {
            KafkaBatch.commit(exchange, COMMITS);
        }
    }


    /** Records accepted by Carol (or written, in dry run) per source table {@code schema.table}, since start. */
    public Map<String, Long> deliveredCounts() {
        return delivered.snapshot();
    }

    /** Records this sink dead-lettered itself, per table (or topic for poison). */
    public Map<String, Long> deadLetteredCounts() {
        return deadLettered.snapshot();
    }

    /** When the current token expires (null in API-key mode or before the first token). */
    public java.time.Instant tokenExpiresAt() {
        return tokens == null || tokens.expiresAt().equals(java.time.Instant.EPOCH) ? null : tokens.expiresAt();
    }

    /** {@code Retry-After}: seconds or an HTTP date; 0 when absent or unreadable. Capped at 5 minutes. */
    static long retryAfterMs(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Math.min(300_000, Math.max(0, Long.parseLong(value.trim()) * 1000));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.min(300_000, Math.max(0, Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis()));
            } catch (RuntimeException unreadable) {
                return 0;
            }
        }
    }

    private ProducerTemplate template(Exchange exchange) {
        if (template == null) {
            synchronized (this) {
                if (template == null) {
                    template = exchange.getContext().createProducerTemplate();
                }
            }
        }
        return template;
    }

    /** The request body: the JSON array of its records, from their serialized bytes (as Jackson writes an array). */
    private static byte[] json(Request r) {
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream((int) Math.min(Integer.MAX_VALUE - 8, r.bytes + 2));
        body.write('[');
        for (int i = 0; i < r.records.size(); i++) {
            if (i > 0) {
                body.write(',');
            }
            body.writeBytes(r.records.get(i).json());
        }
        body.write(']');
        return body.toByteArray();
    }

    private static byte[] json(ObjectNode record) {
        try {
            return CarolRecordMapper.JSON.writeValueAsBytes(record);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Deque<Request> requests(Exchange exchange) {
        Deque<Request> r = exchange.getProperty(REQUESTS, Deque.class);
        return r == null ? new ArrayDeque<>() : r;
    }

    /**
     * The body becomes the Kafka records still referenced by a request not yet done: what the shared error handler
     * dead-letters if delivery fails for good. (A passthrough array is one Kafka record for several Carol records: it
     * stays until all of them are done.)
     */
    private static void keepUndelivered(Exchange exchange) {
        Set<Exchange> left = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Request r : requests(exchange)) {
            r.records.forEach(p -> left.add(p.origin()));
        }
        Object body = exchange.getMessage().getBody();
        if (body instanceof List<?> list) {
            List<Exchange> rest = new ArrayList<>();
            for (Object o : list) {
                if (o instanceof Exchange ex && left.contains(ex)) {
                    rest.add(ex);
                }
            }
            exchange.getMessage().setBody(rest);
        }
    }
}
