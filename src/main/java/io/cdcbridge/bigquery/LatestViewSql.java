package io.cdcbridge.bigquery;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The latest-state view over a changelog table (DESIGN.md §4): per key the row with the highest {@code _lsn}, and no
 * row at all when that newest change is a delete. Written in SQL that BigQuery and Postgres both run once the
 * identifier quoting is swapped (backticks for double quotes), so its semantics are tested on a real database.
 *
 * <p>Keyless tables have no key to group by: their view groups by all source columns, which hides a deleted row
 * (REPLICA IDENTITY FULL gives its full before image) but keeps the old image of an updated row.
 */
public final class LatestViewSql {

    private LatestViewSql() {
    }

    /**
     * @param tableRef   the changelog table as the dialect names it, already quoted
     * @param columns    all columns of the changelog table (source and metadata), in schema order
     * @param keyColumns the primary-key columns (empty for a keyless table)
     * @param quote      the dialect's identifier quote character
     */
    public static String query(String tableRef, List<String> columns, List<String> keyColumns, char quote) {
        List<String> partition = keyColumns.isEmpty()
                ? columns.stream().filter(c -> !BigQueryRowMapper.METADATA.containsKey(c)).toList()
                : keyColumns;
        String select = columns.stream().map(c -> q(c, quote)).collect(Collectors.joining(", "));
        String by = partition.stream().map(c -> q(c, quote)).collect(Collectors.joining(", "));
        return "SELECT " + select + "\n"
                + "FROM (\n"
                + "  SELECT *, ROW_NUMBER() OVER (PARTITION BY " + by + " ORDER BY " + q(BigQueryRowMapper.LSN, quote) + " DESC, "
                + q(BigQueryRowMapper.INGESTED_AT, quote) + " DESC) AS " + q("_rn", quote) + "\n"
                + "  FROM " + tableRef + "\n"
                + ") AS " + q("latest", quote) + "\n"
                + "WHERE " + q("_rn", quote) + " = 1 AND " + q(BigQueryRowMapper.OP, quote) + " <> 'd'";
    }

    /** The BigQuery form: {@code `project.dataset.table`}. */
    public static String bigQuery(String project, String dataset, String table, List<String> columns, List<String> keyColumns) {
        return query("`" + project + "." + dataset + "." + table + "`", columns, keyColumns, '`');
    }

    private static String q(String identifier, char quote) {
        return quote + identifier + quote;
    }
}
