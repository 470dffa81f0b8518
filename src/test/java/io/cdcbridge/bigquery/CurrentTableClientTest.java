package io.cdcbridge.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryOptions;
import com.google.cloud.bigquery.TableId;
import io.cdcbridge.config.Settings;
import io.cdcbridge.delivery.Outcome;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeBigQueryWrite;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code <table>_current} tables through StorageWriteClient against the two fakes (the real clients; the gRPC fake
 * applies BigQuery CDC by primary key and sequence number): replayed and out-of-order batches leave the current state.
 */
class CurrentTableClientTest {

    FakeBigQuery rest;
    FakeBigQueryWrite write;
    StorageWriteClient client;
    BigQuery bq;

    @BeforeEach
    void start() {
        rest = FakeBigQuery.start();
        write = FakeBigQueryWrite.start(rest);
        bq = BigQueryOptions.newBuilder().setProjectId("p").setHost(rest.endpoint()).setCredentials(NoCredentials.getInstance())
                .setRetrySettings(ServiceOptions.getNoRetrySettings()).build().getService();
        client = newClient();
    }

    /** A client as a fresh start makes it: it knows no table yet. */
    private StorageWriteClient newClient() {
        Settings s = Settings.of(Map.of("cdc.bigquery.project", "p", "cdc.bigquery.dataset", "ds",
                "cdc.bigquery.endpoint", rest.endpoint(), "cdc.bigquery.write-api", "storage",
                "cdc.bigquery.storage-endpoint", write.endpoint(), "cdc.bigquery.max-staleness", "0-0 0 0:5:0"));
        BigQueryTables tables = new BigQueryTables(bq, "p", "ds", BigQueryTables.Layout.from(s));
        return new StorageWriteClient(new BigQueryClient(bq, "p", "ds", tables), BigQueryClients.createWrite(s), "p", "ds", tables,
                Duration.ofSeconds(30));
    }

    @AfterEach
    void stop() {
        client.close();
        write.close();
        rest.close();
    }

    private static final Map<String, ColumnType> COLUMNS = new LinkedHashMap<>(Map.of(
            "id", ColumnType.scalar(ColumnType.INT64), "name", ColumnType.scalar(ColumnType.STRING),
            "body", ColumnType.scalar(ColumnType.STRING)));

    /** A changelog row as BigQueryRowMapper makes it; a null body with {@code unchanged} is a TOAST value not carried. */
    private static BigQueryRowMapper.Row row(String op, long lsn, long id, String name, String body, boolean unchanged) {
        Map<String, Object> v = new LinkedHashMap<>();
        if (!op.equals("t")) {
            v.put("id", id);
            if (!op.equals("d")) {
                v.put("name", name);
                if (!unchanged) {
                    v.put("body", body);
                }
            }
        }
        v.put(BigQueryRowMapper.OP, op);
        v.put(BigQueryRowMapper.LSN, lsn);
        v.put(BigQueryRowMapper.INGESTED_AT, "2026-12-02T04:00:00Z");
        v.put(BigQueryRowMapper.UNCHANGED, unchanged ? "body" : null);
        return new BigQueryRowMapper.Row("t", op + lsn + "-" + id, v, op.equals("t") ? Map.of() : COLUMNS,
                op.equals("t") ? List.of() : List.of("id"));
    }

    private Outcome deliver(List<BigQueryRowMapper.Row> rows) {
        Outcome prepared = client.prepare("t", rows);
        return prepared instanceof Outcome.Delivered ? client.send("t", rows) : prepared;
    }

    private Map<Long, String> current() {
        Map<Long, String> out = new TreeMap<>();
        for (ObjectNode r : rest.rows("p", "ds", "t_current")) {
            out.put(r.get("id").asLong(), r.path("name").asText() + "|" + r.path("body").asText("<null>"));
        }
        return out;
    }

    @Test
    void theCurrentTableHasTheKeyAsPrimaryKeyAndTheMaxStaleness() {
        assertThat(deliver(List.of(row("c", 10, 1, "a", "x", false)))).isEqualTo(Outcome.DELIVERED);
        var table = bq.getTable(TableId.of("ds", "t_current"));
        assertThat(table.getTableConstraints().getPrimaryKey().getColumns()).containsExactly("id");
        assertThat(rest.table("p", "ds", "t_current").resource.path("maxStaleness").asText()).isEqualTo("0-0 0 0:5:0");
        assertThat(rest.rows("p", "ds", "t")).hasSize(1);
        assertThat(current()).containsExactly(Map.entry(1L, "a|x"));
    }

    @Test
    void insertsUpdatesDeletesManyUpdatesOfOneKeyAReplayAndAnOutOfOrderBatchLeaveTheLatestState() {
        String big = "B".repeat(9000);
        List<BigQueryRowMapper.Row> snapshot = List.of(row("r", 100, 1, "a0", big, false), row("r", 100, 2, "b0", "y", false),
                row("r", 100, 3, "c0", "z", false));
        assertThat(deliver(snapshot)).isEqualTo(Outcome.DELIVERED);
        List<BigQueryRowMapper.Row> streamed = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            streamed.add(row("u", 200 + i, 2, "b" + i, "y", false)); // one key updated many times in one transaction
        }
        streamed.add(row("d", 300, 3, null, null, false));
        streamed.add(row("c", 301, 4, "d0", "w", false));
        streamed.add(row("u", 302, 1, "a1", null, true)); // TOAST body unchanged: never nulled
        assertThat(deliver(streamed)).isEqualTo(Outcome.DELIVERED);
        Map<Long, String> expected = Map.of(1L, "a0|" + big, 2L, "b20|y", 4L, "d0|w");
        assertThat(current()).containsExactlyInAnyOrderEntriesOf(expected);

        // the same records again (a consumer group reset, a dead-letter replay): nothing changes
        assertThat(deliver(snapshot)).isEqualTo(Outcome.DELIVERED);
        assertThat(deliver(streamed)).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).containsExactlyInAnyOrderEntriesOf(expected);

        // newer changes first, then an older batch: the older one never overwrites
        assertThat(deliver(List.of(row("u", 500, 2, "b-new", "y2", false), row("d", 501, 4, null, null, false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(deliver(List.of(row("u", 400, 2, "b-old", "y1", false), row("c", 450, 4, "d-old", "w", false),
                row("u", 450, 3, "c-undead", "z", false)))).isEqualTo(Outcome.DELIVERED);
        // key 3 was deleted at 300, and 450 is later: it is back, as Postgres would have it after such an update
        assertThat(current()).containsExactlyInAnyOrderEntriesOf(Map.of(1L, "a0|" + big, 2L, "b-new|y2", 3L, "c-undead|z"));
        // a TRUNCATE: in the changelog, and every key it held before is deleted from the current table
        assertThat(deliver(List.of(row("t", 600, 0, null, null, false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).isEmpty();
        assertThat(rest.rows("p", "ds", "t")).hasSize(snapshot.size() * 2 + streamed.size() * 2 + 5 + 1);
    }

    @Test
    void aTruncateDeletesTheKeysBeforeItAndKeepsTheChangesAfterIt() {
        assertThat(deliver(List.of(row("r", 100, 1, "a", "x", false), row("r", 100, 2, "b", "y", false),
                row("c", 110, 3, "c", "z", false), row("d", 120, 3, null, null, false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).containsOnlyKeys(1L, 2L);
        // one batch: a change before the truncate, the truncate, a row inserted again and a new one after it
        assertThat(deliver(List.of(row("u", 200, 2, "b1", "y", false), row("t", 300, 0, null, null, false),
                row("c", 310, 1, "a-again", "x2", false), row("c", 320, 7, "g", "w", false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).containsExactlyInAnyOrderEntriesOf(Map.of(1L, "a-again|x2", 7L, "g|w"));
        assertThat(rest.queryLog()).containsExactly("SELECT DISTINCT `id` FROM `p.ds.t` WHERE `_lsn` <= 300");
        // a change from before the truncate that arrives after it (another partition, a replay): stays deleted
        assertThat(deliver(List.of(row("u", 250, 2, "b-late", "y", false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).containsOnlyKeys(1L, 7L);
        // the same truncate again (a replay): changes nothing
        assertThat(deliver(List.of(row("t", 300, 0, null, null, false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).containsExactlyInAnyOrderEntriesOf(Map.of(1L, "a-again|x2", 7L, "g|w"));
        // the changelog keeps everything (its _latest view honours the truncate by _lsn)
        assertThat(rest.rows("p", "ds", "t")).hasSize(4 + 4 + 1 + 1);
    }

    @Test
    void aTruncateAloneInTheFirstBatchAfterARestartIsAppliedToTheExistingCurrentTable() {
        assertThat(deliver(List.of(row("c", 100, 1, "a", "x", false), row("c", 101, 2, "b", "y", false)))).isEqualTo(Outcome.DELIVERED);
        client.close();
        client = newClient(); // it has not seen the table: the truncate names no key, the current table does
        assertThat(deliver(List.of(row("t", 200, 0, null, null, false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).isEmpty();
    }

    @Test
    void aTruncateWhoseKeyQueryIsRefusedIsRefusedAloneAndAnUnavailableQueryIsRetried() {
        assertThat(deliver(List.of(row("c", 100, 1, "a", "x", false)))).isEqualTo(Outcome.DELIVERED);
        List<BigQueryRowMapper.Row> batch = List.of(row("c", 150, 2, "b", "y", false), row("t", 200, 0, null, null, false));
        rest.failNext(503, 1, "/queries");
        assertThat(deliver(batch)).isInstanceOf(Outcome.Retry.class);
        rest.failNext(403, 1, "/queries");
        Outcome refused = deliver(batch);
        assertThat(refused).isInstanceOf(Outcome.ItemsRefused.class);
        assertThat(((Outcome.ItemsRefused) refused).reasons()).containsOnlyKeys(1);
        assertThat(((Outcome.ItemsRefused) refused).reasons().get(1)).contains("bigquery.jobs.create");
        // the engine sends the rest again: the changelog has it already
        assertThat(deliver(List.of(batch.get(0)))).isEqualTo(Outcome.DELIVERED);
        assertThat(rest.rows("p", "ds", "t")).extracting(r -> r.path("_op").asText() + r.path("_lsn").asLong())
                .containsExactly("c100", "c150", "t200");
        assertThat(current()).containsOnlyKeys(1L, 2L);
    }

    @Test
    void aTruncateOfManyKeysDeletesThemAFewAppendsAtATimeAndAFailedAppendMidwayIsRetried() {
        List<BigQueryRowMapper.Row> rows = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            rows.add(row("c", 100 + i, i, "n" + i, "x", false));
        }
        assertThat(deliver(rows)).isEqualTo(Outcome.DELIVERED);
        client.truncateChunk = 2;
        int before = currentAppends();
        List<BigQueryRowMapper.Row> truncate = List.of(row("t", 200, 0, null, null, false));
        assertThat(deliver(truncate)).isEqualTo(Outcome.DELIVERED);
        assertThat(currentAppends() - before).as("5 keys, 2 a time").isEqualTo(3);
        assertThat(current()).isEmpty();

        assertThat(deliver(List.of(row("c", 301, 1, "again", "x", false), row("c", 302, 2, "again", "x", false),
                row("c", 303, 3, "again", "x", false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).hasSize(3);
        // the second DELETE append fails: the request goes again, the first DELETEs again (harmless)
        List<BigQueryRowMapper.Row> second = List.of(row("t", 400, 0, null, null, false));
        write.failAfter("t_current", 1, io.grpc.Status.Code.UNAVAILABLE, 1);
        assertThat(deliver(second)).isInstanceOf(Outcome.Retry.class);
        assertThat(write.failuresLeft("t_current")).isZero();
        assertThat(current()).as("the first chunk of DELETEs is applied").hasSize(1);
        assertThat(deliver(second)).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).isEmpty();
        assertThat(rest.rows("p", "ds", "t")).filteredOn(r -> r.path("_op").asText().equals("t")).hasSize(2);
    }

    private int currentAppends() {
        return (int) write.requestLog().stream().filter(l -> l.contains("/tables/t_current/")).count();
    }

    @Test
    void aTruncateWhoseDeletesFailIsRetriedWithoutAppendingTheChangelogAgain() {
        assertThat(deliver(List.of(row("c", 100, 1, "a", "x", false), row("c", 101, 2, "b", "y", false)))).isEqualTo(Outcome.DELIVERED);
        List<BigQueryRowMapper.Row> truncate = List.of(row("t", 200, 0, null, null, false));
        write.failNext("t_current", io.grpc.Status.Code.UNAVAILABLE, 1);
        assertThat(deliver(truncate)).isInstanceOf(Outcome.Retry.class);
        assertThat(current()).hasSize(2);
        assertThat(deliver(truncate)).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).isEmpty();
        assertThat(rest.rows("p", "ds", "t")).extracting(r -> r.path("_op").asText()).containsExactly("c", "c", "t");
    }

    @Test
    void aFailedCurrentAppendIsRetriedWithoutAppendingTheChangelogAgain() {
        List<BigQueryRowMapper.Row> first = List.of(row("c", 10, 1, "a", "x", false), row("c", 11, 2, "b", "y", false));
        assertThat(deliver(first)).isEqualTo(Outcome.DELIVERED);
        List<BigQueryRowMapper.Row> batch = List.of(row("u", 20, 1, "a1", "x1", false), row("d", 21, 2, null, null, false),
                row("c", 22, 3, "c", "z", false));
        write.failNext("t_current", io.grpc.Status.Code.UNAVAILABLE, 2);
        // the changelog takes the rows, _current does not: the engine sends the same request again, twice
        assertThat(deliver(batch)).isInstanceOf(Outcome.Retry.class);
        assertThat(rest.rows("p", "ds", "t")).hasSize(2 + 3);
        assertThat(client.changelogAppendedPending()).isEqualTo(1);
        assertThat(deliver(batch)).isInstanceOf(Outcome.Retry.class);
        assertThat(deliver(batch)).isEqualTo(Outcome.DELIVERED);
        assertThat(write.failuresLeft("t_current")).isZero();
        assertThat(rest.rows("p", "ds", "t")).extracting(r -> r.path("_op").asText() + r.path("_lsn").asLong())
                .containsExactly("c10", "c11", "u20", "d21", "c22");
        assertThat(current()).containsExactlyInAnyOrderEntriesOf(Map.of(1L, "a1|x1", 3L, "c|z"));
        assertThat(client.changelogAppendedPending()).isZero();
        // delivered: the same rows again (a replay) are appended to the changelog again, as every repeat is
        assertThat(deliver(batch)).isEqualTo(Outcome.DELIVERED);
        assertThat(rest.rows("p", "ds", "t")).hasSize(2 + 3 + 3);
    }

    @Test
    void aRequestIsKnownByItsTableAndRowsInOrderAndTheMemoryIsBounded() {
        BigQueryRowMapper.Row a = row("c", 10, 1, "a", "x", false);
        BigQueryRowMapper.Row b = row("c", 11, 2, "b", "y", false);
        BigQueryRowMapper.Row c = row("c", 12, 3, "c", "z", false);
        StorageWriteClient.AppendedRequests appended = new StorageWriteClient.AppendedRequests(2);
        String whole = appended.key("t", List.of(a, b, c));
        assertThat(appended.key("t", List.of(a, b, c))).isEqualTo(whole);
        assertThat(appended.key("t", List.of(a, c))).isNotEqualTo(whole);
        assertThat(appended.key("u", List.of(a, b, c))).isNotEqualTo(whole);
        appended.remember(whole);
        appended.remember(appended.key("t", List.of(a)));
        appended.remember(appended.key("t", List.of(b)));
        // bounded: the oldest is forgotten (its changelog part would go again: at least once)
        assertThat(appended.contains(whole)).isFalse();
        assertThat(appended.size()).isEqualTo(2);
    }

    @Test
    void theFakeRefusesAMaxStalenessThatIsNoInterval() {
        assertThat(deliver(List.of(row("c", 10, 1, "a", "x", false)))).isEqualTo(Outcome.DELIVERED);
        var patch = new com.google.api.services.bigquery.model.Table().setTableReference(
                new com.google.api.services.bigquery.model.TableReference().setProjectId("p").setDatasetId("ds").setTableId("t_current"))
                .setMaxStaleness("15 minutes");
        var rpc = (com.google.cloud.bigquery.spi.v2.BigQueryRpc) bq.getOptions().getRpc();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> rpc.patch(patch, Map.of()))
                .isInstanceOf(com.google.cloud.bigquery.BigQueryException.class).hasMessageContaining("maxStaleness");
        assertThat(rest.table("p", "ds", "t_current").resource.path("maxStaleness").asText()).isEqualTo("0-0 0 0:5:0");
    }

    @Test
    void aSnapshotRowAtTheLsnOfAStreamedChangeLosesTheTie() {
        assertThat(deliver(List.of(row("u", 700, 1, "streamed", "s", false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(deliver(List.of(row("r", 700, 1, "snapshot", "s", false)))).isEqualTo(Outcome.DELIVERED);
        assertThat(current()).containsExactly(Map.entry(1L, "streamed|s"));
    }
}
