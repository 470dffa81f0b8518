package io.cdcbridge.bigquery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryError;
import com.google.cloud.bigquery.InsertAllRequest;
import com.google.cloud.bigquery.InsertAllResponse;
import com.google.cloud.bigquery.TableId;
import io.cdcbridge.delivery.Outcome;
import io.cdcbridge.delivery.SinkClient;

/**
 * The BigQuery sink's protocol (docs/architecture.md §7): {@link #prepare} creates or extends a changelog table and its
 * {@code _latest} view, {@link #send} is one {@code tabledata.insertAll} with each row's insertId, and BigQuery's
 * answers become {@link Outcome}s: per-row insert errors → the rows BigQuery refused (rows only {@code stopped} by a
 * neighbour go again); 408/429/5xx, {@code rateLimitExceeded} and friends, I/O → retry; any other error → the request
 * refused.
 */
final class BigQueryClient implements SinkClient<BigQueryRowMapper.Row> {

    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(BigQueryClient.class);

    private final BigQuery bigQuery;
    private final String project;
    private final String dataset;
    private final BigQueryTables tables;

    BigQueryClient(BigQuery bigQuery, String project, String dataset, BigQueryTables tables) {
        this.bigQuery = bigQuery;
        this.project = project;
        this.dataset = dataset;
        this.tables = tables;
    }

    @Override
    public Outcome prepare(String table, List<BigQueryRowMapper.Row> rows) {
        Map<String, ColumnType> columns = new LinkedHashMap<>();
        List<String> keys = List.of();
        // a table's rows mostly share one columns map (see BigQueryRowMapper): merge it once, not once per row
        Map<String, ColumnType> last = null;
        java.util.Set<Map<String, ColumnType>> distinct = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (BigQueryRowMapper.Row r : rows) {
            if (r.columns() != last) {
                columns.putAll(r.columns());
                last = r.columns();
                distinct.add(last);
            }
            if (keys.isEmpty() && !r.keyColumns().isEmpty()) {
                keys = r.keyColumns();
            }
        }
        try {
            tables.ensure(table, columns, keys);
            if (distinct.size() > 1) {
                // rows from before and after a type change: each type's column must exist (the merge kept one type)
                for (Map<String, ColumnType> c : distinct) {
                    tables.ensure(table, c, keys);
                }
            }
            return Outcome.DELIVERED;
        } catch (RuntimeException e) {
            return outcome(e);
        }
    }

    /**
     * The row's values under the columns they go to: a column whose type changed incompatibly has its values in its
     * retyped column ({@link BigQueryTables#column}); the row's own map when nothing moves (nearly always).
     */
    Map<String, Object> placed(String table, BigQueryRowMapper.Row r) {
        Map<String, Object> out = null;
        Map<String, String> moved = null;
        for (Map.Entry<String, ColumnType> c : r.columns().entrySet()) {
            String to = tables == null ? c.getKey() : tables.column(table, c.getKey(), c.getValue());
            if (!to.equals(c.getKey())) {
                if (out == null) {
                    out = new LinkedHashMap<>(r.values());
                    moved = new LinkedHashMap<>();
                }
                moved.put(c.getKey(), to);
                if (out.containsKey(c.getKey())) {
                    out.put(to, out.remove(c.getKey()));
                }
            }
        }
        if (out != null && out.get(BigQueryRowMapper.UNCHANGED) instanceof String unchanged) {
            // the latest view reads _unchanged per column: a TOAST value left unchanged is the retyped column's
            Map<String, String> m = moved;
            out.put(BigQueryRowMapper.UNCHANGED, java.util.Arrays.stream(unchanged.split(","))
                    .map(n -> m.getOrDefault(n, n)).collect(Collectors.joining(",")));
        }
        return out == null ? r.values() : out;
    }

    /** The dataset read once: the HTTP connection and the OAuth token made before the first batch needs them. */
    @Override
    public void warmUp() {
        try {
            bigQuery.getDataset(dataset);
        } catch (RuntimeException e) {
            LOG.debug("BigQuery warm-up: {}", e.toString()); // the first request reports it, with its outcome
        }
    }

    @Override
    public Outcome send(String table, List<BigQueryRowMapper.Row> rows) {
        InsertAllRequest.Builder request = InsertAllRequest.newBuilder(TableId.of(project, dataset, table));
        for (BigQueryRowMapper.Row r : rows) {
            request.addRow(r.insertId(), placed(table, r));
        }
        InsertAllResponse response;
        try {
            response = bigQuery.insertAll(request.build());
        } catch (RuntimeException e) {
            if (notFound(e)) {
                return remake(table, rows, e);
            }
            return outcome(e);
        }
        if (!response.hasErrors()) {
            return Outcome.DELIVERED;
        }
        Map<Integer, String> refused = new LinkedHashMap<>();
        response.getInsertErrors().forEach((index, errors) -> {
            if (rejected(errors)) {
                refused.put(index.intValue(), "BigQuery rejected the row for " + table + ": " + describe(errors));
            }
        });
        // none refused by itself (all "stopped"): ItemsRefused without reasons is retried as a whole
        return new Outcome.ItemsRefused(refused);
    }

    /**
     * The table (or its dataset) is gone although it was made: deleted behind the bridge's back (a dataset's default
     * table expiration, an operator). The cache is dropped, the table and its view made again, and the rows sent again
     * after the engine's backoff (BigQuery may answer notFound for a short while after a table is made again); they are
     * dead-lettered only if it is still missing once the retries are spent.
     */
    private Outcome remake(String table, List<BigQueryRowMapper.Row> rows, RuntimeException e) {
        tables.forget(table);
        Outcome made = prepare(table, rows);
        if (!(made instanceof Outcome.Delivered)) {
            return made;
        }
        return new Outcome.Retry("BigQuery table " + dataset + "." + table + " was not found (deleted?): made again, "
                + "its rows go again: " + e.getMessage(), 0, e);
    }

    /** 404 notFound: the table or dataset does not exist. */
    static boolean notFound(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof com.google.cloud.bigquery.BigQueryException b) {
                return b.getCode() == 404 || (b.getError() != null && "notFound".equals(b.getError().getReason()));
            }
        }
        return false;
    }

    static Outcome outcome(RuntimeException e) {
        if (BigQueryFailures.retryable(e)) {
            return new Outcome.Retry(e.getClass().getSimpleName() + ": " + e.getMessage(), 0, e);
        }
        RuntimeException permanent = BigQueryFailures.classify(e);
        return new Outcome.RequestRefused(permanent.getMessage(), false, permanent);
    }

    /** Whether BigQuery refused this row itself (not merely stopped because of another row). */
    static boolean rejected(List<BigQueryError> errors) {
        return errors != null && errors.stream().anyMatch(e -> !"stopped".equals(e.getReason()));
    }

    /** BigQuery's reason(s) for one row, as one line. */
    static String describe(List<BigQueryError> errors) {
        return errors.stream().filter(e -> !"stopped".equals(e.getReason()))
                .map(e -> e.getReason() + (e.getLocation() == null || e.getLocation().isEmpty() ? "" : " at " + e.getLocation())
                        + ": " + e.getMessage())
                .collect(Collectors.joining("; "));
    }

    /**
     * The statement of {@link #keysUpTo}: every key the changelog holds at or before {@code lsn} (docs/architecture.md
     * §7, TRUNCATE on current tables). Names are the sanitized BigQuery names (letters, digits, '_': nothing to escape in
     * backticks), the LSN a number.
     */
    static String keysUpToSql(String project, String dataset, String table, List<String> keyColumns, long lsn) {
        return "SELECT DISTINCT " + keyColumns.stream().map(k -> "`" + k + "`").collect(Collectors.joining(", "))
                + " FROM `" + project + "." + dataset + "." + table + "` WHERE `" + BigQueryRowMapper.LSN + "` <= " + lsn;
    }

    /**
     * The keys of {@code table}'s changelog rows at or before {@code lsn}, as JSON values the Storage Write client takes
     * (INT64 as long, TIMESTAMP as epoch microseconds, BYTES as bytes, the rest as text); a key with a NULL part (a
     * truncate's own row) is left out. A query job, billed by the bytes of the key columns and {@code _lsn} it scans.
     * Handed to {@code chunks} {@code chunkSize} at a time as the result's pages arrive (a table of millions of keys is
     * never held whole); {@code chunks} returns false to stop.
     */
    long keysUpTo(String table, List<String> keyColumns, long lsn, int chunkSize,
                  java.util.function.Predicate<List<Map<String, Object>>> chunks) throws InterruptedException {
        com.google.cloud.bigquery.TableResult result = bigQuery.query(com.google.cloud.bigquery.QueryJobConfiguration
                .newBuilder(keysUpToSql(project, dataset, table, keyColumns, lsn)).setUseLegacySql(false).build());
        com.google.cloud.bigquery.FieldList fields = result.getSchema().getFields();
        List<Map<String, Object>> chunk = new java.util.ArrayList<>();
        long total = 0;
        rows:
        for (com.google.cloud.bigquery.FieldValueList row : result.iterateAll()) {
            Map<String, Object> key = new LinkedHashMap<>();
            for (int i = 0; i < fields.size(); i++) {
                com.google.cloud.bigquery.FieldValue v = row.get(i);
                if (v.isNull()) {
                    continue rows;
                }
                com.google.cloud.bigquery.StandardSQLTypeName type = fields.get(i).getType().getStandardType();
                key.put(fields.get(i).getName(), switch (type) {
                    case INT64 -> v.getLongValue();
                    case BOOL -> v.getBooleanValue();
                    case FLOAT64 -> v.getDoubleValue();
                    case TIMESTAMP -> v.getTimestampValue();
                    case BYTES -> com.google.protobuf.ByteString.copyFrom(v.getBytesValue());
                    default -> v.getStringValue();
                });
            }
            chunk.add(key);
            total++;
            if (chunk.size() >= chunkSize) {
                if (!chunks.test(chunk)) {
                    return -1;
                }
                chunk = new java.util.ArrayList<>();
            }
        }
        if (!chunk.isEmpty() && !chunks.test(chunk)) {
            return -1;
        }
        return total;
    }
}
