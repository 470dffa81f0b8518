package io.cdcbridge.bigquery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.BigQueryOptions;
import io.cdcbridge.errors.PermanentDeliveryException;
import io.cdcbridge.support.FakeBigQuery;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BigQueryTablesTest {

    FakeBigQuery fake;
    BigQuery bq;
    BigQueryTables tables;

    @BeforeEach
    void start() {
        fake = FakeBigQuery.start();
        bq = BigQueryOptions.newBuilder().setProjectId("p").setHost(fake.endpoint()).setCredentials(NoCredentials.getInstance())
                .setRetrySettings(ServiceOptions.getNoRetrySettings()).build().getService();
        tables = new BigQueryTables(bq, "p", "ds");
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private static Map<String, ColumnType> cols(Object... nameType) {
        Map<String, ColumnType> m = new LinkedHashMap<>();
        for (int i = 0; i < nameType.length; i += 2) {
            m.put((String) nameType[i], (ColumnType) nameType[i + 1]);
        }
        return m;
    }

    @Test
    void createsDatasetTableWithMetadataColumnsAndView() {
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "tags", new ColumnType("STRING", true)), List.of("id"));
        assertThat(fake.hasDataset("p", "ds")).isTrue();
        assertThat(fake.schema("p", "ds", "t")).containsExactly(Map.entry("id", "INTEGER"), Map.entry("tags", "STRING[]"),
                Map.entry("_op", "STRING"), Map.entry("_lsn", "INTEGER"), Map.entry("_tx_id", "INTEGER"),
                Map.entry("_source_ts", "TIMESTAMP"), Map.entry("_ingested_at", "TIMESTAMP"), Map.entry("_unchanged", "STRING"),
                Map.entry("_unrepresentable", "STRING"));
        assertThat(fake.viewQuery("p", "ds", "t_latest")).isEqualTo(LatestViewSql.bigQuery("p", "ds", "t", List.of(
                new LatestViewSql.Column("id", "INT64", false), new LatestViewSql.Column("tags", "STRING", true),
                new LatestViewSql.Column("_op", "STRING", false), new LatestViewSql.Column("_lsn", "INT64", false),
                new LatestViewSql.Column("_tx_id", "INT64", false), new LatestViewSql.Column("_source_ts", "TIMESTAMP", false),
                new LatestViewSql.Column("_ingested_at", "TIMESTAMP", false), new LatestViewSql.Column("_unchanged", "STRING", false),
                new LatestViewSql.Column("_unrepresentable", "STRING", false)),
                List.of("id")));
    }

    @Test
    void addsNewColumnsNeverDropsAndKeepsTheViewInStep() {
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "a", ColumnType.scalar("STRING")), List.of("id"));
        int before = fake.requestLog().size();
        tables.ensure("t", cols("id", ColumnType.scalar("INT64")), List.of("id"));
        assertThat(fake.requestLog()).hasSize(before); // known columns: no API call

        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "b", ColumnType.scalar("DATE")), List.of("id"));
        assertThat(fake.schema("p", "ds", "t")).containsKeys("id", "a", "b", "_op").containsEntry("b", "DATE");
        assertThat(fake.viewQuery("p", "ds", "t_latest")).contains("`a`", "`b`");

        // a new process (empty cache) finds the table as it is
        new BigQueryTables(bq, "p", "ds").ensure("t", cols("id", ColumnType.scalar("INT64"), "c", ColumnType.scalar("BOOL")), List.of("id"));
        assertThat(fake.schema("p", "ds", "t")).containsKeys("a", "b", "c");
    }

    @Test
    void aTypeChangeIsNotAFailure() {
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "a", ColumnType.scalar("INT64")), List.of("id"));
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "a", ColumnType.scalar("STRING")), List.of("id"));
        assertThat(fake.schema("p", "ds", "t")).containsEntry("a", "INTEGER");
    }

    @Test
    void failuresAreClassified() {
        fake.failNext(503, 1, "");
        assertThatThrownBy(() -> tables.ensure("t", cols("id", ColumnType.scalar("INT64")), List.of("id")))
                .isInstanceOf(BigQueryException.class).satisfies(e -> assertThat(BigQueryFailures.retryable(e)).isTrue());
        fake.failNext(403, 1, "");
        assertThatThrownBy(() -> tables.ensure("t", cols("id", ColumnType.scalar("INT64")), List.of("id")))
                .isInstanceOf(PermanentDeliveryException.class).hasMessageContaining("403");
        tables.ensure("t", cols("id", ColumnType.scalar("INT64")), List.of("id"));
        assertThat(fake.schema("p", "ds", "t")).containsKey("id");
    }

    @Test
    void aBatchOfOnlyTruncatesLeavesAKeyedViewAsItIs() {
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "name", ColumnType.scalar("STRING")), List.of("id"));
        String keyed = fake.viewQuery("p", "ds", "t_latest");
        assertThat(keyed).contains("PARTITION BY `id`");
        // another instance (or this one after a restart) whose first batch of the table holds only a truncate: no row,
        // no key, so nothing to tell a keyed table from a keyless one
        BigQueryTables fresh = new BigQueryTables(bq, "p", "ds");
        fresh.ensure("t", Map.of(), List.of());
        assertThat(fake.viewQuery("p", "ds", "t_latest")).isEqualTo(keyed);
        // a truncate first of all: the table is made, its view waits for the first rows, which say the key
        fresh.ensure("u", Map.of(), List.of());
        assertThat(fake.schema("p", "ds", "u")).containsKey("_op");
        assertThat(fake.viewQuery("p", "ds", "u_latest")).isNull();
        fresh.ensure("u", cols("id", ColumnType.scalar("INT64")), List.of("id"));
        assertThat(fake.viewQuery("p", "ds", "u_latest")).contains("PARTITION BY `id`");
    }
}
