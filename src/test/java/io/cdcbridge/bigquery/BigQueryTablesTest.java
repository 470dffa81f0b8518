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
    void anIncompatibleTypeChangeGetsAColumnOfItsOwnAndTheOldOneStays() {
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "a", ColumnType.scalar("INT64"), "s", ColumnType.scalar("STRING")), List.of("id"));
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "a", ColumnType.scalar("STRING"), "s", ColumnType.scalar("INT64")), List.of("id"));
        // int → text: BigQuery cannot retype, so a_string; text → int: a STRING column takes whole numbers as text
        assertThat(fake.schema("p", "ds", "t")).containsEntry("a", "INTEGER").containsEntry("a_string", "STRING")
                .containsEntry("s", "STRING").doesNotContainKey("s_int64");
        assertThat(fake.viewQuery("p", "ds", "t_latest")).contains("`a_string`");
        assertThat(tables.column("t", "a", ColumnType.scalar("STRING"))).isEqualTo("a_string");
        assertThat(tables.column("t", "a", ColumnType.scalar("INT64"))).isEqualTo("a");
        assertThat(tables.column("t", "s", ColumnType.scalar("INT64"))).isEqualTo("s");
        int before = fake.requestLog().size();
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "a", ColumnType.scalar("STRING")), List.of("id"));
        assertThat(fake.requestLog()).as("known: no API call").hasSize(before);
        // whole numbers into a FLOAT64 or BIGNUMERIC column fit (int → numeric, a passthrough's 1 after 1.5)
        assertThat(BigQueryTables.fits(ColumnType.scalar("INT64"), ColumnType.scalar("BIGNUMERIC"))).isTrue();
        assertThat(BigQueryTables.fits(ColumnType.scalar("INT64"), ColumnType.scalar("FLOAT64"))).isTrue();
        assertThat(BigQueryTables.fits(ColumnType.scalar("JSON"), ColumnType.scalar("STRING"))).isFalse();
        assertThat(BigQueryTables.fits(new ColumnType("STRING", true), ColumnType.scalar("STRING"))).isFalse();
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
    void newChangelogTablesArePartitionedByIngestionDayAndClusteredByKeyThenLsn() {
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "score", ColumnType.scalar("FLOAT64"), "region", ColumnType.scalar("STRING"),
                "a", ColumnType.scalar("STRING"), "b", ColumnType.scalar("STRING")), List.of("score", "region", "id", "a", "b"));
        var resource = fake.table("p", "ds", "t").resource;
        assertThat(resource.path("timePartitioning").path("type").asText()).isEqualTo("DAY");
        assertThat(resource.path("timePartitioning").path("field").asText()).isEqualTo("_ingested_at");
        // FLOAT64 cannot cluster; three key columns at most, then _lsn (BigQuery allows four)
        assertThat(resource.path("clustering").path("fields")).extracting(n -> n.asText()).containsExactly("region", "id", "a", "_lsn");

        // a column added later keeps the table's partitioning (the fake, as BigQuery, refuses a change of it)
        tables.ensure("t", cols("id", ColumnType.scalar("INT64"), "added", ColumnType.scalar("STRING")), List.of("id"));
        resource = fake.table("p", "ds", "t").resource;
        assertThat(fake.schema("p", "ds", "t")).containsKey("added");
        assertThat(resource.path("timePartitioning").path("type").asText()).isEqualTo("DAY");
        assertThat(resource.path("clustering").path("fields")).hasSize(4);
    }

    @Test
    void partitioningIsSetPerTableAndAKeylessTableClustersByLsn() {
        BigQueryTables custom = new BigQueryTables(bq, "p", "ds", BigQueryTables.Layout.from(io.cdcbridge.config.Settings.of(Map.of(
                "cdc.bigquery.partitioning", "month", "cdc.bigquery.partitioning.quiet", "none"))));
        custom.ensure("busy", cols("id", ColumnType.scalar("INT64")), List.of());
        custom.ensure("quiet", cols("id", ColumnType.scalar("INT64")), List.of("id"));
        assertThat(fake.table("p", "ds", "busy").resource.path("timePartitioning").path("type").asText()).isEqualTo("MONTH");
        assertThat(fake.table("p", "ds", "busy").resource.path("clustering").path("fields")).extracting(n -> n.asText()).containsExactly("_lsn");
        assertThat(fake.table("p", "ds", "quiet").resource.has("timePartitioning")).isFalse();
    }

    @Test
    void anExistingUnpartitionedTableIsLeftAsItIs() {
        BigQueryTables old = new BigQueryTables(bq, "p", "ds", BigQueryTables.Layout.from(io.cdcbridge.config.Settings.of(Map.of(
                "cdc.bigquery.partitioning", "none", "cdc.bigquery.clustering", "false"))));
        old.ensure("legacy", cols("id", ColumnType.scalar("INT64")), List.of("id"));
        tables.ensure("legacy", cols("id", ColumnType.scalar("INT64"), "more", ColumnType.scalar("STRING")), List.of("id"));
        assertThat(fake.table("p", "ds", "legacy").resource.has("timePartitioning")).isFalse();
        assertThat(fake.schema("p", "ds", "legacy")).containsKey("more");
    }

    @Test
    void theFakeRefusesWhatBigQueryRefusesInALayout() {
        var id = com.google.cloud.bigquery.TableId.of("ds", "bad");
        tables.ensure("seed", cols("id", ColumnType.scalar("INT64")), List.of("id")); // the dataset
        var schema = com.google.cloud.bigquery.Schema.of(com.google.cloud.bigquery.Field.of("f", com.google.cloud.bigquery.StandardSQLTypeName.FLOAT64),
                com.google.cloud.bigquery.Field.of("s", com.google.cloud.bigquery.StandardSQLTypeName.STRING));
        assertThatThrownBy(() -> bq.create(com.google.cloud.bigquery.TableInfo.of(id, com.google.cloud.bigquery.StandardTableDefinition.newBuilder()
                .setSchema(schema).setClustering(com.google.cloud.bigquery.Clustering.newBuilder().setFields(List.of("f")).build()).build())))
                .isInstanceOf(BigQueryException.class).hasMessageContaining("not supported for clustering");
        assertThatThrownBy(() -> bq.create(com.google.cloud.bigquery.TableInfo.of(id, com.google.cloud.bigquery.StandardTableDefinition.newBuilder()
                .setSchema(schema).setTimePartitioning(com.google.cloud.bigquery.TimePartitioning.newBuilder(
                        com.google.cloud.bigquery.TimePartitioning.Type.DAY).setField("s").build()).build())))
                .isInstanceOf(BigQueryException.class).hasMessageContaining("can only be of type TIMESTAMP, DATE or DATETIME");
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
