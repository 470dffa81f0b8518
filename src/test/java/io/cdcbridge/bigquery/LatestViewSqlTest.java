package io.cdcbridge.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class LatestViewSqlTest {

    private static LatestViewSql.Column c(String name, String type) {
        return new LatestViewSql.Column(name, type, false);
    }

    private static final List<LatestViewSql.Column> META = List.of(c("_op", "STRING"), c("_lsn", "INT64"), c("_tx_id", "INT64"),
            c("_source_ts", "TIMESTAMP"), c("_ingested_at", "TIMESTAMP"), c("_unchanged", "STRING"));

    private static List<LatestViewSql.Column> with(LatestViewSql.Column... source) {
        List<LatestViewSql.Column> all = new java.util.ArrayList<>(List.of(source));
        all.addAll(META);
        return all;
    }

    @Test
    void keyedTableGroupsByTheKeyAndCarriesToastableColumnsForward() {
        String sql = LatestViewSql.bigQuery("p", "d", "t",
                with(c("Id", "INT64"), c("Qty", "INT64"), c("Body", "STRING"), c("Doc", "JSON"), new LatestViewSql.Column("Tags", "STRING", true)),
                List.of("Id"));
        assertThat(sql).startsWith("SELECT `Id`, `Qty`, `Body`, `Doc`, `Tags`, `_op`, `_lsn`, `_tx_id`, `_source_ts`, `_ingested_at`\n");
        assertThat(sql).contains("FROM `p.d.t`", "ROW_NUMBER() OVER (PARTITION BY `Id` ORDER BY `_lsn` DESC, `_ingested_at` DESC)",
                "WHERE `_rn` = 1 AND `_op` <> 'd'");
        assertThat(sql).contains("FIRST_VALUE(`Body`)", "FIRST_VALUE(`Doc`)", "FIRST_VALUE(`Tags`)").doesNotContain("FIRST_VALUE(`Qty`)")
                .doesNotContain("FIRST_VALUE(`Id`)");
        assertThat(sql).contains("',Body,'").doesNotContain("?");
        assertThat(sql.lines().findFirst().orElseThrow()).doesNotContain("_unchanged");
    }

    @Test
    void keylessTableGroupsByGroupableColumns() {
        String sql = LatestViewSql.bigQuery("p", "d", "t",
                with(c("BookId", "INT64"), c("Value", "FLOAT64"), c("Doc", "JSON"), new LatestViewSql.Column("Tags", "INT64", true)), List.of());
        assertThat(sql).contains("ROW_NUMBER() OVER (PARTITION BY `BookId`, CAST(`Value` AS STRING) ORDER BY");
    }

    @Test
    void tablesWithoutTheUnchangedColumnGetThePlainView() {
        String sql = LatestViewSql.bigQuery("p", "d", "t", List.of(c("Id", "INT64"), c("Body", "STRING"), c("_op", "STRING"),
                c("_lsn", "INT64"), c("_ingested_at", "TIMESTAMP")), List.of("Id"));
        assertThat(sql).doesNotContain("FIRST_VALUE").contains("FROM `p.d.t`\n");
    }

    @Test
    void theViewCountsOnlyChangesAfterTheLatestTruncate() {
        String sql = LatestViewSql.bigQuery("p", "d", "t", with(c("Id", "INT64"), c("Body", "STRING")), List.of("Id"));
        assertThat(sql).contains("WHERE `_lsn` > (SELECT COALESCE(MAX(`_lsn`), -1) FROM `p.d.t` WHERE `_op` = 't')");
        String keyless = LatestViewSql.bigQuery("p", "d", "t", List.of(c("Id", "INT64"), c("_op", "STRING"), c("_lsn", "INT64"),
                c("_ingested_at", "TIMESTAMP")), List.of());
        assertThat(keyless).contains("WHERE `_lsn` > (SELECT COALESCE(MAX(`_lsn`), -1) FROM `p.d.t` WHERE `_op` = 't')");
    }
}
