package io.cdcbridge.bigquery;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The latest-state view over a changelog table (docs/architecture.md §7): per key the newest row by {@code _lsn}, no row when
 * that newest change is a delete, and none of a change before the table's latest TRUNCATE. The SQL runs on BigQuery and, once identifiers are quoted with double quotes and
 * {@code STRING} reads {@code TEXT}, on Postgres, so its semantics are tested on a real database.
 *
 * <p>TOAST: an update that leaves a large value unchanged does not carry it; the changelog row lists such columns in
 * {@code _unchanged}. For every column that can be TOASTed (strings, bytes, JSON, numeric, arrays) the view takes the
 * value from the newest row of the key that did carry the column, not the null of the newest row.
 *
 * <p>A table without primary key has no key to group by: its view groups by all source columns (floats as text;
 * JSON and array columns cannot be grouped by in BigQuery and are left out of the grouping), which hides a deleted row
 * (REPLICA IDENTITY FULL gives its full before image) but keeps the old image of an updated row next to the new one.
 */
public final class LatestViewSql {

    /** One column of the changelog table: standard SQL type name, and whether it is an array. */
    public record Column(String name, String type, boolean repeated) {
    }

    private static final Set<String> TOASTABLE = Set.of(ColumnType.STRING, ColumnType.BYTES, ColumnType.JSON,
            ColumnType.BIGNUMERIC, "NUMERIC");

    private LatestViewSql() {
    }

    /**
     * @param tableRef   the changelog table as the dialect names it, already quoted
     * @param columns    all columns of the changelog table (source and metadata), in schema order
     * @param keyColumns the primary-key columns (empty for a keyless table)
     * @param quote      the dialect's identifier quote character
     */
    public static String query(String tableRef, List<Column> columns, List<String> keyColumns, char quote) {
        boolean tracksUnchanged = columns.stream().anyMatch(c -> c.name().equals(BigQueryRowMapper.UNCHANGED));
        List<String> partition = new ArrayList<>();
        if (!keyColumns.isEmpty()) {
            keyColumns.forEach(k -> partition.add(q(k, quote)));
        } else {
            for (Column c : columns) {
                if (BigQueryRowMapper.METADATA.containsKey(c.name()) || c.repeated() || ColumnType.JSON.equals(c.type())) {
                    continue;
                }
                partition.add(ColumnType.FLOAT64.equals(c.type()) ? "CAST(" + q(c.name(), quote) + " AS STRING)" : q(c.name(), quote));
            }
        }
        String by = String.join(", ", partition);
        String order = q(BigQueryRowMapper.LSN, quote) + ", " + q(BigQueryRowMapper.INGESTED_AT, quote);
        String orderDesc = q(BigQueryRowMapper.LSN, quote) + " DESC, " + q(BigQueryRowMapper.INGESTED_AT, quote) + " DESC";

        List<Column> shown = columns.stream().filter(c -> !c.name().equals(BigQueryRowMapper.UNCHANGED)).toList();
        StringBuilder groups = new StringBuilder();
        List<String> middle = new ArrayList<>();
        int g = 0;
        for (Column c : shown) {
            boolean toast = tracksUnchanged && !keyColumns.contains(c.name()) && !BigQueryRowMapper.METADATA.containsKey(c.name())
                    && (c.repeated() || TOASTABLE.contains(c.type()));
            if (!toast) {
                middle.add(q(c.name(), quote));
                continue;
            }
            String group = q("_g" + g++, quote);
            // a running count of the rows that carried the column: each such row starts a group, and the rows after it
            // that did not carry the column (TOAST unchanged) fall in its group and take its value
            groups.append(",\n      COUNT(CASE WHEN STRPOS(CONCAT(',', COALESCE(").append(q(BigQueryRowMapper.UNCHANGED, quote))
                    .append(", ''), ','), ',").append(c.name()).append(",') = 0 THEN 1 END) OVER (PARTITION BY ").append(by)
                    .append(" ORDER BY ").append(order).append(" ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS ").append(group);
            middle.add("FIRST_VALUE(" + q(c.name(), quote) + ") OVER (PARTITION BY " + by + ", " + group + " ORDER BY " + order
                    + ") AS " + q(c.name(), quote));
        }
        String select = shown.stream().map(c -> q(c.name(), quote)).collect(Collectors.joining(", "));
        String since = sinceLatestTruncate(tableRef, quote);
        String inner = groups.length() == 0 ? since
                : "(\n    SELECT *" + groups + "\n    FROM " + since + "\n  ) AS " + q("changes", quote);
        return "SELECT " + select + "\n"
                + "FROM (\n"
                + "  SELECT " + String.join(", ", middle) + ",\n"
                + "    ROW_NUMBER() OVER (PARTITION BY " + by + " ORDER BY " + orderDesc + ") AS " + q("_rn", quote) + "\n"
                + "  FROM " + inner + "\n"
                + ") AS " + q("latest", quote) + "\n"
                + "WHERE " + q("_rn", quote) + " = 1 AND " + q(BigQueryRowMapper.OP, quote) + " <> 'd'";
    }

    /**
     * The changelog rows after the table's latest TRUNCATE (op {@code t}, docs/architecture.md §4): a truncate empties
     * the table, so every change at or before its LSN is left out (the truncate rows too), and a key's rows written
     * after it count from an insert again, whose TOAST-able values are all carried. Without a truncate, every row.
     */
    static String sinceLatestTruncate(String tableRef, char quote) {
        String lsn = q(BigQueryRowMapper.LSN, quote);
        return "(\n    SELECT * FROM " + tableRef + "\n    WHERE " + lsn + " > (SELECT COALESCE(MAX(" + lsn + "), -1) FROM "
                + tableRef + " WHERE " + q(BigQueryRowMapper.OP, quote) + " = 't')\n  ) AS " + q("since_truncate", quote);
    }

    /** The BigQuery form: {@code `project.dataset.table`}. */
    public static String bigQuery(String project, String dataset, String table, List<Column> columns, List<String> keyColumns) {
        return query("`" + project + "." + dataset + "." + table + "`", columns, keyColumns, '`');
    }

    private static String q(String identifier, char quote) {
        return quote + identifier + quote;
    }
}
