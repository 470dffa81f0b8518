package io.cdcbridge.bench;

import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryOptions;
import com.google.cloud.bigquery.DatasetInfo;
import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.StandardSQLTypeName;
import com.google.cloud.bigquery.StandardTableDefinition;
import com.google.cloud.bigquery.TableId;
import com.google.cloud.bigquery.TableInfo;
import com.google.cloud.bigquery.storage.v1.BigQueryWriteClient;
import com.google.cloud.bigquery.storage.v1.BigQueryWriteSettings;
import com.google.cloud.bigquery.storage.v1.CreateWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.JsonStreamWriter;
import com.google.cloud.bigquery.storage.v1.WriteStream;
import io.cdcbridge.support.FakeBigQuery;
import io.grpc.ManagedChannelBuilder;
import org.json.JSONArray;
import org.json.JSONObject;

/**
 * The Storage Write API's two stream kinds side by side (bench/writepaths.sh, docs/bigquery.md "Why the default
 * stream"; not a test): the real google-cloud-bigquerystorage client appends ROWS changelog-shaped rows in batches of
 * BATCH, each batch awaited before the next (as the sink delivers a Kafka batch before it commits its offsets), once to
 * the table's {@code _default} stream (at least once) and once to a COMMITTED stream with an offset per append (the
 * exactly-once protocol), each against a fresh gRPC fake on loopback in this JVM. Prints rows/s and this JVM's CPU
 * per 100k rows (client and fake together: the fake's share is the same work in both runs, so the difference is the
 * protocol's). Not modelled: storing each stream's next offset durably next to the Kafka offsets, which exactly once
 * also needs.
 *
 * <pre>WriteStreamsBench ROWS BATCH</pre>
 */
public final class WriteStreamsBench {

    public static void main(String[] a) throws Exception {
        int rows = Integer.parseInt(a[0]);
        int batch = Integer.parseInt(a[1]);
        for (String kind : new String[] {"default", "committed", "default", "committed"}) {
            run(kind, rows, batch); // twice each: the first pair warms the JIT
        }
    }

    private static void run(String kind, int rows, int batch) throws Exception {
        try (FakeBigQuery rest = FakeBigQuery.start()) {
            var fake = rest.storageWrite();
            BigQuery bq = BigQueryOptions.newBuilder().setProjectId("p").setHost(rest.endpoint())
                    .setCredentials(NoCredentials.getInstance()).setRetrySettings(ServiceOptions.getNoRetrySettings()).build().getService();
            bq.create(DatasetInfo.of("ds"));
            bq.create(TableInfo.of(TableId.of("ds", "sales"), StandardTableDefinition.of(Schema.of(
                    Field.of("id", StandardSQLTypeName.INT64), Field.of("book_id", StandardSQLTypeName.INT64),
                    Field.of("user_id", StandardSQLTypeName.INT64), Field.of("quantity", StandardSQLTypeName.INT64),
                    Field.of("price", StandardSQLTypeName.BIGNUMERIC), Field.of("sold_at", StandardSQLTypeName.TIMESTAMP),
                    Field.of("_op", StandardSQLTypeName.STRING), Field.of("_lsn", StandardSQLTypeName.INT64),
                    Field.of("_source_ts", StandardSQLTypeName.TIMESTAMP)))));
            BigQueryWriteClient client = BigQueryWriteClient.create(BigQueryWriteSettings.newBuilder()
                    .setCredentialsProvider(NoCredentialsProvider.create()).setEndpoint(fake.endpoint())
                    .setTransportChannelProvider(InstantiatingGrpcChannelProvider.newBuilder().setEndpoint(fake.endpoint())
                            .setChannelConfigurator(ManagedChannelBuilder::usePlaintext).build())
                    .build());
            String table = "projects/p/datasets/ds/tables/sales";
            long cpu0 = cpuNanos();
            long t0 = System.nanoTime();
            String stream = table + "/streams/_default";
            if (kind.equals("committed")) {
                stream = client.createWriteStream(CreateWriteStreamRequest.newBuilder().setParent(table)
                        .setWriteStream(WriteStream.newBuilder().setType(WriteStream.Type.COMMITTED)).build()).getName();
            }
            try (JsonStreamWriter w = JsonStreamWriter.newBuilder(stream, client).build()) {
                long offset = 0;
                for (int start = 0; start < rows; start += batch) {
                    JSONArray b = new JSONArray();
                    for (int i = start; i < Math.min(rows, start + batch); i++) {
                        JSONObject r = new JSONObject();
                        r.put("id", i).put("book_id", 1 + i % 1000).put("user_id", 1 + i % 5000).put("quantity", 1 + i % 5)
                                .put("price", (1 + i % 100) * 1.25 + "").put("sold_at", "2026-12-02T08:00:00.123456Z")
                                .put("_op", "c").put("_lsn", 1_000_000L + i).put("_source_ts", "2026-12-02T08:00:00.2Z");
                        b.put(r);
                    }
                    if (kind.equals("committed")) {
                        w.append(b, offset).get(60, TimeUnit.SECONDS);
                        offset += b.length();
                    } else {
                        w.append(b).get(60, TimeUnit.SECONDS);
                    }
                }
            }
            if (kind.equals("committed")) {
                client.finalizeWriteStream(stream);
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            long cpuMs = (cpuNanos() - cpu0) / 1_000_000;
            int stored = rest.rows("p", "ds", "sales").size();
            if (stored != rows) {
                throw new IllegalStateException(kind + ": the fake holds " + stored + " of " + rows + " rows");
            }
            System.out.printf("write-streams %-9s: %d rows in batches of %d in %.3f s = %.0f rows/s; CPU (client and fake) %.2f s per 100k rows%n",
                    kind, rows, batch, ms / 1000.0, rows * 1000.0 / Math.max(1, ms), cpuMs / 1000.0 * 100_000 / rows);
            client.shutdownNow();
            client.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }
}
