package io.cdcbridge.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryError;
import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.BigQueryOptions;
import com.google.cloud.bigquery.DatasetInfo;
import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.InsertAllRequest;
import com.google.cloud.bigquery.InsertAllResponse;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.StandardSQLTypeName;
import com.google.cloud.bigquery.StandardTableDefinition;
import com.google.cloud.bigquery.Table;
import com.google.cloud.bigquery.TableId;
import com.google.cloud.bigquery.TableInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The fake answers the real google-cloud-bigquery client the way BigQuery does. */
class FakeBigQueryTest {

    FakeBigQuery fake;
    BigQuery bq;
    final TableId users = TableId.of("ds", "users");

    @BeforeEach
    void start() {
        fake = FakeBigQuery.start();
        bq = BigQueryOptions.newBuilder().setProjectId("p").setHost(fake.endpoint()).setCredentials(NoCredentials.getInstance())
                .setRetrySettings(ServiceOptions.getNoRetrySettings()).build().getService();
        bq.create(DatasetInfo.of("ds"));
        bq.create(TableInfo.of(users, StandardTableDefinition.of(Schema.of(
                Field.of("id", StandardSQLTypeName.INT64), Field.of("name", StandardSQLTypeName.STRING),
                Field.of("at", StandardSQLTypeName.TIMESTAMP), Field.of("price", StandardSQLTypeName.NUMERIC),
                Field.newBuilder("tags", StandardSQLTypeName.STRING).setMode(Field.Mode.REPEATED).build(),
                Field.of("doc", StandardSQLTypeName.JSON)))));
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private static InsertAllRequest.RowToInsert row(String id, Map<String, ?> values) {
        return InsertAllRequest.RowToInsert.of(id, values);
    }

    private static com.google.cloud.bigquery.QueryJobConfiguration sql(String statement) {
        return com.google.cloud.bigquery.QueryJobConfiguration.newBuilder(statement).setUseLegacySql(false).build();
    }

    @Test
    void jobsQueryAnswersTheKeysUpToAnLsnAndRefusesEveryOtherStatement() throws Exception {
        TableId log = TableId.of("ds", "log");
        bq.create(TableInfo.of(log, StandardTableDefinition.of(Schema.of(Field.of("id", StandardSQLTypeName.INT64),
                Field.of("code", StandardSQLTypeName.STRING), Field.of("_lsn", StandardSQLTypeName.INT64)))));
        bq.insertAll(InsertAllRequest.newBuilder(log).addRow(row("a", Map.of("id", 1, "code", "x", "_lsn", 10)))
                .addRow(row("b", Map.of("id", 1, "code", "x", "_lsn", 20))).addRow(row("c", Map.of("id", 2, "code", "y", "_lsn", 30)))
                .addRow(row("d", Map.of("_lsn", 35))).addRow(row("e", Map.of("id", 3, "code", "z", "_lsn", 40))).build());
        var result = bq.query(sql("SELECT DISTINCT `id`, `code` FROM `p.ds.log` WHERE `_lsn` <= 35"));
        List<String> keys = new java.util.ArrayList<>();
        result.iterateAll().forEach(r -> keys.add(r.get(0).isNull() ? "null" : r.get(0).getLongValue() + ":" + r.get(1).getStringValue()));
        assertThat(keys).containsExactly("1:x", "2:y", "null");
        assertThat(result.getSchema().getFields().get(0).getType().getStandardType()).isEqualTo(StandardSQLTypeName.INT64);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> bq.query(sql("SELECT * FROM `p.ds.log`")))
                .isInstanceOf(com.google.cloud.bigquery.BigQueryException.class).hasMessageContaining("the fake evaluates only");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> bq.query(sql("SELECT DISTINCT `id` FROM `p.ds.nope` WHERE `_lsn` <= 1")))
                .isInstanceOf(com.google.cloud.bigquery.BigQueryException.class).hasMessageContaining("Not found: Table p:ds.nope");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> bq.query(sql("SELECT DISTINCT `nope` FROM `p.ds.log` WHERE `_lsn` <= 1")))
                .isInstanceOf(com.google.cloud.bigquery.BigQueryException.class).hasMessageContaining("Unrecognized name: nope");
        assertThat(fake.queryLog()).hasSize(4);
    }

    @Test
    void missingDatasetsAndTablesAreNullOr404AndDuplicatesAre409() {
        assertThat(bq.getDataset("nope")).isNull();
        assertThat(bq.getTable(TableId.of("ds", "nope"))).isNull();
        assertThatThrownBy(() -> bq.create(DatasetInfo.of("ds"))).isInstanceOfSatisfying(BigQueryException.class,
                e -> assertThat(e.getCode()).isEqualTo(409));
        assertThatThrownBy(() -> bq.insertAll(InsertAllRequest.newBuilder(TableId.of("ds", "nope")).addRow(Map.of("id", 1)).build()))
                .isInstanceOfSatisfying(BigQueryException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(404);
                    assertThat(e.getReason()).isEqualTo("notFound");
                });
    }

    private void refused(String why, Field... fields) {
        assertThatThrownBy(() -> bq.create(TableInfo.of(TableId.of("ds", "t" + System.nanoTime()), StandardTableDefinition.of(Schema.of(fields)))))
                .as(why).isInstanceOfSatisfying(BigQueryException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(400);
                    assertThat(e.getReason()).isEqualTo("invalid");
                });
    }

    @Test
    void columnNamesAndNumericParametersBigQueryRefusesAreRefused() {
        refused("equal but for case", Field.of("Name", StandardSQLTypeName.STRING), Field.of("name", StandardSQLTypeName.STRING));
        for (String reserved : List.of("_PARTITIONTIME", "_partitiondate", "_TABLE_SUFFIX", "_FILE_NAME", "_ROW_TIMESTAMP", "__ROOT__", "_COLIDENTIFIER1")) {
            refused(reserved, Field.of(reserved, StandardSQLTypeName.STRING));
        }
        refused("NUMERIC scale 10", Field.newBuilder("n", StandardSQLTypeName.NUMERIC).setPrecision(20L).setScale(10L).build());
        refused("NUMERIC precision 39", Field.newBuilder("n", StandardSQLTypeName.NUMERIC).setPrecision(39L).setScale(9L).build());
        refused("BIGNUMERIC scale 39", Field.newBuilder("n", StandardSQLTypeName.BIGNUMERIC).setPrecision(76L).setScale(39L).build());
        bq.create(TableInfo.of(TableId.of("ds", "fine"), StandardTableDefinition.of(Schema.of(
                Field.newBuilder("n", StandardSQLTypeName.NUMERIC).setPrecision(38L).setScale(9L).build(),
                Field.newBuilder("b", StandardSQLTypeName.BIGNUMERIC).setPrecision(76L).setScale(38L).build(),
                Field.of("c_PARTITIONTIME", StandardSQLTypeName.STRING), Field.of("name_2", StandardSQLTypeName.STRING)))));
        assertThat(fake.schema("p", "ds", "fine")).containsKeys("n", "b", "c_PARTITIONTIME", "name_2");
    }

    @Test
    void schemaMayOnlyGrow() {
        Table t = bq.getTable(users);
        List<Field> more = new ArrayList<>(t.getDefinition().getSchema().getFields());
        more.add(Field.of("email", StandardSQLTypeName.STRING));
        Table grown = bq.update(t.toBuilder().setDefinition(StandardTableDefinition.of(Schema.of(more))).build());
        assertThat(grown.getDefinition().getSchema().getFields().get("email")).isNotNull();
        assertThat(fake.schema("p", "ds", "users")).containsEntry("email", "STRING");

        List<Field> fewer = new ArrayList<>(more.subList(1, more.size()));
        assertThatThrownBy(() -> bq.update(grown.toBuilder().setDefinition(StandardTableDefinition.of(Schema.of(fewer))).build()))
                .isInstanceOfSatisfying(BigQueryException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(400);
                    assertThat(e.getMessage()).contains("id is missing");
                });
        List<Field> retyped = new ArrayList<>(more);
        retyped.set(1, Field.of("name", StandardSQLTypeName.INT64));
        assertThatThrownBy(() -> bq.update(grown.toBuilder().setDefinition(StandardTableDefinition.of(Schema.of(retyped))).build()))
                .isInstanceOfSatisfying(BigQueryException.class, e -> assertThat(e.getMessage()).contains("changed type"));
    }

    @Test
    void anUnknownFieldOrAWrongTypeRejectsTheRowAndStopsTheOthers() {
        InsertAllResponse r = bq.insertAll(InsertAllRequest.newBuilder(users)
                .addRow(row("a", Map.of("id", 1, "name", "Ana")))
                .addRow(row("b", Map.of("id", 2, "nope", "x")))
                .addRow(row("c", Map.of("id", "three")))
                .addRow(row("d", Map.of("id", 4, "at", "2025-01-31T10:00:00.123456789Z")))
                .addRow(row("e", Map.of("id", 5, "price", "1.1234567891")))
                .addRow(row("f", Map.of("id", 6, "tags", "not-an-array")))
                .addRow(row("g", Map.of("id", 7, "doc", "{not json")))
                .build());
        Map<Long, List<BigQueryError>> errors = r.getInsertErrors();
        assertThat(errors.get(0L)).extracting(BigQueryError::getReason).containsExactly("stopped");
        assertThat(errors.get(1L)).singleElement().satisfies(e -> {
            assertThat(e.getReason()).isEqualTo("invalid");
            assertThat(e.getLocation()).isEqualTo("nope");
            assertThat(e.getMessage()).isEqualTo("no such field: nope.");
        });
        for (long i = 2; i <= 6; i++) {
            assertThat(errors.get(i)).extracting(BigQueryError::getReason).containsExactly("invalid");
        }
        assertThat(fake.rows("p", "ds", "users")).isEmpty();

        InsertAllResponse skipping = bq.insertAll(InsertAllRequest.newBuilder(users).setSkipInvalidRows(true)
                .addRow(row("a", Map.of("id", 1, "name", "Ana", "tags", List.of("x"), "doc", "{\"k\":1}", "at", "2025-01-31 10:00:00 UTC")))
                .addRow(row("b", Map.of("id", 2, "nope", "x"))).build());
        assertThat(skipping.getInsertErrors()).containsOnlyKeys(1L);
        assertThat(fake.rows("p", "ds", "users")).hasSize(1);
    }

    @Test
    void rowsAreDeduplicatedByInsertIdWithinTheWindowOnly() {
        MutableClock clock = new MutableClock();
        fake.clock(clock);
        for (int i = 0; i < 2; i++) {
            bq.insertAll(InsertAllRequest.newBuilder(users).addRow(row("a", Map.of("id", 1))).addRow(row("b", Map.of("id", 2))).build());
        }
        assertThat(fake.rows("p", "ds", "users")).hasSize(2);
        assertThat(fake.table("p", "ds", "users").insertIdsReceived).containsEntry("a", 2).containsEntry("b", 2);
        assertThat(fake.duplicates("p", "ds", "users")).isZero();

        clock.advance(FakeBigQuery.DEDUP_WINDOW.minusSeconds(1));
        bq.insertAll(InsertAllRequest.newBuilder(users).addRow(row("a", Map.of("id", 1))).build());
        assertThat(fake.rows("p", "ds", "users")).as("59 s later: still deduplicated").hasSize(2);
        clock.advance(java.time.Duration.ofSeconds(1));
        bq.insertAll(InsertAllRequest.newBuilder(users).addRow(row("a", Map.of("id", 1))).build());
        assertThat(fake.rows("p", "ds", "users")).as("60 s after it was stored: stored again, as BigQuery may").hasSize(3);
        assertThat(fake.duplicates("p", "ds", "users")).isEqualTo(1);
        // the window starts again from the repeat that was stored
        bq.insertAll(InsertAllRequest.newBuilder(users).addRow(row("a", Map.of("id", 1))).build());
        assertThat(fake.rows("p", "ds", "users")).hasSize(3);
    }

    @Test
    void requestLimitsAre500RowsAnd10MB() {
        InsertAllRequest.Builder many = InsertAllRequest.newBuilder(users);
        for (int i = 0; i < 501; i++) {
            many.addRow(row("r" + i, Map.of("id", i)));
        }
        assertThatThrownBy(() -> bq.insertAll(many.build())).isInstanceOfSatisfying(BigQueryException.class,
                e -> assertThat(e.getMessage()).contains("too many rows"));
        String big = "x".repeat(1024 * 1024);
        InsertAllRequest.Builder heavy = InsertAllRequest.newBuilder(users);
        for (int i = 0; i < 11; i++) {
            heavy.addRow(row("h" + i, Map.of("id", i, "name", big)));
        }
        assertThatThrownBy(() -> bq.insertAll(heavy.build())).isInstanceOfSatisfying(BigQueryException.class,
                e -> assertThat(e.getMessage()).contains("payload size exceeds"));
        assertThat(fake.rows("p", "ds", "users")).isEmpty();
    }

    @Test
    void injectedFailuresAnswerLikeBigQuery() {
        fake.failNext(503, 1, "insertAll");
        assertThatThrownBy(() -> bq.insertAll(InsertAllRequest.newBuilder(users).addRow(row("a", Map.of("id", 1))).build()))
                .isInstanceOfSatisfying(BigQueryException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(503);
                    assertThat(e.getReason()).isEqualTo("backendError");
                });
        fake.failNext(429, 1, "");
        assertThatThrownBy(() -> bq.getTable(users)).isInstanceOfSatisfying(BigQueryException.class,
                e -> assertThat(e.getReason()).isEqualTo("rateLimitExceeded"));
        assertThat(bq.insertAll(InsertAllRequest.newBuilder(users).addRow(row("a", Map.of("id", 1))).build()).hasErrors()).isFalse();

        fake.failFor(503, java.time.Duration.ofMinutes(1), "insertAll");
        assertThat(fake.failing()).isTrue();
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> bq.insertAll(InsertAllRequest.newBuilder(users).addRow(row("b", Map.of("id", 2))).build()))
                    .isInstanceOfSatisfying(BigQueryException.class, e -> assertThat(e.getCode()).isEqualTo(503));
        }
        assertThat(bq.getTable(users)).isNotNull();
        fake.failFor(503, java.time.Duration.ZERO, "");
        assertThat(fake.failing()).isFalse();
        assertThat(bq.insertAll(InsertAllRequest.newBuilder(users).addRow(row("b", Map.of("id", 2))).build()).hasErrors()).isFalse();
    }
}
