package io.cdcbridge.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import io.cdcbridge.support.Rows;
import org.junit.jupiter.api.Test;

/** The pure mapping of changelog rows to BigQuery CDC rows (docs/architecture.md §7, "Current-state tables"). */
class CurrentTableRowsTest {

    @Test
    void changeTypes() {
        assertThat(CurrentTableRows.changeType("c")).isEqualTo("UPSERT");
        assertThat(CurrentTableRows.changeType("u")).isEqualTo("UPSERT");
        assertThat(CurrentTableRows.changeType("r")).isEqualTo("UPSERT");
        assertThat(CurrentTableRows.changeType("d")).isEqualTo("DELETE");
        assertThat(CurrentTableRows.changeType("t")).isNull();
        assertThat(CurrentTableRows.changeType(null)).isNull();
    }

    @Test
    void sequenceNumbersAreTheLsnInHexThenZeroForSnapshotRowsOneForStreamedChanges() {
        assertThat(CurrentTableRows.sequenceNumber(22070608L, "u")).isEqualTo("150C550/1");
        assertThat(CurrentTableRows.sequenceNumber(22070608L, "r")).isEqualTo("150C550/0");
        assertThat(CurrentTableRows.sequenceNumber(255L, "d")).isEqualTo("FF/1");
        // the largest LSN Postgres can write fits one 16-digit section
        assertThat(CurrentTableRows.sequenceNumber(-1L, "c")).isEqualTo("FFFFFFFFFFFFFFFF/1");
        // the order BigQuery applies: section by section, unsigned
        assertThat(compare("FF/1", "100/0")).isNegative();
        assertThat(compare(CurrentTableRows.sequenceNumber(500, "r"), CurrentTableRows.sequenceNumber(500, "u"))).isNegative();
        assertThat(compare(CurrentTableRows.sequenceNumber(501, "r"), CurrentTableRows.sequenceNumber(500, "u"))).isPositive();
    }

    private static int compare(String a, String b) {
        String[] x = a.split("/");
        String[] y = b.split("/");
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = Long.compareUnsigned(Long.parseUnsignedLong(x[i], 16), Long.parseUnsignedLong(y[i], 16));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(x.length, y.length);
    }

    private static Map<String, Object> row(Object... namesAndValues) {
        return Rows.of(namesAndValues);
    }

    @Test
    void upsertsCarryTheWholeRowDeletesOnlyTheKey() {
        Map<String, Object> up = row("id", 4, "name", "Ana", "_op", "u", "_lsn", 16L);
        Map<String, Object> u = CurrentTableRows.of(up, List.of("id"));
        assertThat(u).containsEntry("_CHANGE_TYPE", "UPSERT").containsEntry("_CHANGE_SEQUENCE_NUMBER", "10/1").containsEntry("name", "Ana");
        assertThat(up).as("the changelog row is not changed").doesNotContainKey("_CHANGE_TYPE");

        Map<String, Object> d = CurrentTableRows.of(row("id", 4, "name", "x", "_op", "d", "_lsn", 17L), List.of("id"));
        assertThat(d).containsEntry("_CHANGE_TYPE", "DELETE").doesNotContainKey("name").containsEntry("id", 4);
    }

    @Test
    void truncatesUpdatesWithUnchangedToastAndRowsWithoutChangeAreSkipped() {
        assertThat(CurrentTableRows.skip("t", 5L, null)).isEqualTo(CurrentTableRows.Skip.TRUNCATE);
        assertThat(CurrentTableRows.skip("u", 5L, "body")).isEqualTo(CurrentTableRows.Skip.UNCHANGED_TOAST);
        assertThat(CurrentTableRows.skip("u", 5L, null)).isEqualTo(CurrentTableRows.Skip.NONE);
        assertThat(CurrentTableRows.skip(null, null, null)).isEqualTo(CurrentTableRows.Skip.NO_CHANGE);
        assertThat(CurrentTableRows.skip("c", null, null)).isEqualTo(CurrentTableRows.Skip.NO_CHANGE);
        assertThat(CurrentTableRows.of(row("id", 1, "_op", "u", "_lsn", 9L, "_unchanged", "body"), List.of("id"))).isNull();
    }
}
