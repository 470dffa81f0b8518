package io.cdcbridge.bigquery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryOptions;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;
import io.cdcbridge.delivery.Outcome;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeBigQueryWrite;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** StorageWriteClient's Outcomes against the two fakes, driven by the real clients (no Kafka, no Postgres). */
class StorageWriteClientTest {

    FakeBigQuery rest;
    FakeBigQueryWrite write;
    StorageWriteClient client;

    @BeforeEach
    void start() {
        rest = FakeBigQuery.start();
        write = FakeBigQueryWrite.start(rest);
        Settings s = Settings.of(Map.of("cdc.bigquery.project", "p", "cdc.bigquery.dataset", "ds",
                "cdc.bigquery.endpoint", rest.endpoint(), "cdc.bigquery.write-api", "storage",
                "cdc.bigquery.storage-endpoint", write.endpoint()));
        BigQuery bq = BigQueryOptions.newBuilder().setProjectId("p").setHost(rest.endpoint()).setCredentials(NoCredentials.getInstance())
                .setRetrySettings(ServiceOptions.getNoRetrySettings()).build().getService();
        BigQueryTables tables = new BigQueryTables(bq, "p", "ds");
        client = new StorageWriteClient(new BigQueryClient(bq, "p", "ds", tables), BigQueryClients.createWrite(s), "p", "ds", tables,
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
            "blob", ColumnType.scalar(ColumnType.BYTES), "tags", new ColumnType(ColumnType.STRING, true)));

    private static BigQueryRowMapper.Row row(long id, String name) {
        Map<String, Object> v = new LinkedHashMap<>();
        v.put("id", id);
        v.put("name", name);
        v.put("blob", Base64.getEncoder().encodeToString(new byte[] {1, 2, (byte) id}));
        v.put("tags", List.of("a", "b"));
        return new BigQueryRowMapper.Row("t", "i" + id, v, COLUMNS, List.of("id"));
    }

    private Outcome deliver(List<BigQueryRowMapper.Row> rows) {
        Outcome prepared = client.prepare("t", rows);
        return prepared instanceof Outcome.Delivered ? client.send("t", rows) : prepared;
    }

    @Test
    void rowsLandWithBytesAndArraysAsInsertAllWouldStoreThem() {
        assertThat(deliver(List.of(row(1, "a"), row(2, "b")))).isEqualTo(Outcome.DELIVERED);
        List<com.fasterxml.jackson.databind.node.ObjectNode> rows = rest.rows("p", "ds", "t");
        assertThat(rows).hasSize(2);
        assertThat(rows.get(1).path("blob").asText()).isEqualTo(Base64.getEncoder().encodeToString(new byte[] {1, 2, 2}));
        assertThat(rows.get(1).path("tags").toString()).isEqualTo("[\"a\",\"b\"]");
        assertThat(rest.insertAllRequests()).isZero();
    }

    @Test
    void timestampsLandAsTheSameInstantsWhetherTheirTextIsReadHereOrByTheClient() {
        Map<String, ColumnType> columns = new LinkedHashMap<>(COLUMNS);
        columns.put("at", ColumnType.scalar(ColumnType.TIMESTAMP));
        List<BigQueryRowMapper.Row> rows = new ArrayList<>();
        // UTC ISO text (read by TimestampMicros), an offset form (left to the client), the metadata columns (not in columns)
        String[] at = {"2026-12-02T08:00:00.123456789Z", "2026-12-02T10:00:00.5+02:00"};
        for (int i = 0; i < at.length; i++) {
            Map<String, Object> v = new LinkedHashMap<>(row(i + 1, "n").values());
            v.put("at", at[i]);
            v.put(BigQueryRowMapper.SOURCE_TS, "2026-12-02T07:59:59.999Z");
            v.put(BigQueryRowMapper.INGESTED_AT, "2026-12-02T08:00:01.000001Z");
            rows.add(new BigQueryRowMapper.Row("t", "i" + i, v, columns, List.of("id")));
        }
        assertThat(deliver(rows)).isEqualTo(Outcome.DELIVERED);
        List<com.fasterxml.jackson.databind.node.ObjectNode> stored = rest.rows("p", "ds", "t");
        assertThat(stored.get(0).path("at").asText()).isEqualTo("2026-12-02T08:00:00.123456Z");
        assertThat(stored.get(1).path("at").asText()).isEqualTo("2026-12-02T08:00:00.500Z");
        assertThat(stored.get(0).path(BigQueryRowMapper.SOURCE_TS).asText()).isEqualTo("2026-12-02T07:59:59.999Z");
        assertThat(stored.get(1).path(BigQueryRowMapper.INGESTED_AT).asText()).isEqualTo("2026-12-02T08:00:01.000001Z");
    }

    @Test
    void aColumnAddedAfterTheWriterOpenedIsWrittenOnceTheStreamsSchemaIsReadAgain() {
        assertThat(deliver(List.of(row(1, "a")))).isEqualTo(Outcome.DELIVERED);
        Map<String, ColumnType> wider = new LinkedHashMap<>(COLUMNS);
        wider.put("added", ColumnType.scalar(ColumnType.STRING));
        Map<String, Object> v = new LinkedHashMap<>(row(2, "b").values());
        v.put("added", "new");
        assertThat(deliver(List.of(new BigQueryRowMapper.Row("t", "i2", v, wider, List.of("id"))))).isEqualTo(Outcome.DELIVERED);
        assertThat(rest.rows("p", "ds", "t")).extracting(r -> r.path("added").asText(null)).containsExactly(null, "new");
        // a column the table does not have (nothing made it): that row alone is refused, naming it
        Map<String, Object> stray = new LinkedHashMap<>(row(3, "c").values());
        stray.put("nowhere", "x");
        Outcome o = client.send("t", List.of(row(4, "d"), new BigQueryRowMapper.Row("t", "i3", stray, COLUMNS, List.of("id"))));
        assertThat(o).isInstanceOfSatisfying(Outcome.ItemsRefused.class, r -> {
            assertThat(r.reasons()).containsOnlyKeys(1);
            assertThat(r.reasons().get(1)).contains("nowhere");
        });
    }

    @Test
    void theWarmUpReachesBothApisBeforeAnyRowAndNeverThrows() {
        client.warmUp();
        assertThat(write.requestLog()).anyMatch(l -> l.startsWith("GetWriteStream ") && l.contains("cdc_bridge_warm_up"));
        assertThat(rest.rows("p", "ds", "t")).isEmpty();
        write.close(); // the service gone: no exception (one attempt, bounded), the first request is the one to report it
        client.warmUp();
    }

    @Test
    void aRowTheTableCannotTakeIsRefusedAloneWithItsCause() {
        deliver(List.of(row(1, "a")));
        Map<String, Object> bad = new LinkedHashMap<>(row(2, "b").values());
        bad.put("id", "dois");
        Outcome o = client.send("t", List.of(row(3, "c"), new BigQueryRowMapper.Row("t", "x", bad, COLUMNS, List.of("id"))));
        assertThat(o).isInstanceOfSatisfying(Outcome.ItemsRefused.class, r -> {
            assertThat(r.reasons()).containsOnlyKeys(1);
            assertThat(r.reasons().get(1)).contains("BigQuery rejected the row for t").contains("id");
        });
        assertThat(rest.rows("p", "ds", "t")).hasSize(1);
    }

    @Test
    void aRequestOverTenMegabytesIsRefusedSplittablyAndItsHalvesLand() {
        List<BigQueryRowMapper.Row> rows = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            rows.add(row(i, "x".repeat(1024 * 1024)));
        }
        Outcome o = deliver(rows);
        assertThat(o).isInstanceOfSatisfying(Outcome.RequestRefused.class, r -> {
            assertThat(r.splittable()).isTrue();
            assertThat(r.reason()).contains("too large");
        });
        assertThat(client.send("t", rows.subList(0, 6))).isEqualTo(Outcome.DELIVERED);
        assertThat(client.send("t", rows.subList(6, 12))).isEqualTo(Outcome.DELIVERED);
        assertThat(rest.rows("p", "ds", "t")).hasSize(12);
    }

    @Test
    void retryableStatusesAreRetriedAndAMissingTableIsMadeAgain() {
        deliver(List.of(row(1, "a")));
        write.failNext(Status.Code.UNAVAILABLE, 1);
        assertThat(client.send("t", List.of(row(2, "b")))).isInstanceOfSatisfying(Outcome.Retry.class,
                r -> assertThat(r.reason()).contains("UNAVAILABLE"));
        write.failNext(Status.Code.PERMISSION_DENIED, 1);
        assertThat(client.send("t", List.of(row(2, "b")))).isInstanceOfSatisfying(Outcome.Stop.class,
                r -> assertThat(r.reason()).contains("cdc.bigquery.keyfile"));
        assertThat(client.send("t", List.of(row(2, "b")))).isEqualTo(Outcome.DELIVERED);

        rest.dropTable("p", "ds", "t");
        assertThat(client.send("t", List.of(row(3, "c")))).isInstanceOfSatisfying(Outcome.Retry.class,
                r -> assertThat(r.reason()).contains("was not found"));
        assertThat(rest.table("p", "ds", "t")).isNotNull();
        assertThat(client.send("t", List.of(row(3, "c")))).isEqualTo(Outcome.DELIVERED);
        assertThat(rest.rows("p", "ds", "t")).extracting(r -> r.path("id").asLong()).containsExactly(3L);
    }

    @Test
    void plaintextOnlyToLoopback() {
        assertThat(BigQueryClients.loopback("localhost")).isTrue();
        assertThat(BigQueryClients.loopback("127.0.0.1")).isTrue();
        assertThat(BigQueryClients.loopback("127.3.2.1")).isTrue();
        assertThat(BigQueryClients.loopback("[::1]")).isTrue();
        assertThat(BigQueryClients.loopback("10.0.0.5")).isFalse();
        assertThat(BigQueryClients.loopback("bigquerystorage.googleapis.com")).isFalse();
        assertThat(BigQueryClients.loopback("127.0.0.1.example.com")).isFalse();
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.bigquery.storage-endpoint", "http://x")).get(io.cdcbridge.config.BigQuerySettings.STORAGE_ENDPOINT))
                .isInstanceOf(ConfigException.class).hasMessageContaining("host:port");
    }
}
