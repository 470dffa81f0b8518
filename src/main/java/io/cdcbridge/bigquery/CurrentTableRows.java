package io.cdcbridge.bigquery;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;


/**
 * The rows of a keyed table's current-state table {@code <table>_current} (docs/architecture.md §7, "Current-state
 * tables"): BigQuery CDC upserts on the table's {@code _default} stream. Pure: a changelog row in, its CDC row out.
 *
 * <p>The sequence number is {@code <lsn as hex>/<0 for a snapshot or backfill row, 1 for a streamed change>}: per key
 * the change LSN grows with every change (the row lock orders the writers, and the changes of one transaction have
 * increasing LSNs), so BigQuery keeps the latest; a snapshot row sharing an LSN with a streamed change of its key loses
 * the tie; a replayed row carries the same number as before, so it changes nothing.
 */
final class CurrentTableRows {

    static final String CHANGE_TYPE = "_CHANGE_TYPE";
    static final String CHANGE_SEQUENCE_NUMBER = "_CHANGE_SEQUENCE_NUMBER";
    /** BigQuery's limit of primary-key columns for CDC. */
    static final int MAX_KEY_COLUMNS = 16;

    /** Why a row gets no CDC row: the caller logs it once per table. */
    enum Skip { NONE, TRUNCATE, UNCHANGED_TOAST, NO_CHANGE }

    private CurrentTableRows() {
    }

    /** {@code UPSERT} for a snapshot row, insert or update, {@code DELETE} for a delete, null for anything else. */
    static String changeType(String op) {
        if (op == null) {
            return null;
        }
        return switch (op) {
            case "r", "c", "u" -> "UPSERT";
            case "d" -> "DELETE";
            default -> null;
        };
    }

    /** BigQuery's format: hex sections separated by '/', compared section by section. */
    static String sequenceNumber(long lsn, String op) {
        return Long.toHexString(lsn).toUpperCase(Locale.ROOT) + ("r".equals(op) ? "/0" : "/1");
    }

    /** Whether this changelog row has no CDC row, and why. */
    static Skip skip(String op, Object lsn, Object unchanged) {
        if ("t".equals(op)) {
            return Skip.TRUNCATE;
        }
        if (changeType(op) == null || !(lsn instanceof Number)) {
            return Skip.NO_CHANGE;
        }
        if ("u".equals(op) && unchanged != null) {
            // BigQuery CDC has no partial upsert: an UPSERT without the column would null it
            return Skip.UNCHANGED_TOAST;
        }
        return Skip.NONE;
    }

    /**
     * The CDC row of a changelog row (as {@link StorageWriteClient#values} made it): an UPSERT carries the whole row, a
     * DELETE only the key columns; both with the pseudo-columns. Null when {@link #skip} is not NONE. The changelog row
     * is not changed.
     */
    static Map<String, Object> of(Map<String, Object> changelog, List<String> keyColumns) {
        Object o = changelog.get(BigQueryRowMapper.OP);
        String op = o instanceof String s ? s : null;
        Object lsn = changelog.get(BigQueryRowMapper.LSN);
        if (skip(op, lsn, changelog.get(BigQueryRowMapper.UNCHANGED)) != Skip.NONE) {
            return null;
        }
        String type = changeType(op);
        Map<String, Object> out;
        if ("DELETE".equals(type)) {
            out = new LinkedHashMap<>();
            for (String k : keyColumns) {
                if (changelog.get(k) != null) {
                    out.put(k, changelog.get(k));
                }
            }
            out.put(BigQueryRowMapper.OP, op);
            out.put(BigQueryRowMapper.LSN, lsn);
        } else {
            out = new LinkedHashMap<>(changelog);
        }
        out.put(CHANGE_TYPE, type);
        out.put(CHANGE_SEQUENCE_NUMBER, sequenceNumber(((Number) lsn).longValue(), op));
        return out;
    }
}
