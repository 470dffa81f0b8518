package io.cdcbridge.bigquery;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

import com.google.cloud.bigquery.BigQueryError;
import io.cdcbridge.delivery.KafkaBatch;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.errors.PermanentDeliveryException;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangePropertyKey;
import org.apache.camel.component.google.bigquery.GoogleBigQueryConstants;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.support.DefaultExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The steps of the {@code bigquery-delivery} route (routes/bigquery.camel.yaml), bean {@code bigQueryDelivery}.
 * The route's exchange is one camel-kafka batch: its body a list of per-record exchanges.
 *
 * <ol>
 *   <li>{@link #prepare}: parse each record (a poison record is dead-lettered at once), drop tables not delivered,
 *   map to changelog rows, create/extend tables, cut the rows into insertAll requests (≤ batch-size rows, ≤
 *   max-request-bytes). The body becomes the list of records not yet delivered: what the shared error handler
 *   dead-letters if delivery fails for good.</li>
 *   <li>per request, up to {@code cdc.bigquery.concurrency} at a time ({@link #request}): {@link #nextRequest}
 *   hands the rows to the google-bigquery producer (grouped exchange, one row per exchange with its insertId and
 *   table id); then {@link #accepted}, or {@link #rowErrors} when BigQuery refused
 *   some rows: those are dead-lettered with BigQuery's reason, the others are sent again.</li>
 *   <li>{@link #commit}, when the exchange completed: the Kafka offsets of the whole batch.</li>
 * </ol>
 */
public final class BigQueryDelivery {

    public static final String SINK = "bigquery";
    public static final String REQUESTS = "CdcBigQueryRequests";
    public static final String PENDING = "CdcBigQueryPending";
    public static final String COMMITS = "CdcBigQueryCommits";
    public static final String TYPES_HEADER = "cdc.types";

    private static final Logger LOG = LoggerFactory.getLogger(BigQueryDelivery.class);

    /** One row to insert and the Kafka record it came from. */
    record Pending(BigQueryRowMapper.Row row, Exchange origin, int bytes) {
    }

    /** One insertAll request: rows of one table. */
    static final class Request {
        final String tableId;
        final List<Pending> rows = new ArrayList<>();
        long bytes;

        Request(String tableId) {
            this.tableId = tableId;
        }
    }

    private final BigQueryNames names;
    private io.cdcbridge.passthrough.Passthrough passthrough;
    private final BigQueryRowMapper mapper;
    private final BigQueryTables tables;
    private final int batchSize;
    private final long maxRequestBytes;
    private final boolean dryRun;
    private final Path dryRunDir;
    private final Supplier<DeadLetters> deadLetters;
    private final KafkaBatch.Counters delivered = new KafkaBatch.Counters();
    private final KafkaBatch.Counters deadLettered = new KafkaBatch.Counters();

    public BigQueryDelivery(BigQueryNames names, BigQueryRowMapper mapper, BigQueryTables tables, int batchSize,
                            long maxRequestBytes, boolean dryRun, Path dryRunDir, Supplier<DeadLetters> deadLetters) {
        this.names = names;
        this.mapper = mapper;
        this.tables = tables;
        this.batchSize = batchSize;
        this.maxRequestBytes = maxRequestBytes;
        this.dryRun = dryRun;
        this.dryRunDir = dryRunDir;
        this.deadLetters = deadLetters;
    }

    /** Topics whose JSON records load into a table as they are (issue 9). */
    public BigQueryDelivery passthrough(io.cdcbridge.passthrough.Passthrough passthrough) {
        this.passthrough = passthrough;
        return this;
    }

    public void prepare(Exchange exchange) {
        List<Exchange> records = KafkaBatch.records(exchange);
        if (exchange.getProperty(COMMITS) == null) {
            exchange.setProperty(COMMITS, KafkaBatch.commits(records));
        }
        List<Pending> rows = new ArrayList<>();
        String ingestedAt = mapper.ingestedAt();
        Map<Exchange, PermanentDeliveryException> poison = new LinkedHashMap<>();
        for (Exchange record : records) {
            if (DeadLetters.replayedForAnotherSink(record, SINK)) {
                continue;
            }
            String topic = String.valueOf(record.getMessage().getHeader(KafkaConstants.TOPIC));
            String passthroughTable = passthrough == null ? null : passthrough.bigQueryTable(topic);
            if (passthroughTable != null) {
                try {
                    List<com.fasterxml.jackson.databind.node.ObjectNode> objects = io.cdcbridge.passthrough.Passthrough.records(record.getMessage().getBody());
                    for (int i = 0; i < objects.size(); i++) {
                        String position = topic + "/" + record.getMessage().getHeader(KafkaConstants.PARTITION) + "/"
                                + record.getMessage().getHeader(KafkaConstants.OFFSET) + "/" + i;
                        BigQueryRowMapper.Row row = mapper.mapPassthrough(passthroughTable, objects.get(i),
                                java.util.UUID.nameUUIDFromBytes(position.getBytes(StandardCharsets.UTF_8)).toString());
                        rows.add(new Pending(row, record, size(row)));
                    }
                } catch (PermanentDeliveryException e) {
                    poison.put(record, e);
                }
                continue;
            }
            BigQueryChange change;
            try {
                change = BigQueryChange.parse(record.getMessage().getBody(), record.getMessage().getHeader(TYPES_HEADER));
            } catch (PermanentDeliveryException e) {
                poison.put(record, e);
                continue;
            }
            if (!names.delivers(change.schema(), change.table())) {
                continue;
            }
            BigQueryRowMapper.Row row = mapper.map(change, ingestedAt);
            rows.add(new Pending(row, record, size(row)));
        }
        if (!dryRun) {
            // table changes first: if they fail the step is retried as a whole, and poison is not dead-lettered twice
            Map<String, Map<String, ColumnType>> columns = new LinkedHashMap<>();
            Map<String, List<String>> keys = new LinkedHashMap<>();
            // a table's rows mostly share one columns map (see BigQueryRowMapper): merge it once, not once per row
            Map<String, Map<String, ColumnType>> lastMerged = new java.util.HashMap<>();
            for (Pending p : rows) {
                if (lastMerged.put(p.row().tableId(), p.row().columns()) != p.row().columns()) {
                    columns.computeIfAbsent(p.row().tableId(), t -> new LinkedHashMap<>()).putAll(p.row().columns());
                }
                if (!p.row().keyColumns().isEmpty()) {
                    keys.putIfAbsent(p.row().tableId(), p.row().keyColumns());
                }
            }
            columns.forEach((table, cols) -> tables.ensure(table, cols, keys.getOrDefault(table, List.of())));
        }
        poison.forEach((record, error) -> {
            deadLetters.get().publish(SINK, DeadLetters.fromExchange(record, error, 1, exchange.getFromRouteId()));
            deadLettered.increment(DeadLetters.sourceTable(record));
        });
        Deque<Request> requests = requests(rows);
        exchange.setProperty(REQUESTS, requests);
        exchange.setProperty(PENDING, requests.size());
        List<Exchange> undelivered = new ArrayList<>();
        rows.forEach(p -> undelivered.add(p.origin()));
        exchange.getMessage().setBody(undelivered);
    }

    /** Cuts rows into requests: one table per request, at most batchSize rows and maxRequestBytes. */
    Deque<Request> requests(List<Pending> rows) {
        Map<String, List<Request>> byTable = new LinkedHashMap<>();
        for (Pending p : rows) {
            List<Request> list = byTable.computeIfAbsent(p.row().tableId(), t -> new ArrayList<>());
            Request last = list.isEmpty() ? null : list.get(list.size() - 1);
            if (last == null || last.rows.size() >= batchSize || (!last.rows.isEmpty() && last.bytes + p.bytes() > maxRequestBytes)) {
                last = new Request(p.row().tableId());
                list.add(last);
            }
            last.rows.add(p);
            last.bytes += p.bytes();
        }
        Deque<Request> out = new ArrayDeque<>();
        byTable.values().forEach(out::addAll);
        return out;
    }

    /**
     * A request sent alongside the batch's others (the route's split): its exchange takes the state of a batch of that
     * one request (its rows to send, its records as the body that is dead-lettered if it fails for good), so the
     * per-request steps below serve it unchanged.
     */
    public void request(Exchange exchange) {
        Request request = exchange.getMessage().getBody(Request.class);
        Deque<Request> own = new ArrayDeque<>();
        own.add(request);
        exchange.setProperty(REQUESTS, own);
        exchange.setProperty(PENDING, 1);
        List<Exchange> undelivered = new ArrayList<>(request.rows.size());
        request.rows.forEach(p -> undelivered.add(p.origin()));
        exchange.getMessage().setBody(undelivered);
    }

    /** Sets up the google-bigquery producer's input for the next request: one exchange per row. */
    public void nextRequest(Exchange exchange) {
        Request head = requests(exchange).peek();
        List<Exchange> rowExchanges = new ArrayList<>(head.rows.size());
        for (Pending p : head.rows) {
            Exchange row = new DefaultExchange(exchange.getContext());
            row.getMessage().setBody(p.row().values());
            row.getMessage().setHeader(GoogleBigQueryConstants.TABLE_ID, head.tableId);
            row.getMessage().setHeader(GoogleBigQueryConstants.INSERT_ID, p.row().insertId());
            rowExchanges.add(row);
        }
        exchange.setProperty(ExchangePropertyKey.GROUPED_EXCHANGE, rowExchanges);
    }

    /** BigQuery accepted the head request. */
    public void accepted(Exchange exchange) {
        Request head = requests(exchange).poll();
        exchange.removeProperty(ExchangePropertyKey.GROUPED_EXCHANGE.getName());
        delivered(exchange, head.rows);
        head.rows.forEach(p -> delivered.increment(DeadLetters.sourceTable(p.origin())));
        exchange.setProperty(PENDING, requests(exchange).size());
        LOG.debug("BigQuery accepted {} rows into {}", head.rows.size(), head.tableId);
    }

    /** BigQuery refused some rows of the head request: dead-letter those with its reason; the rest goes again. */
    public void rowErrors(Exchange exchange) {
        BigQueryRowErrorsException e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, BigQueryRowErrorsException.class);
        exchange.removeProperty(ExchangePropertyKey.GROUPED_EXCHANGE.getName());
        Deque<Request> requests = requests(exchange);
        Request head = requests.peek();
        List<Pending> rejected = new ArrayList<>();
        for (Pending p : head.rows) {
            List<BigQueryError> errors = e.errorsByInsertId().get(p.row().insertId());
            if (BigQueryRowErrorsException.rejected(errors)) {
                rejected.add(p);
            }
        }
        if (rejected.isEmpty()) {
            // errors but none names a row: nothing to dead-letter, let the error handler retry the request
            throw new IllegalStateException("BigQuery reported insert errors without a rejected row: " + e.getMessage());
        }
        for (Pending p : rejected) {
            String reason = BigQueryRowErrorsException.describe(e.errorsByInsertId().get(p.row().insertId()));
            deadLetters.get().publish(SINK, DeadLetters.fromExchange(p.origin(),
                    new PermanentDeliveryException("BigQuery rejected the row for " + head.tableId + ": " + reason), 1,
                    exchange.getFromRouteId()));
            deadLettered.increment(DeadLetters.sourceTable(p.origin()));
        }
        head.rows.removeAll(rejected);
        delivered(exchange, rejected);
        if (head.rows.isEmpty()) {
            requests.poll();
        }
        exchange.setProperty(PENDING, requests.size());
    }

    /** BigQuery refused the head request as a whole (not retryable): its rows go to the dead-letter topic. */
    public void requestRefused(Exchange exchange) {
        Throwable e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        exchange.removeProperty(ExchangePropertyKey.GROUPED_EXCHANGE.getName());
        Deque<Request> requests = requests(exchange);
        Request head = requests.poll();
        for (Pending p : head.rows) {
            deadLetters.get().publish(SINK, DeadLetters.fromExchange(p.origin(), e, 1, exchange.getFromRouteId()));
            deadLettered.increment(DeadLetters.sourceTable(p.origin()));
        }
        delivered(exchange, head.rows);
        exchange.setProperty(PENDING, requests.size());
    }

    /** Dry run: writes each request's rows as insertAll would send them, one JSON line per row. */
    public void writeDryRun(Exchange exchange) throws IOException {
        Deque<Request> requests = requests(exchange);
        for (Request r : requests) {
            StringBuilder lines = new StringBuilder();
            for (Pending p : r.rows) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("insertId", p.row().insertId());
                line.put("json", p.row().values());
                lines.append(BigQueryChange.JSON.writeValueAsString(line)).append('\n');
            }
            KafkaBatch.append(dryRunDir.resolve(r.tableId + ".jsonl"), lines.toString());
            delivered(exchange, r.rows);
            r.rows.forEach(p -> delivered.increment(DeadLetters.sourceTable(p.origin())));
        }
        requests.clear();
        exchange.setProperty(PENDING, 0);
    }

    /** Rows accepted by BigQuery (or written, in dry run) per source table {@code schema.table}, since start. */
    public Map<String, Long> deliveredCounts() {
        return delivered.snapshot();
    }


    /** Records this sink dead-lettered itself (poison, refused rows), per source table. */
    public Map<String, Long> deadLetteredCounts() {
        return deadLettered.snapshot();
    }


    /** Commits the batch's Kafka offsets: per partition, the manual commit of its last record. */
    public void commit(Exchange exchange) {
        KafkaBatch.commit(exchange, COMMITS);
    }


    @SuppressWarnings("unchecked")
    private static Deque<Request> requests(Exchange exchange) {
        Deque<Request> r = exchange.getProperty(REQUESTS, Deque.class);
        return r == null ? new ArrayDeque<>() : r;
    }

    /** Removes delivered (or dead-lettered) records from the body: they must not be dead-lettered again. */
    private static void delivered(Exchange exchange, List<Pending> rows) {
        Object body = exchange.getMessage().getBody();
        if (body instanceof List<?> list) {
            Set<Exchange> done = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            rows.forEach(p -> done.add(p.origin()));
            List<Exchange> rest = new ArrayList<>();
            for (Object o : list) {
                if (o instanceof Exchange ex && !done.contains(ex)) {
                    rest.add(ex);
                }
            }
            exchange.getMessage().setBody(rest);
        }
    }

    private static int size(BigQueryRowMapper.Row row) {
        // {"insertId":"...","json":{...}}, plus separators
        return (int) Math.min(Integer.MAX_VALUE, JsonSize.of(row.values()) + row.insertId().length() + 32);
    }
}
