package io.cdcbridge.bigquery;

import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.google.api.gax.rpc.ApiException;
import com.google.cloud.bigquery.storage.v1.BigQueryWriteClient;
import com.google.cloud.bigquery.storage.v1.Exceptions;
import com.google.cloud.bigquery.storage.v1.ProtoRows;
import com.google.cloud.bigquery.storage.v1.StreamWriter;
import io.cdcbridge.delivery.Outcome;
import io.cdcbridge.delivery.SinkClient;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The BigQuery sink's Storage Write protocol (docs/architecture.md §7, {@code cdc.bigquery.write-api=storage}): tables
 * are made and extended over REST exactly as on the insertAll path ({@link BigQueryClient#prepare}, {@link BigQueryTables}),
 * rows go to each table's {@code _default} stream through one {@link StreamWriter} per table, as protobuf messages
 * written straight from the mapped values ({@link StorageWriteRows}; at least once: no
 * offsets, no insertId; a retried request may store its rows twice, and the {@code _latest} view collapses repeats by
 * {@code _lsn} as it does for insertAll's best-effort deduplication).
 *
 * <p>Answers become {@link Outcome}s:
 * <ul>
 *   <li>row errors (a value its column cannot hold, {@link StorageWriteRows.BadValue}, found before sending; or the
 *   service's {@code row_errors}, {@link Exceptions.AppendSerializationError}; the service then stores none of the
 *   request) → {@link Outcome.ItemsRefused} with each bad row's message: those rows are dead-lettered with their cause,
 *   the others go again;</li>
 *   <li>a column the writer's schema lacks (added since it was opened) → the stream's schema read again once, then that
 *   row refused if the table still lacks it;</li>
 *   <li>NOT_FOUND (the table was deleted behind the bridge) → the table made again, then retried, as on insertAll;</li>
 *   <li>UNAVAILABLE, INTERNAL, ABORTED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED, UNKNOWN, a timeout, a closed
 *   writer ({@link Exceptions.StreamWriterClosedException}, FAILED_PRECONDITION from the client) → {@link Outcome.Retry}
 *   (a writer whose connection is gone is made again on the next attempt);</li>
 *   <li>INVALID_ARGUMENT for the request as a whole ("too large" among them) → {@link Outcome.RequestRefused},
 *   splittable, so the engine halves it until the bad row is alone or the halves fit;</li>
 *   <li>PERMISSION_DENIED, UNAUTHENTICATED → {@link Outcome.Stop}, naming the credentials setting.</li>
 * </ul>
 */
final class StorageWriteClient implements SinkClient<BigQueryRowMapper.Row>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(StorageWriteClient.class);

    private final BigQueryClient rest;
    private final BigQueryWriteClient write;
    private final String project;
    private final String dataset;
    private final BigQueryTables tables;
    private final Duration timeout;
    /** A table's open writer, the schema it was made with and (current tables) the schema version it was made for. */
    private record Writer(StreamWriter writer, StorageWriteRows.Shape shape, int version) {
        boolean isClosed() {
            return writer.isClosed();
        }

        void close() {
            writer.close();
        }
    }

    private final Map<String, Writer> writers = new ConcurrentHashMap<>();

    StorageWriteClient(BigQueryClient rest, BigQueryWriteClient write, String project, String dataset, BigQueryTables tables,
            Duration timeout) {
        this.rest = rest;
        this.write = write;
        this.project = project;
        this.dataset = dataset;
        this.tables = tables;
        this.timeout = timeout;
    }

    @Override
    public Outcome prepare(String table, List<BigQueryRowMapper.Row> rows) {
        return rest.prepare(table, rows);
    }

    /**
     * The REST client's warm-up, then one GetWriteStream of a stream that does not exist: the gRPC channel connected
     * (and, against Google, its token fetched) before the first batch. Measured: a cold start delivered its first four
     * tables one to three seconds apart while rows queued behind them (docs/benchmarks.md, "Soak").
     */
    @Override
    public void warmUp() {
        rest.warmUp();
        try {
            // one attempt, ten seconds at most (the client's own retry settings would retry an unreachable service for
            // ten minutes): a warm-up, not a check
            write.getWriteStreamCallable().call(com.google.cloud.bigquery.storage.v1.GetWriteStreamRequest.newBuilder()
                            .setName(streamName("cdc_bridge_warm_up_no_such_table")).build(),
                    com.google.api.gax.grpc.GrpcCallContext.createDefault()
                            .withRetrySettings(com.google.api.gax.retrying.RetrySettings.newBuilder().setMaxAttempts(1)
                                    .setTotalTimeoutDuration(Duration.ofSeconds(10)).setInitialRpcTimeoutDuration(Duration.ofSeconds(10))
                                    .setMaxRpcTimeoutDuration(Duration.ofSeconds(10)).build())
                            .withRetryableCodes(java.util.Set.of()));
        } catch (RuntimeException e) {
            LOG.debug("BigQuery Storage Write warm-up: {}", e.toString()); // NOT_FOUND, as asked; anything else the first append reports
        }
    }

    String streamName(String table) {
        return "projects/" + project + "/datasets/" + dataset + "/tables/" + table + "/streams/_default";
    }

    @Override
    public Outcome send(String table, List<BigQueryRowMapper.Row> rows) {
        List<Map<String, Object>> batch = new java.util.ArrayList<>(rows.size());
        for (BigQueryRowMapper.Row r : rows) {
            // the placed values (BigQueryClient#placed) as StorageWriteRows writes them, not copied: the encoder leaves
            // nulls out itself, and neither it nor CurrentTableRows#of changes the map. BYTES stay base64 text and
            // TIMESTAMP text, as on the insertAll path.
            batch.add(rest.placed(table, r));
        }
        boolean withCurrent = tables != null && tables.current(table) != null;
        String request = withCurrent ? changelogAppended.key(table, rows) : null;
        if (request != null && changelogAppended.contains(request)) {
            // the engine sends this request again after its _current part failed: the changelog has it already
            return afterChangelog(table, rows, batch, request);
        }
        Writer writer;
        ProtoRows encoded;
        try {
            writer = writers.computeIfAbsent(table, t -> open(t, streamName(t), false, 0));
            Encoded e = encode(table, batch, writer.shape());
            if (e.unknown() && writers.remove(table, writer)) {
                // a column added since the writer was opened: the stream's schema once more, a writer for it
                close(table, writer);
                writer = writers.computeIfAbsent(table, t -> open(t, streamName(t), false, 0));
                e = encode(table, batch, writer.shape());
            }
            if (!e.refused().isEmpty()) {
                return new Outcome.ItemsRefused(e.refused());
            }
            encoded = e.rows();
        } catch (RuntimeException e) {
            return failed(table, rows, e);
        }
        try {
            writer.writer().append(encoded).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return failed(table, rows, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            drop(table, writer);
            return Outcome.retry("BigQuery Storage Write: no answer for " + table + " within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.retry("interrupted", e);
        } catch (Exception e) {
            // append() itself throws the client's conversion errors (AppendSerializationError) and I/O failures
            return failed(table, rows, e);
        }
        return request == null ? sendCurrent(table, rows, batch) : afterChangelog(table, rows, batch, request);
    }

    /**
     * The {@code _current} part of a request whose changelog part is appended: remembered until it is delivered, so the
     * engine's next send of the same rows (a Retry, or the rest after refused items, or the halves of a refused
     * request: docs/architecture.md §6) appends only to {@code _current} and the changelog holds each row once.
     */
    private Outcome afterChangelog(String table, List<BigQueryRowMapper.Row> rows, List<Map<String, Object>> batch, String request) {
        Outcome o = sendCurrent(table, rows, batch);
        changelogAppended.forget(request);
        if (o instanceof Outcome.Retry || o instanceof Outcome.Stop) {
            // the same request again: the engine's retry, or the batch read again once the route is started again
            changelogAppended.remember(request);
        } else if (o instanceof Outcome.ItemsRefused refused) {
            // those items are dead-lettered (their changelog rows stay); the others come again, without them
            List<BigQueryRowMapper.Row> rest = new java.util.ArrayList<>();
            for (int i = 0; i < rows.size(); i++) {
                if (refused.reasons().get(i) == null) {
                    rest.add(rows.get(i));
                }
            }
            if (!rest.isEmpty()) {
                changelogAppended.remember(changelogAppended.key(table, rest));
            }
        } else if (o instanceof Outcome.RequestRefused refused && refused.splittable() && rows.size() > 1) {
            int half = rows.size() / 2;
            changelogAppended.remember(changelogAppended.key(table, rows.subList(0, half)));
            changelogAppended.remember(changelogAppended.key(table, rows.subList(half, rows.size())));
        }
        return o;
    }

    private final AppendedRequests changelogAppended = new AppendedRequests(4096);

    /** Requests whose changelog rows are appended and whose {@code _current} rows are not yet (for tests). */
    int changelogAppendedPending() {
        return changelogAppended.size();
    }

    /**
     * Requests (a table and its rows' insertIds, in order: the rows' identity, derived from table, LSN, operation and
     * key, the same when a request or its batch is sent again) whose changelog part was appended, in memory, bounded
     * (the oldest forgotten first). Lost on a restart, or forgotten: the changelog part goes again, at least once
     * (docs/bigquery.md, "Current-state tables").
     */
    static final class AppendedRequests {
        private final int max;
        private final Map<String, Boolean> keys;

        AppendedRequests(int max) {
            this.max = max;
            this.keys = new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                    return size() > AppendedRequests.this.max;
                }
            };
        }

        String key(String table, List<BigQueryRowMapper.Row> rows) {
            try {
                java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
                for (BigQueryRowMapper.Row r : rows) {
                    d.update(String.valueOf(r.insertId()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    d.update((byte) '\n');
                }
                return table + "/" + rows.size() + "/" + Base64.getEncoder().encodeToString(d.digest());
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e); // every JVM has SHA-256
            }
        }

        synchronized boolean contains(String key) {
            return keys.containsKey(key);
        }

        synchronized void remember(String key) {
            keys.put(key, Boolean.TRUE);
        }

        synchronized void forget(String key) {
            keys.remove(key);
        }

        synchronized int size() {
            return keys.size();
        }
    }

    /**
     * The same batch as CDC rows into {@code <table>_current} (docs/architecture.md §7), after the changelog took it: a
     * failure here makes the engine send the request again, and {@link #afterChangelog} makes that send skip the
     * changelog. Row errors are answered by the changelog row's index.
     */
    private Outcome sendCurrent(String table, List<BigQueryRowMapper.Row> rows, List<Map<String, Object>> changelog) {
        BigQueryTables.Current current = tables == null ? null : tables.current(table);
        if (current == null) {
            return Outcome.DELIVERED;
        }
        List<Map<String, Object>> cdc = new java.util.ArrayList<>();
        List<Integer> from = new java.util.ArrayList<>();
        List<Integer> truncates = new java.util.ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            BigQueryRowMapper.Row r = rows.get(i);
            Object op = r.values().get(BigQueryRowMapper.OP);
            CurrentTableRows.Skip skip = CurrentTableRows.skip(op instanceof String s ? s : null, r.values().get(BigQueryRowMapper.LSN),
                    r.values().get(BigQueryRowMapper.UNCHANGED));
            if (skip == CurrentTableRows.Skip.NONE) {
                cdc.add(CurrentTableRows.of(changelog.get(i), current.keyColumns()));
                from.add(i);
            } else if (skip == CurrentTableRows.Skip.TRUNCATE && r.values().get(BigQueryRowMapper.LSN) instanceof Number) {
                truncates.add(i);
            } else if (skip == CurrentTableRows.Skip.UNCHANGED_TOAST && skipLogged.add(table + ":" + skip)) {
                LOG.warn("BigQuery {}{}: an update left a TOAST column unchanged and did not carry it; BigQuery CDC has no "
                        + "partial upsert, so that update is not applied to the current table (the row stays at its previous "
                        + "state; capture re-selects such values unless cdc.capture.reselect-unchanged=false or the re-select failed, "
                        + "docs/bigquery.md, Current-state tables)", table, BigQueryTables.CURRENT_SUFFIX);
            }
        }
        String name = table + BigQueryTables.CURRENT_SUFFIX;
        if (!cdc.isEmpty()) {
            Outcome o = appendCurrent(table, name, current, cdc, from, rows);
            if (o != null) {
                return o;
            }
        }
        for (int t : truncates) {
            Outcome o = truncateCurrent(table, name, current, t, ((Number) rows.get(t).values().get(BigQueryRowMapper.LSN)).longValue(), rows);
            if (o != null) {
                return o;
            }
        }
        return Outcome.DELIVERED;
    }

    /** Rows per append of a truncate's DELETEs: key columns only, far below the 10 MB request limit. */
    static final int TRUNCATE_CHUNK = 10_000;
    /** {@link #TRUNCATE_CHUNK}; smaller in tests. */
    int truncateChunk = TRUNCATE_CHUNK;

    /**
     * A TRUNCATE at {@code lsn} on {@code <table>_current} (docs/architecture.md §7): BigQuery CDC has no truncate, so
     * every key the changelog holds at or before it (a query) gets a DELETE at the truncate's sequence number. A key
     * changed after the truncate has a higher number and stays; one written again later wins as well. Idempotent: the
     * same DELETEs again change nothing, so a failure sends the request again (its changelog part is remembered).
     */
    private Outcome truncateCurrent(String table, String name, BigQueryTables.Current current, int index, long lsn,
                                    List<BigQueryRowMapper.Row> rows) {
        String sequence = CurrentTableRows.sequenceNumber(lsn, "t");
        Outcome[] failed = {null};
        long keys;
        try {
            keys = rest.keysUpTo(table, current.keyColumns(), lsn, truncateChunk, chunk -> {
                List<Map<String, Object>> deletes = new java.util.ArrayList<>(chunk.size());
                List<Integer> from = new java.util.ArrayList<>(chunk.size());
                for (Map<String, Object> key : chunk) {
                    Map<String, Object> d = new LinkedHashMap<>(key);
                    d.put(BigQueryRowMapper.OP, "t");
                    d.put(BigQueryRowMapper.LSN, lsn);
                    d.put(CurrentTableRows.CHANGE_TYPE, "DELETE");
                    d.put(CurrentTableRows.CHANGE_SEQUENCE_NUMBER, sequence);
                    deletes.add(d);
                    from.add(index);
                }
                failed[0] = appendCurrent(table, name, current, deletes, from, rows);
                return failed[0] == null;
            });
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.retry("interrupted", e);
        } catch (com.google.cloud.bigquery.BigQueryException e) {
            String reason = "BigQuery query of the keys " + table + " held before its TRUNCATE at LSN " + lsn + " failed ("
                    + e.getCode() + " " + e.getReason() + "): " + e.getMessage();
            if (e.getCode() == 403 || e.getCode() == 400) {
                // refused, not unavailable: the truncate alone is dead-lettered with the cause (it is in the changelog; a
                // replay once the account may run query jobs applies it), the request's other rows go again
                return new Outcome.ItemsRefused(Map.of(index, reason + (e.getCode() == 403
                        ? " (applying a TRUNCATE to a current table runs a query job: the account needs bigquery.jobs.create, "
                        + "role BigQuery Job User, docs/bigquery.md)" : "")));
            }
            return Outcome.retry(reason, e);
        } catch (RuntimeException e) {
            return Outcome.retry("BigQuery query of the keys " + table + " held before its TRUNCATE at LSN " + lsn + " failed: "
                    + e.getMessage(), e);
        }
        if (failed[0] != null) {
            return failed[0];
        }
        if (keys > 0) {
            LOG.info("BigQuery {}: TRUNCATE at LSN {} applied to {} as DELETEs of the {} keys the changelog held before it",
                    table, lsn, name, keys);
        }
        return null;
    }

    /** One append to a current table; null when it was taken, else the Outcome (row errors by changelog index). */
    private Outcome appendCurrent(String table, String name, BigQueryTables.Current current, List<Map<String, Object>> cdc,
                                  List<Integer> from, List<BigQueryRowMapper.Row> rows) {
        try {
            Writer writer = currentWriter(name, current);
            Encoded e = encode(name, cdc, writer.shape());
            if (e.unknown()) {
                dropCurrent(name);
                writer = currentWriter(name, current);
                e = encode(name, cdc, writer.shape());
            }
            if (!e.refused().isEmpty()) {
                Map<Integer, String> refused = new LinkedHashMap<>();
                e.refused().forEach((i, m) -> refused.put(from.get(i), m));
                return new Outcome.ItemsRefused(refused);
            }
            writer.writer().append(e.rows()).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return null;
        } catch (ExecutionException e) {
            return failedCurrent(table, name, rows, from, e.getCause() == null ? e : e.getCause());
        } catch (TimeoutException e) {
            dropCurrent(name);
            return Outcome.retry("BigQuery Storage Write: no answer for " + name + " within " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.retry("interrupted", e);
        } catch (Exception e) {
            return failedCurrent(table, name, rows, from, e);
        }
    }

    private final Set<String> skipLogged = ConcurrentHashMap.newKeySet();

    private final Map<String, Writer> currentWriters = new ConcurrentHashMap<>();

    /** The writer of a current table (its schema plus the two CDC pseudo-columns); made again after the schema grew. */
    private Writer currentWriter(String name, BigQueryTables.Current current) {
        Writer w = currentWriters.get(name);
        if (w != null && w.version() == current.version() && !w.isClosed()) {
            return w;
        }
        if (w != null) {
            dropCurrent(name);
        }
        Writer made = open(name, streamName(name), true, current.version());
        currentWriters.put(name, made);
        return made;
    }

    private void dropCurrent(String name) {
        Writer w = currentWriters.remove(name);
        if (w != null) {
            close(name, w);
        }
    }

    private Outcome failedCurrent(String table, String name, List<BigQueryRowMapper.Row> rows, List<Integer> from, Throwable t) {
        if (t instanceof Exceptions.AppendSerializationError e && !e.getRowIndexToErrorMessage().isEmpty()) {
            Map<Integer, String> refused = new LinkedHashMap<>();
            e.getRowIndexToErrorMessage().forEach((i, m) -> refused.put(from.get(i), "BigQuery rejected the row for " + name + ": " + m));
            return new Outcome.ItemsRefused(refused);
        }
        Status.Code code = code(t);
        dropCurrent(name);
        String reason = "BigQuery Storage Write " + (code == null ? t.getClass().getSimpleName() : code) + " for " + name + ": "
                + t.getMessage();
        if (code == Status.Code.NOT_FOUND) {
            return remake(table, rows, reason, t);
        }
        if (code == Status.Code.PERMISSION_DENIED || code == Status.Code.UNAUTHENTICATED) {
            return new Outcome.Stop("BigQuery refused the credentials for the Storage Write API (" + code
                    + "): check cdc.bigquery.keyfile and the account's bigquery.tables.updateData permission");
        }
        if (code == Status.Code.INVALID_ARGUMENT || code == Status.Code.OUT_OF_RANGE) {
            return new Outcome.RequestRefused(reason, rows.size() > 1, t);
        }
        return Outcome.retry(reason, t);
    }

    /**
     * A writer of one table's {@code _default} stream, with the stream's current table schema (read with GetWriteStream,
     * as the client's JSON writer does) as its writer schema; a current table's also has the two CDC pseudo-columns,
     * which the service's schema answer does not name.
     */
    private Writer open(String table, String stream, boolean cdc, int version) {
        try {
            com.google.cloud.bigquery.storage.v1.TableSchema schema = write.getWriteStream(
                    com.google.cloud.bigquery.storage.v1.GetWriteStreamRequest.newBuilder().setName(stream)
                            .setView(com.google.cloud.bigquery.storage.v1.WriteStreamView.FULL).build()).getTableSchema();
            if (cdc) {
                com.google.cloud.bigquery.storage.v1.TableSchema.Builder b = schema.toBuilder();
                for (String pseudo : List.of(CurrentTableRows.CHANGE_TYPE, CurrentTableRows.CHANGE_SEQUENCE_NUMBER)) {
                    b.addFields(com.google.cloud.bigquery.storage.v1.TableFieldSchema.newBuilder().setName(pseudo)
                            .setType(com.google.cloud.bigquery.storage.v1.TableFieldSchema.Type.STRING)
                            .setMode(com.google.cloud.bigquery.storage.v1.TableFieldSchema.Mode.NULLABLE));
                }
                schema = b.build();
            }
            StorageWriteRows.Shape shape = StorageWriteRows.shape(schema);
            return new Writer(StreamWriter.newBuilder(stream, write).setWriterSchema(shape.protoSchema()).build(), shape, version);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot open the Storage Write stream of " + table + ": " + e.getMessage(), e);
        }
    }

    /** The rows of one append, or the rows refused (by index) and whether a column was unknown to the writer's schema. */
    private record Encoded(ProtoRows rows, Map<Integer, String> refused, boolean unknown) {
    }

    private static Encoded encode(String table, List<Map<String, Object>> batch, StorageWriteRows.Shape shape) {
        ProtoRows.Builder out = ProtoRows.newBuilder();
        Map<Integer, String> refused = new LinkedHashMap<>();
        boolean unknown = false;
        for (int i = 0; i < batch.size(); i++) {
            try {
                out.addSerializedRows(StorageWriteRows.encode(shape, batch.get(i)));
            } catch (StorageWriteRows.BadValue e) {
                refused.put(i, "BigQuery rejected the row for " + table + ": " + e.getMessage());
            } catch (StorageWriteRows.UnknownColumn e) {
                unknown = true;
                refused.put(i, "BigQuery rejected the row for " + table + ": " + e.getMessage());
            }
        }
        return new Encoded(out.build(), refused, unknown);
    }

    private void drop(String table, Writer writer) {
        if (writers.remove(table, writer)) {
            close(table, writer);
        }
    }

    private static void close(String table, Writer writer) {
        try {
            writer.close();
        } catch (RuntimeException e) {
            LOG.debug("closing the writer of {}: {}", table, e.toString());
        }
    }

    private Outcome failed(String table, List<BigQueryRowMapper.Row> rows, Throwable t) {
        if (t instanceof Exceptions.AppendSerializationError e && !e.getRowIndexToErrorMessage().isEmpty()) {
            Map<Integer, String> refused = new LinkedHashMap<>();
            e.getRowIndexToErrorMessage().forEach((i, m) -> refused.put(i, "BigQuery rejected the row for " + table + ": " + m));
            return new Outcome.ItemsRefused(refused);
        }
        Status.Code code = code(t);
        Writer w = writers.get(table);
        // a writer whose connection is gone is made again; one that merely carried an error answer goes on (dropping it
        // would fail the table's other requests in flight on it)
        if (w != null && (w.isClosed() || t instanceof Exceptions.StreamWriterClosedException || code == Status.Code.NOT_FOUND)) {
            drop(table, w);
        }
        if (t instanceof Exceptions.StreamWriterClosedException) {
            // FAILED_PRECONDITION from the client itself: the connection closed under this request, nothing was refused
            return Outcome.retry("BigQuery Storage Write connection for " + table + " closed: " + t.getMessage(), t);
        }
        String reason = "BigQuery Storage Write " + (code == null ? t.getClass().getSimpleName() : code) + " for " + table + ": "
                + t.getMessage();
        if (code == null) {
            return Outcome.retry(reason, t);
        }
        switch (code) {
            case NOT_FOUND:
                return remake(table, rows, reason, t);
            case UNAVAILABLE, INTERNAL, ABORTED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, CANCELLED, UNKNOWN:
                return Outcome.retry(reason, t);
            case PERMISSION_DENIED, UNAUTHENTICATED:
                return new Outcome.Stop("BigQuery refused the credentials for the Storage Write API (" + code
                        + "): check cdc.bigquery.keyfile and the account's bigquery.tables.updateData permission");
            case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION:
                return new Outcome.RequestRefused(reason, rows.size() > 1, t);
            default:
                return new Outcome.RequestRefused(reason, false, t);
        }
    }

    private Outcome remake(String table, List<BigQueryRowMapper.Row> rows, String reason, Throwable t) {
        tables.forget(table);
        Outcome made = rest.prepare(table, rows);
        if (!(made instanceof Outcome.Delivered)) {
            return made;
        }
        return new Outcome.Retry("BigQuery table " + dataset + "." + table + " was not found (deleted?): made again, its rows go "
                + "again: " + reason, 0, t);
    }

    static Status.Code code(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof StatusRuntimeException s) {
                return s.getStatus().getCode();
            }
            if (c instanceof ApiException a && a.getStatusCode() != null && a.getStatusCode().getCode() != null) {
                return Status.Code.valueOf(a.getStatusCode().getCode().name());
            }
        }
        return null;
    }

    @Override
    public void close() {
        writers.forEach((table, w) -> drop(table, w));
        new java.util.ArrayList<>(currentWriters.keySet()).forEach(this::dropCurrent);
        write.shutdown();
        try {
            write.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
