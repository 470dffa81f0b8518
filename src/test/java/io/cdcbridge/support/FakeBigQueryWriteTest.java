package io.cdcbridge.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.cloud.NoCredentials;
import com.google.cloud.ServiceOptions;
import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryOptions;
import com.google.cloud.bigquery.DatasetInfo;
import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.PrimaryKey;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.StandardSQLTypeName;
import com.google.cloud.bigquery.StandardTableDefinition;
import com.google.cloud.bigquery.TableConstraints;
import com.google.cloud.bigquery.TableId;
import com.google.cloud.bigquery.TableInfo;
import com.google.cloud.bigquery.storage.v1.AppendRowsResponse;
import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsRequest;
import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsResponse;
import com.google.cloud.bigquery.storage.v1.BigQueryWriteClient;
import com.google.cloud.bigquery.storage.v1.BigQueryWriteSettings;
import com.google.cloud.bigquery.storage.v1.CreateWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.Exceptions;
import com.google.cloud.bigquery.storage.v1.FlushRowsRequest;
import com.google.cloud.bigquery.storage.v1.GetWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.JsonStreamWriter;
import com.google.cloud.bigquery.storage.v1.ProtoRows;
import com.google.cloud.bigquery.storage.v1.ProtoSchema;
import com.google.cloud.bigquery.storage.v1.StorageError;
import com.google.cloud.bigquery.storage.v1.StreamWriter;
import com.google.cloud.bigquery.storage.v1.TableFieldSchema;
import com.google.cloud.bigquery.storage.v1.TableSchema;
import com.google.cloud.bigquery.storage.v1.WriteStream;
import com.google.cloud.bigquery.storage.v1.WriteStreamView;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Int64Value;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.json.JSONArray;
import org.json.JSONObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Storage Write fake answers the real google-cloud-bigquerystorage client (no credentials, plaintext) as BigQuery does. */
class FakeBigQueryWriteTest {

    FakeBigQuery rest;
    FakeBigQueryWrite fake;
    BigQuery bq;
    BigQueryWriteClient client;
    final TableId events = TableId.of("ds", "events");
    final String parent = "projects/p/datasets/ds/tables/events";

    @BeforeEach
    void start() throws Exception {
        rest = FakeBigQuery.start();
        fake = FakeBigQueryWrite.start(rest);
        bq = BigQueryOptions.newBuilder().setProjectId("p").setHost(rest.endpoint()).setCredentials(NoCredentials.getInstance())
                .setRetrySettings(ServiceOptions.getNoRetrySettings()).build().getService();
        bq.create(DatasetInfo.of("ds"));
        bq.create(TableInfo.of(events, StandardTableDefinition.of(Schema.of(
                Field.newBuilder("id", StandardSQLTypeName.INT64).setMode(Field.Mode.REQUIRED).build(),
                Field.of("name", StandardSQLTypeName.STRING),
                Field.of("at", StandardSQLTypeName.TIMESTAMP),
                Field.of("day", StandardSQLTypeName.DATE),
                Field.of("local", StandardSQLTypeName.DATETIME),
                Field.of("price", StandardSQLTypeName.NUMERIC),
                Field.of("big", StandardSQLTypeName.BIGNUMERIC),
                Field.of("doc", StandardSQLTypeName.JSON),
                Field.of("ok", StandardSQLTypeName.BOOL),
                Field.newBuilder("tags", StandardSQLTypeName.STRING).setMode(Field.Mode.REPEATED).build()))));
        client = BigQueryWriteClient.create(BigQueryWriteSettings.newBuilder()
                .setCredentialsProvider(NoCredentialsProvider.create())
                .setEndpoint(fake.endpoint())
                .setTransportChannelProvider(InstantiatingGrpcChannelProvider.newBuilder().setEndpoint(fake.endpoint())
                        .setChannelConfigurator(ManagedChannelBuilder::usePlaintext).build())
                .build());
    }

    @AfterEach
    void stop() throws Exception {
        client.shutdownNow();
        client.awaitTermination(5, TimeUnit.SECONDS);
        fake.close();
        rest.close();
    }

    private List<ObjectNode> rows() {
        return rest.rows("p", "ds", "events");
    }

    private JsonStreamWriter jsonWriter(String stream) throws Exception {
        return JsonStreamWriter.newBuilder(stream, client).build();
    }

    private static AppendRowsResponse get(com.google.api.core.ApiFuture<AppendRowsResponse> f) throws Exception {
        return f.get(30, TimeUnit.SECONDS);
    }

    private static Throwable failure(com.google.api.core.ApiFuture<AppendRowsResponse> f) {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
        throw new AssertionError("the append was accepted");
    }

    @Test
    void defaultStreamStoresJsonStreamWriterRowsAsInsertAllWould() throws Exception {
        try (JsonStreamWriter w = jsonWriter(parent + "/streams/_default")) {
            JSONArray batch = new JSONArray();
            batch.put(new JSONObject(Map.of("id", 1, "name", "ann", "at", "2024-05-01T10:00:00.123456Z", "day", "2024-05-01",
                    "local", "2024-05-01T10:00:00.5", "price", "12.50", "big", "1234567890123456789012345678901234.5678",
                    "doc", "{\"a\":1}", "ok", true, "tags", new JSONArray(List.of("x", "y")))));
            batch.put(new JSONObject(Map.of("id", 2)));
            AppendRowsResponse r;
            try {
                r = get(w.append(batch));
            } catch (ExecutionException e) {
                throw new AssertionError(e.getCause() instanceof Exceptions.AppendSerializationError a ? a.getRowIndexToErrorMessage().toString() : "", e);
            }
            assertThat(r.hasError()).isFalse();
        }
        List<ObjectNode> rows = rows();
        assertThat(rows).hasSize(2);
        ObjectNode a = rows.get(0);
        assertThat(a.get("id").asLong()).isEqualTo(1);
        assertThat(a.get("name").asText()).isEqualTo("ann");
        assertThat(a.get("at").asText()).isEqualTo("2024-05-01T10:00:00.123456Z");
        assertThat(a.get("day").asText()).isEqualTo("2024-05-01");
        assertThat(a.get("local").asText()).isEqualTo("2024-05-01T10:00:00.5");
        assertThat(a.get("price").asText()).as("as BigQuery prints it: no trailing zeros").isEqualTo("12.5");
        assertThat(a.get("big").asText()).isEqualTo("1234567890123456789012345678901234.5678");
        assertThat(a.get("doc").asText()).isEqualTo("{\"a\":1}");
        assertThat(a.get("ok").asBoolean()).isTrue();
        assertThat(a.get("tags").toString()).isEqualTo("[\"x\",\"y\"]");
        assertThat(rows.get(1).get("name")).isNull();
    }

    @Test
    void getWriteStreamGivesTheTableSchemaAndMissingTablesAreNotFound() {
        WriteStream s = client.getWriteStream(GetWriteStreamRequest.newBuilder().setName(parent + "/streams/_default")
                .setView(WriteStreamView.FULL).build());
        assertThat(s.getTableSchema().getFieldsList()).extracting(TableFieldSchema::getName)
                .containsExactly("id", "name", "at", "day", "local", "price", "big", "doc", "ok", "tags");
        assertThat(s.getTableSchema().getFields(0).getMode()).isEqualTo(TableFieldSchema.Mode.REQUIRED);
        assertThat(s.getTableSchema().getFields(5).getType()).isEqualTo(TableFieldSchema.Type.NUMERIC);
        assertThatThrownBy(() -> client.getWriteStream(GetWriteStreamRequest.newBuilder()
                .setName("projects/p/datasets/ds/tables/nope/streams/_default").build()))
                .isInstanceOfSatisfying(com.google.api.gax.rpc.NotFoundException.class,
                        e -> assertThat(e.getMessage()).contains("Requested entity was not found"));
    }

    @Test
    void stripsTrailingZerosAsBigDecimalDoes() {
        java.util.Random random = new java.util.Random(7);
        List<BigDecimal> values = new java.util.ArrayList<>(List.of(BigDecimal.ZERO, new BigDecimal("0E-38"),
                new BigDecimal("100"), new BigDecimal("-12.500000000"), new BigDecimal("1" + "0".repeat(75)),
                new BigDecimal(new java.math.BigInteger("123" + "0".repeat(54)), 38)));
        for (int i = 0; i < 20_000; i++) {
            java.math.BigInteger digits = new java.math.BigInteger(1 + random.nextInt(126), random)
                    .multiply(java.math.BigInteger.TEN.pow(random.nextInt(40)));
            values.add(new BigDecimal(random.nextBoolean() ? digits : digits.negate(), random.nextInt(80) - 20));
        }
        for (BigDecimal v : values) {
            BigDecimal expected = v.stripTrailingZeros();
            BigDecimal got = FakeBigQueryWrite.stripTrailingZeros(v);
            assertThat(got.unscaledValue()).as("%s", v).isEqualTo(expected.unscaledValue());
            assertThat(got.scale()).as("%s", v).isEqualTo(expected.scale());
        }
    }

    /** A proto writer schema of (name, type, label) fields, as a hand-written client would send. */
    private static Descriptors.Descriptor descriptor(Object... fields) throws Exception {
        DescriptorProtos.DescriptorProto.Builder d = DescriptorProtos.DescriptorProto.newBuilder().setName("Row");
        for (int i = 0; i < fields.length; i += 2) {
            d.addField(FieldDescriptorProto.newBuilder().setName((String) fields[i]).setNumber(i / 2 + 1)
                    .setType((FieldDescriptorProto.Type) fields[i + 1]).setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL));
        }
        return Descriptors.FileDescriptor.buildFrom(DescriptorProtos.FileDescriptorProto.newBuilder().setName("t.proto")
                .addMessageType(d).build(), new Descriptors.FileDescriptor[0]).findMessageTypeByName("Row");
    }

    private StreamWriter protoWriter(String stream, Descriptors.Descriptor d) throws Exception {
        return StreamWriter.newBuilder(stream, client)
                .setWriterSchema(ProtoSchema.newBuilder().setProtoDescriptor(d.toProto()).build()).build();
    }

    private static ProtoRows protoRows(Descriptors.Descriptor d, Map<?, ?>... rows) {
        ProtoRows.Builder b = ProtoRows.newBuilder();
        for (Map<?, ?> r : rows) {
            DynamicMessage.Builder m = DynamicMessage.newBuilder(d);
            r.forEach((k, v) -> m.setField(d.findFieldByName((String) k), v));
            b.addSerializedRows(m.build().toByteString());
        }
        return b.build();
    }

    @Test
    void badRowsAreListedByIndexAndTheWholeRequestIsRefused() throws Exception {
        Descriptors.Descriptor d = descriptor("id", FieldDescriptorProto.Type.TYPE_INT64, "price", FieldDescriptorProto.Type.TYPE_STRING,
                "big", FieldDescriptorProto.Type.TYPE_STRING, "at", FieldDescriptorProto.Type.TYPE_STRING);
        try (StreamWriter w = protoWriter(parent + "/streams/_default", d)) {
            Throwable t = failure(w.append(protoRows(d,
                    Map.of("id", 1L, "price", "1.5"),
                    Map.of("id", 2L, "price", "1.1234567891"), // NUMERIC holds 9 fraction digits
                    Map.of("price", "2"), // id is REQUIRED
                    Map.of("id", 4L, "big", "0." + "1".repeat(39)), // BIGNUMERIC holds 38
                    Map.of("id", 5L, "at", "yesterday"))));
            assertThat(t).isInstanceOfSatisfying(Exceptions.AppendSerializationError.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(e.getRowIndexToErrorMessage()).containsOnlyKeys(1, 2, 3, 4);
                assertThat(e.getRowIndexToErrorMessage().get(1)).contains("Invalid NUMERIC value");
                assertThat(e.getRowIndexToErrorMessage().get(2)).contains("id").contains("required");
                assertThat(e.getRowIndexToErrorMessage().get(3)).contains("Invalid BIGNUMERIC value");
                assertThat(e.getRowIndexToErrorMessage().get(4)).contains("Invalid TIMESTAMP value");
            });
            assertThat(rows()).as("nothing of a refused request is stored").isEmpty();
            // the connection goes on: the good row alone is accepted
            get(w.append(protoRows(d, Map.of("id", 1L, "price", "1.5"))));
        }
        assertThat(rows()).hasSize(1);
    }

    @Test
    void aWriterSchemaTheTableCannotTakeIsRefusedAsAWhole() throws Exception {
        Descriptors.Descriptor extra = descriptor("id", FieldDescriptorProto.Type.TYPE_INT64, "nope", FieldDescriptorProto.Type.TYPE_STRING);
        try (StreamWriter w = protoWriter(parent + "/streams/_default", extra)) {
            assertThat(failure(w.append(protoRows(extra, Map.of("id", 1L)))))
                    .isInstanceOfSatisfying(Exceptions.SchemaMismatchedException.class,
                            e -> assertThat(e.getMessage()).contains("extra fields: 'nope'"));
        }
        Descriptors.Descriptor wrong = descriptor("id", FieldDescriptorProto.Type.TYPE_INT64, "ok", FieldDescriptorProto.Type.TYPE_STRING);
        try (StreamWriter w = protoWriter(parent + "/streams/_default", wrong)) {
            assertThat(failure(w.append(protoRows(wrong, Map.of("id", 1L, "ok", "yes")))))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getMessage()).contains("proto field mismatched").contains("BOOLEAN");
                    });
        }
        assertThat(rows()).isEmpty();
    }

    @Test
    void jsonStreamWriterRefusesUnrepresentableNumericsItselfPerRow() throws Exception {
        try (JsonStreamWriter w = jsonWriter(parent + "/streams/_default")) {
            JSONArray batch = new JSONArray();
            batch.put(new JSONObject(Map.of("id", 1, "price", "1")));
            batch.put(new JSONObject(Map.of("id", 2, "big", "1" + "0".repeat(40))));
            assertThatThrownBy(() -> w.append(batch)).isInstanceOfSatisfying(Exceptions.AppendSerializationError.class,
                    e -> assertThat(e.getRowIndexToErrorMessage()).containsOnlyKeys(1));
        }
        assertThat(rows()).isEmpty();
    }

    @Test
    void committedStreamsCheckOffsets() throws Exception {
        WriteStream s = client.createWriteStream(CreateWriteStreamRequest.newBuilder().setParent(parent)
                .setWriteStream(WriteStream.newBuilder().setType(WriteStream.Type.COMMITTED)).build());
        assertThat(s.getTableSchema().getFieldsCount()).isEqualTo(10);
        Descriptors.Descriptor d = descriptor("id", FieldDescriptorProto.Type.TYPE_INT64);
        try (StreamWriter w = protoWriter(s.getName(), d)) {
            assertThat(get(w.append(protoRows(d, Map.of("id", 1L), Map.of("id", 2L)), 0)).getAppendResult().getOffset().getValue()).isZero();
            assertThat(rows()).as("COMMITTED: visible at once").hasSize(2);
            assertThat(get(w.append(protoRows(d, Map.of("id", 3L)), 2)).getAppendResult().getOffset().getValue()).isEqualTo(2);
        }
        try (StreamWriter w = protoWriter(s.getName(), d)) {
            assertThat(failure(w.append(protoRows(d, Map.of("id", 2L)), 1)))
                    .isInstanceOfSatisfying(Exceptions.OffsetAlreadyExists.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
                        assertThat(e.getExpectedOffset()).isEqualTo(3);
                        assertThat(e.getActualOffset()).isEqualTo(1);
                    });
        }
        try (StreamWriter w = protoWriter(s.getName(), d)) {
            assertThat(failure(w.append(protoRows(d, Map.of("id", 9L)), 7)))
                    .isInstanceOfSatisfying(Exceptions.OffsetOutOfRange.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
                        assertThat(e.getExpectedOffset()).isEqualTo(3);
                    });
        }
        try (StreamWriter w = protoWriter(parent + "/streams/_default", d)) {
            assertThat(failure(w.append(protoRows(d, Map.of("id", 9L)), 0)))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
        }
        assertThat(rows()).extracting(r -> r.get("id").asLong()).containsExactly(1L, 2L, 3L);
        assertThat(client.finalizeWriteStream(s.getName()).getRowCount()).isEqualTo(3);
        try (StreamWriter w = protoWriter(s.getName(), d)) {
            assertThat(failure(w.append(protoRows(d, Map.of("id", 4L)), 3))).isInstanceOf(Exceptions.StreamFinalizedException.class);
        }
    }

    @Test
    void pendingStreamsShowTheirRowsOnlyOnceFinalizedAndCommitted() throws Exception {
        WriteStream s = client.createWriteStream(CreateWriteStreamRequest.newBuilder().setParent(parent)
                .setWriteStream(WriteStream.newBuilder().setType(WriteStream.Type.PENDING)).build());
        Descriptors.Descriptor d = descriptor("id", FieldDescriptorProto.Type.TYPE_INT64);
        try (StreamWriter w = protoWriter(s.getName(), d)) {
            get(w.append(protoRows(d, Map.of("id", 1L), Map.of("id", 2L)), 0));
        }
        assertThat(rows()).isEmpty();
        BatchCommitWriteStreamsResponse early = client.batchCommitWriteStreams(BatchCommitWriteStreamsRequest.newBuilder()
                .setParent(parent).addWriteStreams(s.getName()).build());
        assertThat(early.hasCommitTime()).isFalse();
        assertThat(early.getStreamErrors(0).getCode()).isEqualTo(StorageError.StorageErrorCode.INVALID_STREAM_STATE);
        assertThat(rows()).isEmpty();

        client.finalizeWriteStream(s.getName());
        BatchCommitWriteStreamsResponse commit = client.batchCommitWriteStreams(BatchCommitWriteStreamsRequest.newBuilder()
                .setParent(parent).addWriteStreams(s.getName()).build());
        assertThat(commit.hasCommitTime()).isTrue();
        assertThat(rows()).hasSize(2);
        BatchCommitWriteStreamsResponse again = client.batchCommitWriteStreams(BatchCommitWriteStreamsRequest.newBuilder()
                .setParent(parent).addWriteStreams(s.getName()).build());
        assertThat(again.getStreamErrors(0).getCode()).isEqualTo(StorageError.StorageErrorCode.STREAM_ALREADY_COMMITTED);
        assertThat(rows()).hasSize(2);
    }

    @Test
    void bufferedStreamsShowRowsUpToTheFlushedOffset() throws Exception {
        WriteStream s = client.createWriteStream(CreateWriteStreamRequest.newBuilder().setParent(parent)
                .setWriteStream(WriteStream.newBuilder().setType(WriteStream.Type.BUFFERED)).build());
        Descriptors.Descriptor d = descriptor("id", FieldDescriptorProto.Type.TYPE_INT64);
        try (StreamWriter w = protoWriter(s.getName(), d)) {
            get(w.append(protoRows(d, Map.of("id", 1L), Map.of("id", 2L), Map.of("id", 3L)), 0));
        }
        assertThat(rows()).isEmpty();
        assertThat(client.flushRows(FlushRowsRequest.newBuilder().setWriteStream(s.getName()).setOffset(Int64Value.of(1)).build())
                .getOffset()).isEqualTo(1);
        assertThat(rows()).extracting(r -> r.get("id").asLong()).containsExactly(1L, 2L);
        assertThatThrownBy(() -> client.flushRows(FlushRowsRequest.newBuilder().setWriteStream(s.getName()).setOffset(Int64Value.of(5)).build()))
                .isInstanceOf(com.google.api.gax.rpc.OutOfRangeException.class);
    }

    @Test
    void requestsOverTenMegabytesAreRefused() throws Exception {
        Descriptors.Descriptor d = descriptor("id", FieldDescriptorProto.Type.TYPE_INT64, "name", FieldDescriptorProto.Type.TYPE_STRING);
        String mb = "x".repeat(1024 * 1024);
        Map<?, ?>[] rows = new Map<?, ?>[11];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = Map.of("id", (long) i, "name", mb);
        }
        try (StreamWriter w = protoWriter(parent + "/streams/_default", d)) {
            assertThat(failure(w.append(protoRows(d, rows))))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getMessage()).contains("too large");
                    });
            get(w.append(protoRows(d, java.util.Arrays.copyOf(rows, 9))));
        }
        assertThat(rows()).hasSize(9);
    }

    @Test
    void injectedFailuresAnswerTheirStatus() throws Exception {
        fake.failNext(Status.Code.UNAVAILABLE, 1);
        Descriptors.Descriptor d = descriptor("id", FieldDescriptorProto.Type.TYPE_INT64);
        try (StreamWriter w = protoWriter(parent + "/streams/_default", d)) {
            assertThat(failure(w.append(protoRows(d, Map.of("id", 1L)))))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
            get(w.append(protoRows(d, Map.of("id", 1L))));
        }
        assertThat(rows()).hasSize(1);
    }

    // ---- BigQuery CDC ----

    private void createKeyed(String table, List<String> key) {
        bq.create(TableInfo.newBuilder(TableId.of("ds", table), StandardTableDefinition.of(Schema.of(
                        Field.newBuilder("id", StandardSQLTypeName.INT64).setMode(Field.Mode.REQUIRED).build(),
                        Field.of("name", StandardSQLTypeName.STRING))))
                .setTableConstraints(TableConstraints.newBuilder().setPrimaryKey(PrimaryKey.newBuilder().setColumns(key).build()).build())
                .build());
    }

    private static TableSchema cdcSchema() {
        return TableSchema.newBuilder()
                .addFields(TableFieldSchema.newBuilder().setName("id").setType(TableFieldSchema.Type.INT64).setMode(TableFieldSchema.Mode.REQUIRED))
                .addFields(TableFieldSchema.newBuilder().setName("name").setType(TableFieldSchema.Type.STRING).setMode(TableFieldSchema.Mode.NULLABLE))
                .addFields(TableFieldSchema.newBuilder().setName("_CHANGE_TYPE").setType(TableFieldSchema.Type.STRING).setMode(TableFieldSchema.Mode.NULLABLE))
                .addFields(TableFieldSchema.newBuilder().setName("_CHANGE_SEQUENCE_NUMBER").setType(TableFieldSchema.Type.STRING).setMode(TableFieldSchema.Mode.NULLABLE))
                .build();
    }

    private static JSONObject change(long id, String name, String type, String seq) {
        JSONObject o = new JSONObject();
        o.put("id", id);
        if (name != null) {
            o.put("name", name);
        }
        o.put("_CHANGE_TYPE", type);
        if (seq != null) {
            o.put("_CHANGE_SEQUENCE_NUMBER", seq);
        }
        return o;
    }

    @Test
    void cdcUpsertsAndDeletesApplyByKeyAndSequenceNumber() throws Exception {
        createKeyed("current", List.of("id"));
        try (JsonStreamWriter w = JsonStreamWriter.newBuilder("projects/p/datasets/ds/tables/current/streams/_default", cdcSchema(), client).build()) {
            get(w.append(new JSONArray(List.of(
                    change(1, "a1", "UPSERT", "10/1"),
                    change(2, "b1", "UPSERT", "10/2"),
                    change(1, "a2", "UPSERT", "10/3"),
                    change(1, "old", "UPSERT", "F/FF"), // lower first section: never overwrites
                    change(3, "c1", "UPSERT", "11/0")))));
            get(w.append(new JSONArray(List.of(
                    change(2, null, "DELETE", "12/0"),
                    change(2, "b0", "UPSERT", "10/5"), // older than the delete: the row stays deleted
                    change(3, "c2", "UPSERT", null))))); // no sequence number: the later write wins
            Throwable t = failure(w.append(new JSONArray(List.of(change(4, "d", "UPSERT", "1"), change(5, "e", "MERGE", "2"),
                    change(6, "f", "UPSERT", "XYZ")))));
            assertThat(t).isInstanceOfSatisfying(Exceptions.AppendSerializationError.class,
                    e -> assertThat(e.getRowIndexToErrorMessage()).containsOnlyKeys(1, 2));
        }
        assertThat(rest.rows("p", "ds", "current")).extracting(r -> r.get("id").asLong() + "=" + r.get("name").asText())
                .containsExactlyInAnyOrder("1=a2", "3=c2");
    }

    @Test
    void cdcNeedsAPrimaryKeyAndTheDefaultStream() throws Exception {
        assertThatThrownBy(() -> createKeyed("wide", List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q")))
                .hasMessageContaining("between 1 and 16 columns");
        bq.create(TableInfo.of(TableId.of("ds", "keyless"), StandardTableDefinition.of(Schema.of(
                Field.newBuilder("id", StandardSQLTypeName.INT64).setMode(Field.Mode.REQUIRED).build(), Field.of("name", StandardSQLTypeName.STRING)))));
        try (JsonStreamWriter w = JsonStreamWriter.newBuilder("projects/p/datasets/ds/tables/keyless/streams/_default", cdcSchema(), client).build()) {
            assertThat(failure(w.append(new JSONArray(List.of(change(1, "a", "UPSERT", "1"))))))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getMessage()).contains("primary key"));
        }
        createKeyed("keyed", List.of("id"));
        WriteStream s = client.createWriteStream(CreateWriteStreamRequest.newBuilder().setParent("projects/p/datasets/ds/tables/keyed")
                .setWriteStream(WriteStream.newBuilder().setType(WriteStream.Type.COMMITTED)).build());
        try (JsonStreamWriter w = JsonStreamWriter.newBuilder(s.getName(), cdcSchema(), client).build()) {
            assertThat(failure(w.append(new JSONArray(List.of(change(1, "a", "UPSERT", "1"))))))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getMessage()).contains("_default"));
        }
        assertThat(rest.rows("p", "ds", "keyless")).isEmpty();
        assertThat(rest.rows("p", "ds", "keyed")).isEmpty();
    }

    @Test
    void sequenceNumbersCompareSectionBySectionUnsigned() {
        assertThat(FakeBigQueryWrite.compareSequences(FakeBigQueryWrite.sequence("A/1"), FakeBigQueryWrite.sequence("9/FFFF"))).isPositive();
        assertThat(FakeBigQueryWrite.compareSequences(FakeBigQueryWrite.sequence("FFFFFFFFFFFFFFFF"), FakeBigQueryWrite.sequence("1"))).isPositive();
        assertThat(FakeBigQueryWrite.compareSequences(FakeBigQueryWrite.sequence("1/2"), FakeBigQueryWrite.sequence("1/2/0"))).isNegative();
        assertThat(FakeBigQueryWrite.compareSequences(FakeBigQueryWrite.sequence("00A"), FakeBigQueryWrite.sequence("a"))).isZero();
    }
}
