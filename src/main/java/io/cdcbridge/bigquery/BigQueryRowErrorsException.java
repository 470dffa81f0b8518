package io.cdcbridge.bigquery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.google.cloud.bigquery.BigQueryError;
import com.google.cloud.bigquery.InsertAllRequest;
import com.google.cloud.bigquery.InsertAllResponse;

/**
 * An insertAll that BigQuery answered with per-row insert errors. Carries BigQuery's errors by the row's insertId, so
 * the rejected rows can be dead-lettered with BigQuery's reason and the others (reason {@code stopped}: not inserted
 * because a neighbour was invalid) sent again.
 */
public class BigQueryRowErrorsException extends RuntimeException {

    private final Map<String, List<BigQueryError>> errorsByInsertId;

    public BigQueryRowErrorsException(String table, InsertAllRequest request, InsertAllResponse response) {
        super("insertAll into " + table + ": " + response.getInsertErrors().size() + " of " + request.getRows().size()
                + " rows not inserted");
        Map<String, List<BigQueryError>> m = new LinkedHashMap<>();
        response.getInsertErrors().forEach((index, errors) -> {
            InsertAllRequest.RowToInsert row = request.getRows().get(index.intValue());
            m.put(row.getId() != null ? row.getId() : "#" + index, errors);
        });
        this.errorsByInsertId = m;
    }

    public Map<String, List<BigQueryError>> errorsByInsertId() {
        return errorsByInsertId;
    }

    /** Whether BigQuery refused this row itself (not merely stopped because of another row). */
    public static boolean rejected(List<BigQueryError> errors) {
        return errors != null && errors.stream().anyMatch(e -> !"stopped".equals(e.getReason()));
    }

    /** BigQuery's reason(s) for one row, as one line. */
    public static String describe(List<BigQueryError> errors) {
        return errors.stream().filter(e -> !"stopped".equals(e.getReason()))
                .map(e -> e.getReason() + (e.getLocation() == null || e.getLocation().isEmpty() ? "" : " at " + e.getLocation())
                        + ": " + e.getMessage())
                .collect(Collectors.joining("; "));
    }
}
