package io.cdcbridge.support;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.cloud.bigquery.storage.v1.AppendRowsRequest;
import com.google.cloud.bigquery.storage.v1.AppendRowsResponse;
import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsRequest;
import com.google.cloud.bigquery.storage.v1.BatchCommitWriteStreamsResponse;
import com.google.cloud.bigquery.storage.v1.BigDecimalByteStringEncoder;
import com.google.cloud.bigquery.storage.v1.BigQueryWriteGrpc;
import com.google.cloud.bigquery.storage.v1.CivilTimeEncoder;
import com.google.cloud.bigquery.storage.v1.CreateWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.FinalizeWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.FinalizeWriteStreamResponse;
import com.google.cloud.bigquery.storage.v1.FlushRowsRequest;
import com.google.cloud.bigquery.storage.v1.FlushRowsResponse;
import com.google.cloud.bigquery.storage.v1.GetWriteStreamRequest;
import com.google.cloud.bigquery.storage.v1.RowError;
import com.google.cloud.bigquery.storage.v1.StorageError;
import com.google.cloud.bigquery.storage.v1.TableFieldSchema;
import com.google.cloud.bigquery.storage.v1.TableSchema;
import com.google.cloud.bigquery.storage.v1.WriteStream;
import com.google.cloud.bigquery.storage.v1.WriteStreamView;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.Int64Value;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;

/**
 * BigQuery's Storage Write service ({@code google.cloud.bigquery.storage.v1.BigQueryWrite}) for tests
 * (docs/architecture.md §11): a gRPC server on loopback, plaintext, for the real google-cloud-bigquerystorage client
 * ({@code JsonStreamWriter}, {@code StreamWriter}, {@code BigQueryWriteClient}) with no credentials. Tables live in a
 * {@link FakeBigQuery}: they are created and extended over REST, rows written here land in the same
 * {@link FakeBigQuery.Table#rows} (as JSON, in the form insertAll would have stored them) and tests read them the same way.
 *
 * <p>What it checks, as the service does:
 * <ul>
 *   <li>streams: {@code _default} (committed at once, no offsets), and created COMMITTED (visible at once, offsets),
 *   PENDING (visible after FinalizeWriteStream and BatchCommitWriteStreams), BUFFERED (visible up to FlushRows'
 *   offset); an append to a finalized stream is refused ({@code STREAM_FINALIZED}), to a missing one NOT_FOUND;</li>
 *   <li>offsets on created streams: an offset already written is ALREADY_EXISTS ({@code OFFSET_ALREADY_EXISTS}), one
 *   past the end OUT_OF_RANGE ({@code OFFSET_OUT_OF_RANGE}), both with the "expected offset N, received M" the client
 *   parses; an offset on {@code _default} is INVALID_ARGUMENT;</li>
 *   <li>the writer schema (first request of a connection) against the table: a field the table lacks is
 *   {@code SCHEMA_MISMATCH_EXTRA_FIELDS}, a proto type the column cannot take is INVALID_ARGUMENT, both for the whole
 *   request;</li>
 *   <li>each row against the table: a REQUIRED column missing, NUMERIC/BIGNUMERIC beyond their precision and scale (and
 *   a column's own NUMERIC(P,S)), unparsable DATE/DATETIME/TIME/TIMESTAMP strings, invalid JSON: the request is
 *   refused as a whole (INVALID_ARGUMENT, nothing stored) and {@code row_errors} lists each bad row with its index,
 *   {@code FIELDS_ERROR} and a message;</li>
 *   <li>a request over {@link #MAX_REQUEST_BYTES} (10 MB) is INVALID_ARGUMENT;</li>
 *   <li>BigQuery CDC: on {@code _default}, rows carrying {@code _CHANGE_TYPE} (UPSERT or DELETE) and optionally
 *   {@code _CHANGE_SEQUENCE_NUMBER} (up to four hex sections separated by '/') into a table with a primary key
 *   ({@code tableConstraints}, at most 16 columns, checked by the REST fake) are applied by key: a change with a lower
 *   sequence number than the key's last never overwrites it (a DELETE leaves the key's number behind, so an older
 *   UPSERT arriving later does not resurrect the row); without a sequence number the later write wins. CDC on
 *   another stream, or into a table without a primary key, is INVALID_ARGUMENT.</li>
 * </ul>
 * The service applies CDC changes in the background within the table's max_staleness; the fake applies them at once,
 * which is the freshest answer the service can give.
 */
public final class FakeBigQueryWrite implements AutoCloseable {

    /** AppendRows request limit: "The size of a single AppendRowsRequest must be less than 10 MB". */
    public static final int MAX_REQUEST_BYTES = 10 * 1024 * 1024;
    public static final String CHANGE_TYPE = "_CHANGE_TYPE";
    public static final String CHANGE_SEQUENCE_NUMBER = "_CHANGE_SEQUENCE_NUMBER";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern STREAM = Pattern.compile("projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)/streams/([^/]+)");
    private static final Pattern TABLE = Pattern.compile("projects/([^/]+)/datasets/([^/]+)/tables/([^/]+)");
    private static final Pattern SEQUENCE = Pattern.compile("[0-9A-Fa-f]{1,16}(/[0-9A-Fa-f]{1,16}){0,3}");
    private static final Instant TIMESTAMP_MIN = Instant.parse("0001-01-01T00:00:00Z");
    private static final Instant TIMESTAMP_END = Instant.parse("+10000-01-01T00:00:00Z");
    private static final BigDecimal NUMERIC_MAX = new BigDecimal("1E29");
    private static final BigDecimal BIGNUMERIC_MAX = new BigDecimal("1E38");

    /** One created stream (not {@code _default}). */
    static final class Stream {
        final String name;
        final WriteStream.Type type;
        final String tableKey;
        final Timestamp created;
        /** Rows appended (all types): visible per type's rule. */
        final List<ObjectNode> rows = new ArrayList<>();
        long flushed;
        boolean finalized;
        boolean committed;
        /** How many of {@link #rows} are already in the table. */
        int applied;

        Stream(String name, WriteStream.Type type, String tableKey, Timestamp created) {
            this.name = name;
            this.type = type;
            this.tableKey = tableKey;
            this.created = created;
        }
    }

    /** A key's last CDC change: its sequence number (null: none given) and whether it deleted the row. */
    record KeyState(long[] sequence, ObjectNode row) {
    }

    private final FakeBigQuery rest;
    private final Server server;
    private final Map<String, Stream> streams = new ConcurrentHashMap<>();
    /** Per table key: primary key values (as JSON text) → the key's last CDC change. */
    private final Map<String, Map<String, KeyState>> cdc = new ConcurrentHashMap<>();
    /** Per current-state table, each stored row's last known index in its list (checked before use: see position). */
    private final Map<FakeBigQuery.Table, IdentityHashMap<ObjectNode, Integer>> positions = new ConcurrentHashMap<>();
    private final AtomicLong streamIds = new AtomicLong();
    private final AtomicInteger appendRequests = new AtomicInteger();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile Status.Code failureCode = Status.Code.UNAVAILABLE;
    private volatile long failUntilNanos = System.nanoTime();
    private final List<String> requestLog = java.util.Collections.synchronizedList(new ArrayList<>());

    private FakeBigQueryWrite(FakeBigQuery rest, int port) throws IOException {
        this.rest = rest;
        // above the 10 MB limit, so an oversized request reaches the service's own check (gRPC's default is 4 MB)
        this.server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .maxInboundMessageSize(3 * MAX_REQUEST_BYTES)
                .addService(new Service())
                .build()
                .start();
    }

    /** Starts on an ephemeral loopback port, over {@code rest}'s tables. */
    public static FakeBigQueryWrite start(FakeBigQuery rest) {
        return start(rest, 0);
    }

    public static FakeBigQueryWrite start(FakeBigQuery rest, int port) {
        try {
            return new FakeBigQueryWrite(rest, port);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start the Storage Write fake", e);
        }
    }

    /** {@code host:port} for the client ({@code cdc.bigquery.storage-endpoint}). */
    public String endpoint() {
        return "127.0.0.1:" + server.getPort();
    }

    public int appendRequests() {
        return appendRequests.get();
    }

    /** The next {@code count} AppendRows requests answer {@code code} (UNAVAILABLE, INTERNAL, RESOURCE_EXHAUSTED ...). */
    public void failNext(Status.Code code, int count) {
        failureCode = code;
        failuresLeft.set(count);
    }

    /**
     * The next {@code count} AppendRows requests to {@code table}'s streams (a table id: {@code x_current} for a
     * current-state table) answer {@code code}; requests to other tables pass.
     */
    public void failNext(String table, Status.Code code, int count) {
        failAfter(table, 0, code, count);
    }

    /** As {@link #failNext(String, Status.Code, int)}, after letting the next {@code pass} requests to the table through. */
    public void failAfter(String table, int pass, Status.Code code, int count) {
        tableFailureCode = code;
        tablePasses.put(table, new AtomicInteger(pass));
        tableFailures.put(table, new AtomicInteger(count));
    }

    /** What {@link #failNext(String, Status.Code, int)} has not yet answered for {@code table}. */
    public int failuresLeft(String table) {
        AtomicInteger left = tableFailures.get(table);
        return left == null ? 0 : Math.max(0, left.get());
    }

    private final Map<String, AtomicInteger> tableFailures = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> tablePasses = new ConcurrentHashMap<>();
    private volatile Status.Code tableFailureCode = Status.Code.UNAVAILABLE;

    /** For {@code window} from now, every AppendRows request answers {@code code} ({@link Duration#ZERO} ends it). */
    public void failFor(Status.Code code, java.time.Duration window) {
        failureCode = code;
        failUntilNanos = System.nanoTime() + window.toNanos();
    }

    public int failuresLeft() {
        return Math.max(0, failuresLeft.get());
    }

    public List<String> requestLog() {
        synchronized (requestLog) {
            return List.copyOf(requestLog);
        }
    }

    @Override
    public void close() {
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- names and schemas ----

    private static String tableKey(String project, String dataset, String table) {
        return project + ":" + dataset + "." + table;
    }

    private FakeBigQuery.Table table(String tableKey) {
        int colon = tableKey.indexOf(':');
        int dot = tableKey.indexOf('.', colon);
        return rest.table(tableKey.substring(0, colon), tableKey.substring(colon + 1, dot), tableKey.substring(dot + 1));
    }

    private static StatusRuntimeException notFound(String entity) {
        return Status.NOT_FOUND.withDescription("Requested entity was not found. Entity: " + entity).asRuntimeException();
    }

    /** The table's REST schema as the Storage API's TableSchema. */
    static TableSchema storageSchema(JsonNode restSchema) {
        TableSchema.Builder b = TableSchema.newBuilder();
        restSchema.path("fields").forEach(f -> b.addFields(field(f)));
        return b.build();
    }

    private static TableFieldSchema field(JsonNode f) {
        TableFieldSchema.Builder b = TableFieldSchema.newBuilder().setName(f.path("name").asText())
                .setType(type(f.path("type").asText()))
                .setMode(switch (f.path("mode").asText("NULLABLE")) {
                    case "REQUIRED" -> TableFieldSchema.Mode.REQUIRED;
                    case "REPEATED" -> TableFieldSchema.Mode.REPEATED;
                    default -> TableFieldSchema.Mode.NULLABLE;
                });
        if (f.has("precision")) {
            b.setPrecision(f.path("precision").asLong());
        }
        if (f.has("scale")) {
            b.setScale(f.path("scale").asLong());
        }
        f.path("fields").forEach(c -> b.addFields(field(c)));
        return b.build();
    }

    private static TableFieldSchema.Type type(String rest) {
        return switch (rest.toUpperCase(Locale.ROOT)) {
            case "STRING" -> TableFieldSchema.Type.STRING;
            case "INTEGER", "INT64" -> TableFieldSchema.Type.INT64;
            case "FLOAT", "FLOAT64" -> TableFieldSchema.Type.DOUBLE;
            case "BOOLEAN", "BOOL" -> TableFieldSchema.Type.BOOL;
            case "BYTES" -> TableFieldSchema.Type.BYTES;
            case "TIMESTAMP" -> TableFieldSchema.Type.TIMESTAMP;
            case "DATE" -> TableFieldSchema.Type.DATE;
            case "TIME" -> TableFieldSchema.Type.TIME;
            case "DATETIME" -> TableFieldSchema.Type.DATETIME;
            case "NUMERIC" -> TableFieldSchema.Type.NUMERIC;
            case "BIGNUMERIC" -> TableFieldSchema.Type.BIGNUMERIC;
            case "JSON" -> TableFieldSchema.Type.JSON;
            case "GEOGRAPHY" -> TableFieldSchema.Type.GEOGRAPHY;
            case "RECORD", "STRUCT" -> TableFieldSchema.Type.STRUCT;
            default -> TableFieldSchema.Type.TYPE_UNSPECIFIED;
        };
    }

    private static com.google.rpc.Status rpcStatus(Status.Code code, String message, StorageError.StorageErrorCode storageCode,
            String entity) {
        com.google.rpc.Status.Builder s = com.google.rpc.Status.newBuilder().setCode(code.value()).setMessage(message);
        if (storageCode != null) {
            s.addDetails(Any.pack(StorageError.newBuilder().setCode(storageCode).setEntity(entity).setErrorMessage(message).build()));
        }
        return s.build();
    }

    private static Timestamp now() {
        Instant i = Instant.now();
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    // ---- the service ----

    private final class Service extends BigQueryWriteGrpc.BigQueryWriteImplBase {

        @Override
        public void createWriteStream(CreateWriteStreamRequest request, StreamObserver<WriteStream> out) {
            requestLog.add("CreateWriteStream " + request.getParent());
            var m = TABLE.matcher(request.getParent());
            if (!m.matches()) {
                out.onError(Status.INVALID_ARGUMENT.withDescription("Invalid parent: " + request.getParent()).asRuntimeException());
                return;
            }
            String key = tableKey(m.group(1), m.group(2), m.group(3));
            FakeBigQuery.Table t = table(key);
            if (t == null || t.resource.has("view")) {
                out.onError(notFound(request.getParent()));
                return;
            }
            WriteStream.Type type = request.getWriteStream().getType();
            if (type != WriteStream.Type.COMMITTED && type != WriteStream.Type.PENDING && type != WriteStream.Type.BUFFERED) {
                out.onError(Status.INVALID_ARGUMENT.withDescription("Invalid stream type: " + type).asRuntimeException());
                return;
            }
            String name = request.getParent() + "/streams/s" + streamIds.incrementAndGet() + "_" + Long.toHexString(System.nanoTime());
            Stream s = new Stream(name, type, key, now());
            streams.put(name, s);
            out.onNext(describe(s.name, s.type, s.created, t, WriteStreamView.FULL));
            out.onCompleted();
        }

        @Override
        public void getWriteStream(GetWriteStreamRequest request, StreamObserver<WriteStream> out) {
            requestLog.add("GetWriteStream " + request.getName());
            var m = STREAM.matcher(request.getName());
            if (!m.matches()) {
                out.onError(Status.INVALID_ARGUMENT.withDescription("Invalid stream name: " + request.getName()).asRuntimeException());
                return;
            }
            String key = tableKey(m.group(1), m.group(2), m.group(3));
            FakeBigQuery.Table t = table(key);
            if (t == null || t.resource.has("view")) {
                out.onError(notFound(request.getName()));
                return;
            }
            if ("_default".equals(m.group(4))) {
                out.onNext(describe(request.getName(), WriteStream.Type.COMMITTED, Timestamp.getDefaultInstance(), t, request.getView()));
            } else {
                Stream s = streams.get(request.getName());
                if (s == null) {
                    out.onError(notFound(request.getName()));
                    return;
                }
                out.onNext(describe(s.name, s.type, s.created, t, request.getView()));
            }
            out.onCompleted();
        }

        @Override
        public void finalizeWriteStream(FinalizeWriteStreamRequest request, StreamObserver<FinalizeWriteStreamResponse> out) {
            requestLog.add("FinalizeWriteStream " + request.getName());
            if (request.getName().endsWith("/streams/_default")) {
                out.onError(Status.INVALID_ARGUMENT.withDescription("Cannot finalize the default stream: " + request.getName()).asRuntimeException());
                return;
            }
            Stream s = streams.get(request.getName());
            if (s == null) {
                out.onError(notFound(request.getName()));
                return;
            }
            synchronized (s) {
                s.finalized = true;
                out.onNext(FinalizeWriteStreamResponse.newBuilder().setRowCount(s.rows.size()).build());
            }
            out.onCompleted();
        }

        @Override
        public void batchCommitWriteStreams(BatchCommitWriteStreamsRequest request, StreamObserver<BatchCommitWriteStreamsResponse> out) {
            requestLog.add("BatchCommitWriteStreams " + request.getParent() + " " + request.getWriteStreamsList());
            BatchCommitWriteStreamsResponse.Builder response = BatchCommitWriteStreamsResponse.newBuilder();
            List<Stream> toCommit = new ArrayList<>();
            for (String name : request.getWriteStreamsList()) {
                Stream s = streams.get(name);
                StorageError.StorageErrorCode code = null;
                String message = null;
                if (s == null) {
                    code = StorageError.StorageErrorCode.STREAM_NOT_FOUND;
                    message = "Stream is not found";
                } else if (!s.tableKey.equals(parentKey(request.getParent(), s))) {
                    code = StorageError.StorageErrorCode.INVALID_STREAM_STATE;
                    message = "Stream is not of the parent table";
                } else if (s.type != WriteStream.Type.PENDING) {
                    code = StorageError.StorageErrorCode.INVALID_STREAM_TYPE;
                    message = "Stream of type " + s.type + " cannot be committed, only PENDING streams are";
                } else if (s.committed) {
                    code = StorageError.StorageErrorCode.STREAM_ALREADY_COMMITTED;
                    message = "Stream is already committed";
                } else if (!s.finalized) {
                    code = StorageError.StorageErrorCode.INVALID_STREAM_STATE;
                    message = "Stream is not finalized";
                }
                if (code != null) {
                    response.addStreamErrors(StorageError.newBuilder().setCode(code).setEntity(name).setErrorMessage(message));
                } else {
                    toCommit.add(s);
                }
            }
            // atomic: one refused stream and none is committed
            if (response.getStreamErrorsCount() == 0) {
                for (Stream s : toCommit) {
                    synchronized (s) {
                        s.committed = true;
                        apply(s, s.rows.size());
                    }
                }
                response.setCommitTime(now());
            }
            out.onNext(response.build());
            out.onCompleted();
        }

        @Override
        public void flushRows(FlushRowsRequest request, StreamObserver<FlushRowsResponse> out) {
            requestLog.add("FlushRows " + request.getWriteStream() + " " + request.getOffset().getValue());
            Stream s = streams.get(request.getWriteStream());
            if (s == null) {
                out.onError(notFound(request.getWriteStream()));
                return;
            }
            synchronized (s) {
                if (s.type != WriteStream.Type.BUFFERED) {
                    out.onError(Status.INVALID_ARGUMENT.withDescription("FlushRows is only for BUFFERED streams, "
                            + request.getWriteStream() + " is " + s.type).asRuntimeException());
                    return;
                }
                long offset = request.getOffset().getValue();
                if (offset >= s.rows.size()) {
                    out.onError(Status.OUT_OF_RANGE.withDescription("The offset is beyond stream, expected offset "
                            + (s.rows.size() - 1) + ", received " + offset).asRuntimeException());
                    return;
                }
                s.flushed = Math.max(s.flushed, offset + 1);
                apply(s, (int) s.flushed);
                out.onNext(FlushRowsResponse.newBuilder().setOffset(offset).build());
            }
            out.onCompleted();
        }

        @Override
        public StreamObserver<AppendRowsRequest> appendRows(StreamObserver<AppendRowsResponse> out) {
            return new Connection(out);
        }
    }

    private static String parentKey(String parent, Stream s) {
        var m = TABLE.matcher(parent);
        return m.matches() ? tableKey(m.group(1), m.group(2), m.group(3)) : s.tableKey;
    }

    private WriteStream describe(String name, WriteStream.Type type, Timestamp created, FakeBigQuery.Table t, WriteStreamView view) {
        WriteStream.Builder b = WriteStream.newBuilder().setName(name).setType(type).setCreateTime(created)
                .setWriteMode(WriteStream.WriteMode.INSERT).setLocation("US");
        if (view == WriteStreamView.FULL) {
            b.setTableSchema(storageSchema(t.resource.path("schema")));
        }
        return b.build();
    }

    /** Moves a created stream's rows up to {@code upTo} into its table. */
    private void apply(Stream s, int upTo) {
        FakeBigQuery.Table t = table(s.tableKey);
        if (t == null) {
            return;
        }
        synchronized (t) {
            for (int i = s.applied; i < upTo; i++) {
                store(t, s.rows.get(i));
            }
        }
        s.applied = Math.max(s.applied, upTo);
    }

    private static void store(FakeBigQuery.Table t, ObjectNode row) {
        t.rows.add(row);
        t.rowInsertIds.add(null); // the Storage Write API has no insertId
        t.rowArrivalMillis.add(System.currentTimeMillis());
    }

    // ---- AppendRows ----

    /** One bidi AppendRows connection: its stream and writer schema are set by its first request. */
    private final class Connection implements StreamObserver<AppendRowsRequest> {
        private final StreamObserver<AppendRowsResponse> out;
        private String streamName;
        private Descriptors.Descriptor descriptor;

        Connection(StreamObserver<AppendRowsResponse> out) {
            this.out = out;
        }

        @Override
        public void onNext(AppendRowsRequest request) {
            appendRequests.incrementAndGet();
            AppendRowsResponse response;
            try {
                response = append(request);
            } catch (RuntimeException e) {
                response = error(Status.Code.INTERNAL, "Internal error: " + e, null);
            }
            synchronized (out) {
                out.onNext(response);
            }
        }

        @Override
        public void onError(Throwable t) {
            // the client went away: nothing to answer
        }

        @Override
        public void onCompleted() {
            synchronized (out) {
                out.onCompleted();
            }
        }

        private AppendRowsResponse error(Status.Code code, String message, StorageError.StorageErrorCode storageCode) {
            String entity = streamName == null ? "" : streamName;
            AppendRowsResponse.Builder b = AppendRowsResponse.newBuilder()
                    .setError(rpcStatus(code, message + (entity.isEmpty() ? "" : " Entity: " + entity), storageCode, entity));
            if (streamName != null) {
                b.setWriteStream(streamName);
            }
            return b.build();
        }

        private AppendRowsResponse append(AppendRowsRequest request) {
            if (!request.getWriteStream().isEmpty()) {
                if (streamName != null && !streamName.equals(request.getWriteStream())) {
                    return error(Status.Code.INVALID_ARGUMENT, "Cannot switch the write stream on a connection from "
                            + streamName + " to " + request.getWriteStream(), null);
                }
                streamName = request.getWriteStream();
            }
            requestLog.add("AppendRows " + streamName + " rows=" + request.getProtoRows().getRows().getSerializedRowsCount());
            if (streamName == null) {
                return error(Status.Code.INVALID_ARGUMENT, "write_stream is required in the first request of a connection", null);
            }
            // the connection keeps its writer schema even when this request is refused: the client sends it once
            if (request.getProtoRows().hasWriterSchema()) {
                try {
                    descriptor = descriptorOf(request.getProtoRows().getWriterSchema().getProtoDescriptor());
                } catch (Descriptors.DescriptorValidationException e) {
                    return error(Status.Code.INVALID_ARGUMENT, "Invalid proto schema: " + e.getMessage(), null);
                }
            }
            if (System.nanoTime() - failUntilNanos < 0 || (failuresLeft.get() > 0 && failuresLeft.getAndDecrement() > 0)) {
                return error(failureCode, "Injected failure " + failureCode + ": retrying may solve the problem.", null);
            }
            var target = STREAM.matcher(streamName);
            AtomicInteger tableLeft = target.matches() ? tableFailures.get(target.group(3)) : null;
            AtomicInteger passes = target.matches() ? tablePasses.get(target.group(3)) : null;
            boolean passing = passes != null && passes.getAndDecrement() > 0;
            if (!passing && tableLeft != null && tableLeft.get() > 0 && tableLeft.getAndDecrement() > 0) {
                return error(tableFailureCode, "Injected failure " + tableFailureCode + ": retrying may solve the problem.", null);
            }
            int size = request.getSerializedSize();
            if (size > MAX_REQUEST_BYTES) {
                return error(Status.Code.INVALID_ARGUMENT, "AppendRows request too large: " + size
                        + " bytes, the limit is " + MAX_REQUEST_BYTES + " bytes.", null);
            }
            var m = STREAM.matcher(streamName);
            if (!m.matches()) {
                return error(Status.Code.INVALID_ARGUMENT, "Invalid stream name: " + streamName, null);
            }
            String key = tableKey(m.group(1), m.group(2), m.group(3));
            boolean isDefault = "_default".equals(m.group(4));
            FakeBigQuery.Table t = table(key);
            if (t == null || t.resource.has("view")) {
                return error(Status.Code.NOT_FOUND, "Requested entity was not found.", StorageError.StorageErrorCode.TABLE_NOT_FOUND);
            }
            Stream s = isDefault ? null : streams.get(streamName);
            if (!isDefault && (s == null || !s.tableKey.equals(key))) {
                return error(Status.Code.NOT_FOUND, "Requested entity was not found.", StorageError.StorageErrorCode.STREAM_NOT_FOUND);
            }
            if (!request.hasProtoRows()) {
                return error(Status.Code.INVALID_ARGUMENT, "Only proto rows are supported by this fake", null);
            }
            if (descriptor == null) {
                return error(Status.Code.INVALID_ARGUMENT, "The proto schema (writer_schema) is required in the first "
                        + "request of a connection", null);
            }
            if (isDefault && request.hasOffset()) {
                return error(Status.Code.INVALID_ARGUMENT, "The offset is not supported on the default stream", null);
            }
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            t.resource.path("schema").path("fields").forEach(f -> fields.put(f.path("name").asText().toLowerCase(Locale.ROOT), f));
            List<String> primaryKey = new ArrayList<>();
            t.resource.path("tableConstraints").path("primaryKey").path("columns").forEach(c -> primaryKey.add(c.asText()));

            String schemaProblem = checkWriterSchema(descriptor, fields);
            boolean changes = descriptor.findFieldByName(CHANGE_TYPE.toLowerCase(Locale.ROOT)) != null
                    || descriptor.findFieldByName(CHANGE_TYPE) != null;
            if (schemaProblem != null) {
                return error(Status.Code.INVALID_ARGUMENT, schemaProblem, schemaProblem.startsWith("Input schema has more fields")
                        ? StorageError.StorageErrorCode.SCHEMA_MISMATCH_EXTRA_FIELDS : null);
            }
            if (changes && !isDefault) {
                return error(Status.Code.INVALID_ARGUMENT, "_CHANGE_TYPE is only supported on the _default stream", null);
            }
            if (changes && primaryKey.isEmpty()) {
                return error(Status.Code.INVALID_ARGUMENT, "_CHANGE_TYPE needs a primary key on table " + key, null);
            }

            Columns columns = new Columns(fields);
            List<ByteString> serialized = request.getProtoRows().getRows().getSerializedRowsList();
            List<ObjectNode> rows = new ArrayList<>(serialized.size());
            List<RowError> rowErrors = new ArrayList<>();
            for (int i = 0; i < serialized.size(); i++) {
                List<String> problems = new ArrayList<>();
                ObjectNode row = null;
                try {
                    DynamicMessage msg = DynamicMessage.parseFrom(descriptor, serialized.get(i));
                    row = decode(msg, columns, problems);
                } catch (InvalidProtocolBufferException e) {
                    problems.add("Could not parse the serialized row: " + e.getMessage());
                }
                if (problems.isEmpty() && changes) {
                    checkChange(row, problems);
                }
                if (!problems.isEmpty()) {
                    rowErrors.add(RowError.newBuilder().setIndex(i).setCode(RowError.RowErrorCode.FIELDS_ERROR)
                            .setMessage(String.join("; ", problems)).build());
                }
                rows.add(row);
            }
            if (!rowErrors.isEmpty()) {
                // the service refuses the whole request: nothing of it is stored
                return error(Status.Code.INVALID_ARGUMENT, "Errors found while processing rows. Please refer to the "
                        + "row_errors field for details. The list may not be complete because of the size limitations.", null)
                        .toBuilder().addAllRowErrors(rowErrors).build();
            }
            AppendRowsResponse.AppendResult.Builder result = AppendRowsResponse.AppendResult.newBuilder();
            if (isDefault) {
                synchronized (t) {
                    for (ObjectNode r : rows) {
                        if (changes) {
                            applyChange(key, t, r, primaryKey);
                        } else {
                            store(t, r);
                        }
                    }
                }
            } else {
                synchronized (s) {
                    if (s.finalized) {
                        return error(Status.Code.INVALID_ARGUMENT, "Stream is already finalized.", StorageError.StorageErrorCode.STREAM_FINALIZED);
                    }
                    long end = s.rows.size();
                    if (request.hasOffset()) {
                        long offset = request.getOffset().getValue();
                        if (offset < end) {
                            return error(Status.Code.ALREADY_EXISTS, "The offset is within stream, expected offset " + end
                                    + ", received " + offset, StorageError.StorageErrorCode.OFFSET_ALREADY_EXISTS);
                        }
                        if (offset > end) {
                            return error(Status.Code.OUT_OF_RANGE, "The offset is beyond stream, expected offset " + end
                                    + ", received " + offset, StorageError.StorageErrorCode.OFFSET_OUT_OF_RANGE);
                        }
                    }
                    s.rows.addAll(rows);
                    if (s.type == WriteStream.Type.COMMITTED) {
                        apply(s, s.rows.size());
                    }
                    result.setOffset(Int64Value.of(end));
                }
            }
            return AppendRowsResponse.newBuilder().setAppendResult(result).setWriteStream(streamName).build();
        }
    }

    private static Descriptors.Descriptor descriptorOf(DescriptorProtos.DescriptorProto proto) throws Descriptors.DescriptorValidationException {
        DescriptorProtos.FileDescriptorProto file = DescriptorProtos.FileDescriptorProto.newBuilder()
                .setName("writer_schema.proto").addMessageType(proto).build();
        return Descriptors.FileDescriptor.buildFrom(file, new Descriptors.FileDescriptor[0]).findMessageTypeByName(proto.getName());
    }

    /** The writer schema against the table: every proto field a column (or a CDC pseudo-column) of a type it takes. */
    private static String checkWriterSchema(Descriptors.Descriptor d, Map<String, JsonNode> fields) {
        List<String> extra = new ArrayList<>();
        for (Descriptors.FieldDescriptor f : d.getFields()) {
            String name = f.getName().toLowerCase(Locale.ROOT);
            if (name.equals(CHANGE_TYPE.toLowerCase(Locale.ROOT)) || name.equals(CHANGE_SEQUENCE_NUMBER.toLowerCase(Locale.ROOT))) {
                if (f.getJavaType() != Descriptors.FieldDescriptor.JavaType.STRING || f.isRepeated()) {
                    return "The proto field mismatched with BigQuery field at " + d.getName() + "." + f.getName()
                            + ", the proto field type " + f.getType().name().toLowerCase(Locale.ROOT) + ", BigQuery field type STRING";
                }
                continue;
            }
            JsonNode col = fields.get(name);
            if (col == null) {
                extra.add(f.getName());
                continue;
            }
            String type = FakeBigQuery.normalize(col.path("type").asText());
            boolean repeated = "REPEATED".equals(col.path("mode").asText());
            if (repeated != f.isRepeated() || !takes(type, f.getJavaType())) {
                return "The proto field mismatched with BigQuery field at " + d.getName() + "." + f.getName()
                        + ", the proto field type " + (f.isRepeated() ? "repeated " : "") + f.getType().name().toLowerCase(Locale.ROOT)
                        + ", BigQuery field type " + (repeated ? "REPEATED " : "") + type;
            }
        }
        if (!extra.isEmpty()) {
            return "Input schema has more fields than BigQuery schema, extra fields: '" + String.join(",", extra) + "'";
        }
        return null;
    }

    /** The proto types the service converts into a column type (the Storage Write API's data type conversions). */
    private static boolean takes(String type, Descriptors.FieldDescriptor.JavaType proto) {
        return switch (type) {
            case "STRING", "JSON", "GEOGRAPHY" -> proto == Descriptors.FieldDescriptor.JavaType.STRING
                    || proto == Descriptors.FieldDescriptor.JavaType.ENUM;
            case "INTEGER" -> proto == Descriptors.FieldDescriptor.JavaType.INT || proto == Descriptors.FieldDescriptor.JavaType.LONG
                    || proto == Descriptors.FieldDescriptor.JavaType.ENUM;
            case "FLOAT" -> proto == Descriptors.FieldDescriptor.JavaType.DOUBLE || proto == Descriptors.FieldDescriptor.JavaType.FLOAT;
            case "BOOLEAN" -> proto == Descriptors.FieldDescriptor.JavaType.BOOLEAN;
            case "BYTES" -> proto == Descriptors.FieldDescriptor.JavaType.BYTE_STRING;
            case "TIMESTAMP", "DATE" -> proto == Descriptors.FieldDescriptor.JavaType.INT || proto == Descriptors.FieldDescriptor.JavaType.LONG
                    || proto == Descriptors.FieldDescriptor.JavaType.STRING;
            case "DATETIME", "TIME" -> proto == Descriptors.FieldDescriptor.JavaType.LONG || proto == Descriptors.FieldDescriptor.JavaType.STRING;
            case "NUMERIC", "BIGNUMERIC" -> proto == Descriptors.FieldDescriptor.JavaType.BYTE_STRING
                    || proto == Descriptors.FieldDescriptor.JavaType.STRING || proto == Descriptors.FieldDescriptor.JavaType.INT
                    || proto == Descriptors.FieldDescriptor.JavaType.LONG || proto == Descriptors.FieldDescriptor.JavaType.DOUBLE
                    || proto == Descriptors.FieldDescriptor.JavaType.FLOAT;
            case "RECORD" -> proto == Descriptors.FieldDescriptor.JavaType.MESSAGE;
            default -> false;
        };
    }

    /**
     * A table's columns as one request's rows are decoded against them: each proto field's column looked up once per
     * request, not once per row (the fake shares two cores with the bridge in bench/e2e.sh).
     */
    private static final class Columns {
        final Map<String, JsonNode> fields;
        final List<String> required = new ArrayList<>();
        private final Map<Descriptors.FieldDescriptor, Column> byField = new java.util.IdentityHashMap<>();

        Columns(Map<String, JsonNode> fields) {
            this.fields = fields;
            for (JsonNode col : fields.values()) {
                if ("REQUIRED".equals(col.path("mode").asText())) {
                    required.add(col.path("name").asText());
                }
            }
        }

        Column of(Descriptors.FieldDescriptor f) {
            return byField.computeIfAbsent(f, x -> {
                String lower = x.getName().toLowerCase(Locale.ROOT);
                if (lower.equals(CHANGE_TYPE.toLowerCase(Locale.ROOT))) {
                    return new Column(CHANGE_TYPE, null, null);
                }
                if (lower.equals(CHANGE_SEQUENCE_NUMBER.toLowerCase(Locale.ROOT))) {
                    return new Column(CHANGE_SEQUENCE_NUMBER, null, null);
                }
                JsonNode col = fields.get(lower);
                return new Column(col.path("name").asText(), FakeBigQuery.normalize(col.path("type").asText()), col);
            });
        }
    }

    /** A proto field's column: its name in the table, its type (null for a CDC pseudo-column) and its schema. */
    private record Column(String name, String type, JsonNode col) {
    }

    /** One row as JSON in insertAll's form (what the REST fake stores), its problems into {@code problems}. */
    private static ObjectNode decode(DynamicMessage msg, Columns columns, List<String> problems) {
        ObjectNode row = NODES.objectNode();
        for (Map.Entry<Descriptors.FieldDescriptor, Object> e : msg.getAllFields().entrySet()) {
            Descriptors.FieldDescriptor f = e.getKey();
            Column c = columns.of(f);
            if (c.type() == null) {
                row.put(c.name(), (String) e.getValue());
                continue;
            }
            if (f.isRepeated()) {
                ArrayNode a = row.putArray(c.name());
                for (Object v : (List<?>) e.getValue()) {
                    a.add(value(c.name(), c.type(), c.col(), v, problems));
                }
            } else {
                row.set(c.name(), value(c.name(), c.type(), c.col(), e.getValue(), problems));
            }
        }
        for (String name : columns.required) {
            if (!row.hasNonNull(name)) {
                problems.add("Field " + name + " is required but missing in the row.");
            }
        }
        return row;
    }

    private static JsonNode value(String name, String type, JsonNode col, Object v, List<String> problems) {
        try {
            switch (type) {
                case "STRING", "GEOGRAPHY":
                    return NODES.textNode(v instanceof Descriptors.EnumValueDescriptor ev ? ev.getName() : (String) v);
                case "JSON": {
                    String text = (String) v;
                    try {
                        JSON.readTree(text);
                    } catch (IOException ex) {
                        problems.add("Field " + name + ": Invalid JSON value: " + text);
                    }
                    return NODES.textNode(text);
                }
                case "INTEGER":
                    return NODES.numberNode(((Number) (v instanceof Descriptors.EnumValueDescriptor ev ? ev.getNumber() : v)).longValue());
                case "FLOAT":
                    return NODES.numberNode(((Number) v).doubleValue());
                case "BOOLEAN":
                    return NODES.booleanNode((Boolean) v);
                case "BYTES":
                    return NODES.textNode(Base64.getEncoder().encodeToString(((ByteString) v).toByteArray()));
                case "TIMESTAMP": {
                    Instant i = v instanceof String s ? Instant.parse(s)
                            : Instant.EPOCH.plus(((Number) v).longValue(), java.time.temporal.ChronoUnit.MICROS);
                    if (i.isBefore(TIMESTAMP_MIN) || !i.isBefore(TIMESTAMP_END)) {
                        problems.add("Field " + name + ": Timestamp out of range: " + v);
                    }
                    return NODES.textNode(i.toString());
                }
                case "DATE": {
                    LocalDate d = v instanceof String s ? LocalDate.parse(s) : LocalDate.ofEpochDay(((Number) v).longValue());
                    if (d.getYear() < 1 || d.getYear() > 9999) {
                        problems.add("Field " + name + ": Date out of range: " + v);
                    }
                    return NODES.textNode(d.toString());
                }
                case "DATETIME": {
                    LocalDateTime dt = v instanceof String s ? LocalDateTime.parse(s.replace(' ', 'T'))
                            : CivilTimeEncoder.decodePacked64DatetimeMicrosLocalDateTime(((Number) v).longValue());
                    return NODES.textNode(DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(dt));
                }
                case "TIME": {
                    LocalTime lt = v instanceof String s ? LocalTime.parse(s)
                            : CivilTimeEncoder.decodePacked64TimeMicrosLocalTime(((Number) v).longValue());
                    return NODES.textNode(DateTimeFormatter.ISO_LOCAL_TIME.format(lt));
                }
                case "NUMERIC", "BIGNUMERIC": {
                    boolean big = type.equals("BIGNUMERIC");
                    BigDecimal d;
                    if (v instanceof ByteString b) {
                        d = big ? BigDecimalByteStringEncoder.decodeBigNumericByteString(b) : BigDecimalByteStringEncoder.decodeNumericByteString(b);
                    } else if (v instanceof String s) {
                        d = new BigDecimal(s.trim());
                    } else if (v instanceof Double || v instanceof Float) {
                        d = BigDecimal.valueOf(((Number) v).doubleValue());
                    } else {
                        d = BigDecimal.valueOf(((Number) v).longValue());
                    }
                    d = stripTrailingZeros(d);
                    String problem = checkDecimal(name, type, col, d);
                    if (problem != null) {
                        problems.add(problem);
                    }
                    return NODES.textNode(d.scale() < 0 ? d.setScale(0).toPlainString() : d.toPlainString());
                }
                case "RECORD": {
                    Map<String, JsonNode> sub = new LinkedHashMap<>();
                    col.path("fields").forEach(c -> sub.put(c.path("name").asText().toLowerCase(Locale.ROOT), c));
                    return decode((DynamicMessage) v, new Columns(sub), problems);
                }
                default:
                    return NODES.textNode(String.valueOf(v));
            }
        } catch (DateTimeParseException | NumberFormatException | ArithmeticException | ClassCastException e) {
            problems.add("Field " + name + ": Invalid " + type + " value: " + v);
            return NODES.nullNode();
        }
    }

    private static final BigInteger TEN_POW_18 = BigInteger.TEN.pow(18);

    /**
     * {@link BigDecimal#stripTrailingZeros()}, the same result: BigDecimal strips a BigInteger's zeros one division by
     * ten each (a BIGNUMERIC's 38 fraction digits, most of the fake's time), this 18 at a time, then as a long.
     */
    static BigDecimal stripTrailingZeros(BigDecimal d) {
        BigInteger u = d.unscaledValue();
        int scale = d.scale();
        while (u.bitLength() >= 63) {
            BigInteger[] qr = u.divideAndRemainder(TEN_POW_18);
            if (qr[1].signum() != 0) {
                break;
            }
            u = qr[0];
            scale -= 18;
        }
        BigDecimal same = u.bitLength() < 63 ? BigDecimal.valueOf(u.longValue(), scale) : new BigDecimal(u, scale);
        return same.stripTrailingZeros();
    }

    /** NUMERIC: 29 integer and 9 fraction digits; BIGNUMERIC: 38 and 38; a column's NUMERIC(P, S) narrower still. */
    private static String checkDecimal(String name, String type, JsonNode col, BigDecimal d) {
        boolean big = type.equals("BIGNUMERIC");
        int scale = Math.max(d.scale(), 0);
        int maxScale = col.has("scale") ? col.path("scale").asInt() : big ? 38 : 9;
        BigDecimal limit = big ? BIGNUMERIC_MAX : NUMERIC_MAX;
        if (col.has("precision")) {
            limit = BigDecimal.TEN.pow(col.path("precision").asInt() - (col.has("scale") ? col.path("scale").asInt() : 0));
        }
        if (scale > maxScale || d.abs().compareTo(limit) >= 0) {
            return "Field " + name + ": Invalid " + type + " value: " + d.toPlainString();
        }
        return null;
    }

    private static void checkChange(ObjectNode row, List<String> problems) {
        String type = row.path(CHANGE_TYPE).asText("");
        if (!type.equals("UPSERT") && !type.equals("DELETE")) {
            problems.add("Field _CHANGE_TYPE: only UPSERT and DELETE are allowed, got '" + type + "'");
        }
        if (row.has(CHANGE_SEQUENCE_NUMBER) && !SEQUENCE.matcher(row.path(CHANGE_SEQUENCE_NUMBER).asText()).matches()) {
            problems.add("Field _CHANGE_SEQUENCE_NUMBER: '" + row.path(CHANGE_SEQUENCE_NUMBER).asText() + "' is not up to four "
                    + "hexadecimal sections of at most 16 digits separated by '/'");
        }
    }

    /** The sections of a sequence number as unsigned numbers; null when there is none. */
    static long[] sequence(String text) {
        if (text == null) {
            return null;
        }
        String[] parts = text.split("/");
        long[] out = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
            out[i] = new BigInteger(parts[i], 16).longValue();
        }
        return out;
    }

    /** Section by section, unsigned; a number that is a prefix of another is the lower. */
    static int compareSequences(long[] a, long[] b) {
        for (int i = 0; i < Math.min(a.length, b.length); i++) {
            int c = Long.compareUnsigned(a[i], b[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.length, b.length);
    }

    /**
     * Forgets what a current-state table holds: its rows and its keys' last changes (bench/e2e.sh between rounds, whose
     * keys are all new: every round's rows kept grew the driver's heap past a gigabyte). Later changes are checked and
     * applied as before.
     */
    public void forgetCurrentState(String project, String dataset, String table) {
        FakeBigQuery.Table t = rest.table(project, dataset, table);
        if (t == null) {
            return;
        }
        synchronized (t) {
            cdc.remove(tableKey(project, dataset, table));
            positions.remove(t);
            t.rows.clear();
            t.rowInsertIds.clear();
            t.rowArrivalMillis.clear();
        }
    }

    /** Applies one CDC change to {@code t} by its primary key (held under t's lock); {@code change} becomes the stored row. */
    private void applyChange(String key, FakeBigQuery.Table t, ObjectNode change, List<String> primaryKey) {
        ObjectNode keyValues = NODES.objectNode();
        for (String c : primaryKey) {
            keyValues.set(c, change.path(c).isMissingNode() ? NODES.nullNode() : change.get(c));
        }
        String k = keyValues.toString();
        Map<String, KeyState> states = cdc.computeIfAbsent(key, x -> new HashMap<>());
        KeyState last = states.get(k);
        long[] seq = sequence(change.hasNonNull(CHANGE_SEQUENCE_NUMBER) ? change.get(CHANGE_SEQUENCE_NUMBER).asText() : null);
        if (last != null && last.sequence() != null && seq != null && compareSequences(seq, last.sequence()) < 0) {
            return; // an older change: the key already holds a newer one
        }
        boolean delete = "DELETE".equals(change.path(CHANGE_TYPE).asText());
        // the decoded row is this request's own: stored as it is, without its pseudo-columns
        ObjectNode stored = change;
        stored.remove(CHANGE_TYPE);
        stored.remove(CHANGE_SEQUENCE_NUMBER);
        // the row BigQuery holds for the key: found by identity (the table's list holds each key once), replaced where it
        // stands. A search and a shift of the whole list per change made a half-hour soak's current tables (150k keys
        // each, 1,600 updates/s) the fake's bottleneck, and its answers ever slower
        IdentityHashMap<ObjectNode, Integer> where = positions.computeIfAbsent(t, x -> new IdentityHashMap<>());
        if (last != null && last.row() != null) {
            int at = position(t, where, last.row());
            where.remove(last.row());
            if (at >= 0 && !delete) {
                t.rows.set(at, stored);
                t.rowInsertIds.set(at, null);
                t.rowArrivalMillis.set(at, System.currentTimeMillis());
                where.put(stored, at);
                states.put(k, new KeyState(seq != null ? seq : last.sequence(), stored));
                return;
            }
            if (at >= 0) {
                t.rows.remove(at);
                t.rowInsertIds.remove(at);
                t.rowArrivalMillis.remove(at);
                where.clear(); // the rows after it moved: found again by search when needed
            }
        }
        if (!delete) {
            where.put(stored, t.rows.size());
        }
        if (delete) {
            states.put(k, new KeyState(seq != null ? seq : last == null ? null : last.sequence(), null));
        } else {
            store(t, stored);
            states.put(k, new KeyState(seq != null ? seq : last == null ? null : last.sequence(), stored));
        }
    }

    /** Where a current-state table's row sits: its remembered position when that still holds it, else a search. */
    private static int position(FakeBigQuery.Table t, IdentityHashMap<ObjectNode, Integer> where, ObjectNode row) {
        Integer at = where.get(row);
        if (at != null && at < t.rows.size() && t.rows.get(at) == row) {
            return at;
        }
        return indexOf(t.rows, row);
    }

    private static int indexOf(List<ObjectNode> rows, ObjectNode row) {
        for (int i = rows.size() - 1; i >= 0; i--) {
            if (rows.get(i) == row) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "FakeBigQueryWrite " + endpoint() + " streams=" + streams.keySet();
    }
}
