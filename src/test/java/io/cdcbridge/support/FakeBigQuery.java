package io.cdcbridge.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A BigQuery REST v2 server for tests (docs/architecture.md §11), for the real google-cloud-bigquery client pointed at it with
 * {@code BigQueryOptions.setHost(endpoint())}. It implements what the sink calls: datasets get/insert, tables
 * get/insert/patch/update (tables and views), tabledata insertAll, tabledata list; and answers like BigQuery does:
 * <ul>
 *   <li>404 {@code notFound} for a missing dataset or table, 409 {@code duplicate} for an existing one;</li>
 *   <li>schema changes may only add NULLABLE/REPEATED columns: a dropped column or a changed type is a 400;</li>
 *   <li>insertAll validates every row against the table schema: an unknown field is an insert error with reason
 *   {@code invalid} and the field as location, so is a value of the wrong type; without {@code skipInvalidRows} the
 *   other rows of the request get reason {@code stopped} and nothing is inserted;</li>
 *   <li>more than 500 rows or more than 10 MB in one request: a 400 {@code invalid};</li>
 *   <li>rows with an insertId stored for the table less than {@link #dedupWindow} ago (60 s, on {@link #clock}) are accepted
 *   but not stored again; after the window they are stored again, as BigQuery's best-effort deduplication does: a
 *   duplicate is then visible ({@link #duplicates}) and collapsing it is the latest-state view's job;</li>
 *   <li>column names BigQuery refuses: not letters/digits/underscores, equal but for case, a reserved prefix
 *   ({@code _PARTITION}, {@code _TABLE_}, {@code _FILE_}, {@code _ROW_TIMESTAMP}, {@code __ROOT__}, {@code _COLIDENTIFIER});
 *   NUMERIC/BIGNUMERIC precision or scale beyond BigQuery's (reason {@code invalid});</li>
 *   <li>{@link #failNext} makes the next requests answer an error (503 {@code backendError}, 429 {@code rateLimitExceeded}).</li>
 * </ul>
 */
public final class FakeBigQuery implements AutoCloseable {

    public static final int MAX_ROWS = 500;
    public static final int MAX_BYTES = 10 * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,299}");
    private static final Pattern DATE = Pattern.compile("\\d{4}-\\d{1,2}-\\d{1,2}");
    private static final Pattern TIME = Pattern.compile("\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?");
    private static final Pattern DATETIME = Pattern.compile("\\d{4}-\\d{1,2}-\\d{1,2}([ T]\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?)?");
    private static final Pattern TIMESTAMP = Pattern.compile(
            "\\d{4}-\\d{1,2}-\\d{1,2}([ T]\\d{1,2}:\\d{2}(:\\d{2}(\\.\\d{1,6})?)?)?( ?(Z|UTC|[+-]\\d{1,2}(:\\d{2})?))?");
    private static final Set<String> TYPES = Set.of("STRING", "BYTES", "INTEGER", "INT64", "FLOAT", "FLOAT64", "NUMERIC",
            "BIGNUMERIC", "BOOLEAN", "BOOL", "TIMESTAMP", "DATE", "TIME", "DATETIME", "JSON", "GEOGRAPHY", "RECORD", "STRUCT");

    /** One table or view as stored: its resource, and for tables the rows accepted. */
    public static final class Table {
        public volatile ObjectNode resource;
        public final List<ObjectNode> rows = new ArrayList<>();
        public final List<String> rowInsertIds = new ArrayList<>();
        /** Wall-clock arrival of each stored row (bench: commit → sink latency). */
        public final List<Long> rowArrivalMillis = new ArrayList<>();
        public final Map<String, Integer> insertIdsReceived = new LinkedHashMap<>();
        /** When (the fake's clock, ms) each insertId was last stored: a repeat within the window is not stored again. */
        final Map<String, Long> insertIdStoredAt = new HashMap<>();
        /** Rows stored although their insertId was stored before (outside the window): duplicates BigQuery would keep. */
        public int duplicatesStored;
        public final List<JsonNode> rejected = new ArrayList<>();

        Table(ObjectNode resource) {
            this.resource = resource;
        }
    }

    private final HttpServer server;
    private final Map<String, ObjectNode> datasets = new ConcurrentHashMap<>();
    private final Map<String, Table> tables = new ConcurrentHashMap<>();
    private final AtomicInteger insertAllRequests = new AtomicInteger();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int failureStatus = 503;
    private volatile String failurePath = "";
    private volatile long failUntilNanos = System.nanoTime();
    private final List<String> requestLog = java.util.Collections.synchronizedList(new ArrayList<>());

    private volatile Clock clock = Clock.systemUTC();
    private volatile Duration dedupWindow = DEDUP_WINDOW;
    /** BigQuery deduplicates insertIds best effort, "for at least one minute": the fake for exactly this long. */
    public static final Duration DEDUP_WINDOW = Duration.ofSeconds(60);

    private FakeBigQueryWrite storageWrite;

    private FakeBigQuery(HttpServer server) {
        this.server = server;
    }

    /** The clock the deduplication window is measured on (a {@link MutableClock} in tests). */
    public FakeBigQuery clock(Clock c) {
        this.clock = c;
        return this;
    }

    /** How long a stored insertId keeps a repeat of it out (default {@link #DEDUP_WINDOW}). */
    public FakeBigQuery dedupWindow(Duration window) {
        this.dedupWindow = window;
        return this;
    }

    /** Rows of a table stored twice or more under one insertId (repeats outside the window), as BigQuery would keep them. */
    public int duplicates(String project, String dataset, String table) {
        Table t = table(project, dataset, table);
        if (t == null) {
            return 0;
        }
        synchronized (t) {
            return t.duplicatesStored;
        }
    }

    public static FakeBigQuery start() {
        return start(0);
    }

    /**
     * The Storage Write sibling over this fake's tables ({@link FakeBigQueryWrite}), started on first use: a bridge on
     * the default write API ({@code storage}) appends rows there while managing tables here.
     */
    public synchronized FakeBigQueryWrite storageWrite() {
        if (storageWrite == null) {
            storageWrite = FakeBigQueryWrite.start(this);
        }
        return storageWrite;
    }

    /**
     * The settings a bridge needs to reach this fake on either write API: {@code cdc.bigquery.endpoint} (REST: tables,
     * insertAll) and {@code cdc.bigquery.storage-endpoint} (the Storage Write sibling, started here). Every test or bench
     * pointing a bridge at the fake takes these, so none falls through to Google's real endpoints.
     */
    public Map<String, String> bridgeSettings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cdc.bigquery.endpoint", endpoint());
        m.put("cdc.bigquery.storage-endpoint", storageWrite().endpoint());
        return m;
    }

    /** {@link #bridgeSettings()} as JVM flags ({@code -Dkey=value}) for a bridge started as a process. */
    public List<String> bridgeSystemProperties() {
        return bridgeSettings().entrySet().stream().map(e -> "-D" + e.getKey() + "=" + e.getValue()).toList();
    }

    /**
     * Row writes answer an HTTP {@code status} for {@code window} on both write APIs: insertAll with it, the Storage
     * Write sibling's AppendRows with its gRPC equivalent (503 → UNAVAILABLE, 500 → INTERNAL, 429 → RESOURCE_EXHAUSTED),
     * so an outage test holds whichever path the bridge uses. {@link Duration#ZERO} ends it.
     */
    public void failWritesFor(int status, Duration window) {
        failFor(status, window, "/insertAll");
        storageWrite().failFor(switch (status) {
            case 500 -> io.grpc.Status.Code.INTERNAL;
            case 429 -> io.grpc.Status.Code.RESOURCE_EXHAUSTED;
            case 403 -> io.grpc.Status.Code.PERMISSION_DENIED;
            default -> io.grpc.Status.Code.UNAVAILABLE;
        }, window);
    }

    /**
     * Runs the fake on its own (for scripts): {@code java -cp <test classpath> io.cdcbridge.support.FakeBigQuery [port]};
     * REST on {@code port}, its Storage Write sibling on {@code port + 10} (9050, 9060 as the emulator).
     */
    public static void main(String[] args) throws InterruptedException {
        int port = args.length > 0 ? Integer.parseInt(args[0]) : 9050;
        FakeBigQuery fake = start(port);
        fake.storageWrite = FakeBigQueryWrite.start(fake, port == 0 ? 0 : port + 10);
        System.out.println("FakeBigQuery listening on " + fake.endpoint() + ", Storage Write on " + fake.storageWrite.endpoint());
        Thread.currentThread().join();
    }

    public static FakeBigQuery start(int port) {
        HttpServer s = FakeHttpServer.create(port, "fake-bigquery", 4);
        FakeBigQuery fake = new FakeBigQuery(s);
        s.createContext("/", fake::handle);
        s.start();
        return fake;
    }

    /** The API root to give the client ({@code cdc.bigquery.endpoint}). */
    public String endpoint() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The next {@code count} requests whose path contains {@code pathPart} ("" = any) answer {@code status}. */
    public void failNext(int status, int count, String pathPart) {
        failureStatus = status;
        failurePath = pathPart;
        failuresLeft.set(count);
    }

    /** For {@code window} from now, requests whose path contains {@code pathPart} ("" = any) answer {@code status}. */
    public void failFor(int status, java.time.Duration window, String pathPart) {
        failureStatus = status;
        failurePath = pathPart;
        failUntilNanos = System.nanoTime() + window.toNanos();
    }

    public boolean failing() {
        return failuresLeft.get() > 0 || System.nanoTime() - failUntilNanos < 0;
    }

    public int failuresLeft() {
        return failuresLeft.get();
    }

    public int insertAllRequests() {
        return insertAllRequests.get();
    }

    public List<String> requestLog() {
        synchronized (requestLog) {
            return List.copyOf(requestLog);
        }
    }

    public boolean hasDataset(String project, String dataset) {
        return datasets.containsKey(project + ":" + dataset);
    }

    public Table table(String project, String dataset, String table) {
        return tables.get(project + ":" + dataset + "." + table);
    }

    /** The stored rows of a table (a copy; empty if the table does not exist). */
    public List<ObjectNode> rows(String project, String dataset, String table) {
        Table t = table(project, dataset, table);
        if (t == null) {
            return List.of();
        }
        synchronized (t) {
            return List.copyOf(t.rows);
        }
    }

    /** The schema fields of a table: name → type. */
    public Map<String, String> schema(String project, String dataset, String table) {
        Table t = table(project, dataset, table);
        Map<String, String> out = new LinkedHashMap<>();
        if (t != null) {
            t.resource.path("schema").path("fields").forEach(f -> out.put(f.path("name").asText(),
                    f.path("type").asText() + ("REPEATED".equals(f.path("mode").asText()) ? "[]" : "")));
        }
        return out;
    }

    /** A view's standard SQL query, or null. */
    public String viewQuery(String project, String dataset, String view) {
        Table t = table(project, dataset, view);
        return t == null || !t.resource.has("view") ? null : t.resource.path("view").path("query").asText();
    }

    @Override
    public void close() {
        FakeBigQueryWrite w;
        synchronized (this) {
            w = storageWrite;
        }
        if (w != null) {
            w.close();
        }
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    // ---- HTTP ----

    private void handle(HttpExchange ex) throws IOException {
        try {
            String method = ex.getRequestMethod();
            // the Java client sends PATCH as POST with this header (HttpURLConnection has no PATCH)
            String override = ex.getRequestHeaders().getFirst("X-HTTP-Method-Override");
            if (override != null && "POST".equals(method)) {
                method = override.toUpperCase(Locale.ROOT);
            }
            String path = ex.getRequestURI().getPath();
            requestLog.add(method + " " + path);
            byte[] body = readBody(ex);
            boolean inWindow = System.nanoTime() - failUntilNanos < 0 && path.contains(failurePath);
            if (inWindow || (failuresLeft.get() > 0 && path.contains(failurePath) && failuresLeft.getAndDecrement() > 0)) {
                int status = failureStatus;
                String reason = status == 429 ? "rateLimitExceeded" : status >= 500 ? "backendError" : status == 403 ? "accessDenied" : "invalid";
                error(ex, status, reason, status == 429 ? "Exceeded rate limits: too many api requests per user per method"
                        : "Error encountered during execution. Retrying may solve the problem.");
                return;
            }
            String[] p = trimPrefix(path).split("/");
            if (p.length == 3 && "projects".equals(p[0]) && "queries".equals(p[2]) && "POST".equals(method)) {
                query(ex, p[1], json(body));
                return;
            }
            // projects/{p}/datasets[/{d}[/tables[/{t}[/insertAll|data]]]]
            if (p.length < 3 || !"projects".equals(p[0]) || !"datasets".equals(p[2])) {
                error(ex, 404, "notFound", "Not found: URL " + path);
                return;
            }
            String project = p[1];
            if (p.length == 3 && "POST".equals(method)) {
                createDataset(ex, project, json(body));
            } else if (p.length == 4 && "GET".equals(method)) {
                getDataset(ex, project, p[3]);
            } else if (p.length == 5 && "tables".equals(p[4]) && "POST".equals(method)) {
                createTable(ex, project, p[3], json(body));
            } else if (p.length == 6 && "tables".equals(p[4]) && "GET".equals(method)) {
                getTable(ex, project, p[3], p[5]);
            } else if (p.length == 6 && "tables".equals(p[4]) && ("PATCH".equals(method) || "PUT".equals(method))) {
                updateTable(ex, project, p[3], p[5], json(body), "PUT".equals(method));
            } else if (p.length == 7 && "insertAll".equals(p[6]) && "POST".equals(method)) {
                insertAll(ex, project, p[3], p[5], body);
            } else if (p.length == 7 && "data".equals(p[6]) && "GET".equals(method)) {
                listData(ex, project, p[3], p[5]);
            } else {
                error(ex, 404, "notFound", "Not found: URL " + method + " " + path);
            }
        } catch (RuntimeException e) {
            error(ex, 400, "invalid", "Invalid request: " + e.getMessage());
        } finally {
            ex.close();
        }
    }

    private static String trimPrefix(String path) {
        String p = path.startsWith("/") ? path.substring(1) : path;
        if (p.startsWith("bigquery/v2/")) {
            p = p.substring("bigquery/v2/".length());
        }
        return p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    private static byte[] readBody(HttpExchange ex) throws IOException {
        InputStream in = ex.getRequestBody();
        String enc = ex.getRequestHeaders().getFirst("Content-Encoding");
        if (enc != null && enc.toLowerCase(Locale.ROOT).contains("gzip")) {
            in = new GZIPInputStream(in);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        in.transferTo(out);
        return out.toByteArray();
    }

    private static ObjectNode json(byte[] body) {
        try {
            JsonNode n = JSON.readTree(body);
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("body is not a JSON object");
            }
            return (ObjectNode) n;
        } catch (IOException e) {
            throw new IllegalArgumentException("body is not JSON: " + e.getMessage());
        }
    }

    private static void send(HttpExchange ex, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** BigQuery's error shape: {@code {"error":{"code","message","errors":[{"message","domain","reason"}],"status"}}}. */
    private static void error(HttpExchange ex, int status, String reason, String message) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode err = root.putObject("error");
        err.put("code", status);
        err.put("message", message);
        ObjectNode e = err.putArray("errors").addObject();
        e.put("message", message);
        e.put("domain", "global");
        e.put("reason", reason);
        err.put("status", switch (status) {
            case 400 -> "INVALID_ARGUMENT";
            case 404 -> "NOT_FOUND";
            case 409 -> "ALREADY_EXISTS";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            default -> "UNKNOWN";
        });
        send(ex, status, root);
    }

    // ---- jobs.query ----

    /**
     * The one statement the bridge queries (the keys a changelog holds up to a TRUNCATE's LSN, docs/architecture.md §7):
     * {@code SELECT DISTINCT `k1`, `k2` FROM `project.dataset.table` WHERE `_lsn` <= N}. Anything else is refused with
     * {@code invalidQuery} rather than answered wrongly; a table or column that does not exist as BigQuery answers it.
     */
    static final Pattern KEYS_UP_TO = Pattern.compile(
            "SELECT DISTINCT ((?:`[A-Za-z_][A-Za-z0-9_]*`)(?:, `[A-Za-z_][A-Za-z0-9_]*`)*) FROM `([^.`]+)\\.([^.`]+)\\.([^.`]+)` "
                    + "WHERE `_lsn` <= (-?\\d+)");
    private static final Set<String> QUERYABLE_KEY_TYPES = Set.of("INTEGER", "INT64", "STRING", "NUMERIC", "BIGNUMERIC",
            "BOOLEAN", "BOOL", "DATE", "DATETIME", "TIME");
    private final java.util.concurrent.atomic.AtomicInteger queries = new java.util.concurrent.atomic.AtomicInteger();
    private final List<String> queryLog = java.util.Collections.synchronizedList(new ArrayList<>());

    /** The statements jobs.query was asked, in order. */
    public List<String> queryLog() {
        synchronized (queryLog) {
            return List.copyOf(queryLog);
        }
    }

    private void query(HttpExchange ex, String project, ObjectNode body) throws IOException {
        String sql = body.path("query").asText("");
        queryLog.add(sql);
        if (body.path("useLegacySql").asBoolean(true)) {
            error(ex, 400, "invalidQuery", "the fake runs GoogleSQL only (useLegacySql=false)");
            return;
        }
        var m = KEYS_UP_TO.matcher(sql.trim());
        if (!m.matches()) {
            error(ex, 400, "invalidQuery", "the fake evaluates only SELECT DISTINCT `k`, ... FROM `p.d.t` WHERE `_lsn` <= N: " + sql);
            return;
        }
        Table t = table(m.group(2), m.group(3), m.group(4));
        if (t == null || !"TABLE".equals(t.resource.path("type").asText("TABLE"))) {
            error(ex, 404, "notFound", "Not found: Table " + m.group(2) + ":" + m.group(3) + "." + m.group(4)
                    + " was not found in location US");
            return;
        }
        Map<String, JsonNode> fields = new LinkedHashMap<>();
        t.resource.path("schema").path("fields").forEach(f -> fields.put(f.path("name").asText().toLowerCase(Locale.ROOT), f));
        List<String> keys = new ArrayList<>();
        for (String k : m.group(1).split(", ")) {
            keys.add(k.substring(1, k.length() - 1));
        }
        for (String k : keys) {
            JsonNode f = fields.get(k.toLowerCase(Locale.ROOT));
            if (f == null) {
                error(ex, 400, "invalidQuery", "Unrecognized name: " + k + " at [1:17]");
                return;
            }
            if (!QUERYABLE_KEY_TYPES.contains(f.path("type").asText())) {
                error(ex, 400, "invalidQuery", "the fake does not render " + f.path("type").asText() + " values in query results");
                return;
            }
        }
        long lsn = Long.parseLong(m.group(5));
        java.util.Set<List<String>> seen = new java.util.LinkedHashSet<>();
        ArrayNode rows = JSON.createArrayNode();
        synchronized (t) {
            for (ObjectNode r : t.rows) {
                JsonNode l = r.get("_lsn");
                if (l == null || l.isNull() || l.asLong() > lsn) {
                    continue;
                }
                List<String> values = new ArrayList<>();
                for (String k : keys) {
                    JsonNode v = r.get(fields.get(k.toLowerCase(Locale.ROOT)).path("name").asText());
                    values.add(v == null || v.isNull() ? null : v.asText());
                }
                if (seen.add(values)) {
                    ArrayNode f = rows.addObject().putArray("f");
                    values.forEach(v -> {
                        if (v == null) {
                            f.addObject().putNull("v");
                        } else {
                            f.addObject().put("v", v);
                        }
                    });
                }
            }
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("kind", "bigquery#queryResponse");
        ArrayNode schema = out.putObject("schema").putArray("fields");
        for (String k : keys) {
            JsonNode f = fields.get(k.toLowerCase(Locale.ROOT));
            schema.addObject().put("name", f.path("name").asText()).put("type", f.path("type").asText()).put("mode", "NULLABLE");
        }
        ObjectNode job = out.putObject("jobReference");
        job.put("projectId", project);
        job.put("jobId", "fake_query_" + queries.incrementAndGet());
        job.put("location", "US");
        out.put("totalRows", String.valueOf(rows.size()));
        out.set("rows", rows);
        out.put("totalBytesProcessed", "0");
        out.put("jobComplete", true);
        out.put("cacheHit", false);
        send(ex, 200, out);
    }

    // ---- datasets ----

    private void createDataset(HttpExchange ex, String project, ObjectNode body) throws IOException {
        String id = body.path("datasetReference").path("datasetId").asText("");
        if (!NAME.matcher(id).matches()) {
            error(ex, 400, "invalid", "Invalid dataset ID \"" + id + "\".");
            return;
        }
        ObjectNode resource = body.deepCopy();
        resource.put("kind", "bigquery#dataset");
        resource.put("id", project + ":" + id);
        resource.put("creationTime", String.valueOf(System.currentTimeMillis()));
        ((ObjectNode) resource.path("datasetReference")).put("projectId", project);
        if (datasets.putIfAbsent(project + ":" + id, resource) != null) {
            error(ex, 409, "duplicate", "Already Exists: Dataset " + project + ":" + id);
            return;
        }
        send(ex, 200, resource);
    }

    private void getDataset(HttpExchange ex, String project, String dataset) throws IOException {
        ObjectNode d = datasets.get(project + ":" + dataset);
        if (d == null) {
            error(ex, 404, "notFound", "Not found: Dataset " + project + ":" + dataset);
            return;
        }
        send(ex, 200, d);
    }

    // ---- tables and views ----

    private void createTable(HttpExchange ex, String project, String dataset, ObjectNode body) throws IOException {
        if (!datasets.containsKey(project + ":" + dataset)) {
            error(ex, 404, "notFound", "Not found: Dataset " + project + ":" + dataset);
            return;
        }
        String id = body.path("tableReference").path("tableId").asText("");
        if (!Pattern.matches("[\\p{L}\\p{M}\\p{N}\\p{Pc}\\p{Pd} ]{1,1024}", id)) {
            error(ex, 400, "invalid", "Invalid table ID \"" + id + "\".");
            return;
        }
        String problem = body.has("view") ? checkView(body) : checkSchema(body.path("schema"));
        if (problem == null && !body.has("view")) {
            problem = checkLayout(body);
        }
        if (problem != null) {
            error(ex, 400, "invalid", problem);
            return;
        }
        ObjectNode resource = body.deepCopy();
        resource.put("kind", "bigquery#table");
        resource.put("id", project + ":" + dataset + "." + id);
        resource.put("type", body.has("view") ? "VIEW" : "TABLE");
        resource.put("creationTime", String.valueOf(System.currentTimeMillis()));
        resource.put("etag", "e" + System.nanoTime());
        ObjectNode ref = (ObjectNode) resource.path("tableReference");
        ref.put("projectId", project);
        ref.put("datasetId", dataset);
        if (tables.putIfAbsent(key(project, dataset, id), new Table(resource)) != null) {
            error(ex, 409, "duplicate", "Already Exists: Table " + project + ":" + dataset + "." + id);
            return;
        }
        send(ex, 200, resource);
    }

    /**
     * The table resource's {@code maxStaleness}: an INTERVAL as text, canonical {@code Y-M D H:M:S[.F]} (BigQuery also
     * refuses a negative or malformed one); the fake stores it as given and answers it on get.
     */
    static String checkMaxStaleness(JsonNode body) {
        JsonNode ms = body.path("maxStaleness");
        if (ms.isMissingNode() || ms.isNull()) {
            return null;
        }
        if (!ms.isTextual() || !ms.asText().matches("\\d+-\\d+ \\d+ \\d+:[0-5]?\\d:[0-5]?\\d(\\.\\d{1,6})?")) {
            return "Invalid value for maxStaleness: " + ms + " is not a valid INTERVAL (expected Y-M D H:M:S)";
        }
        return null;
    }

    /** BigQuery's checks of a new table's time partitioning and clustering, with its messages. */
    private static String checkLayout(ObjectNode body) {
        String staleness = checkMaxStaleness(body);
        if (staleness != null) {
            return staleness;
        }
        Map<String, JsonNode> fields = new HashMap<>();
        body.path("schema").path("fields").forEach(f -> fields.put(f.path("name").asText().toLowerCase(Locale.ROOT), f));
        JsonNode tp = body.path("timePartitioning");
        if (!tp.isMissingNode()) {
            String type = tp.path("type").asText("");
            if (!Set.of("DAY", "HOUR", "MONTH", "YEAR").contains(type)) {
                return "Invalid time partitioning type: " + type;
            }
            if (tp.has("field")) {
                JsonNode f = fields.get(tp.path("field").asText().toLowerCase(Locale.ROOT));
                if (f == null) {
                    return "The field specified for time partitioning can not be found in the schema: " + tp.path("field").asText();
                }
                String t = normalize(f.path("type").asText());
                if (!Set.of("TIMESTAMP", "DATE", "DATETIME").contains(t) || "REPEATED".equals(f.path("mode").asText())) {
                    return "The field specified for time partitioning can only be of type TIMESTAMP, DATE or DATETIME. The type found is: " + t + ".";
                }
            }
        }
        JsonNode pk = body.path("tableConstraints").path("primaryKey").path("columns");
        if (pk.isArray()) {
            // BigQuery CDC's limit (docs: "composite primary keys containing up to 16 columns")
            if (pk.isEmpty() || pk.size() > 16) {
                return "A primary key must have between 1 and 16 columns, got " + pk.size() + ".";
            }
            for (JsonNode name : pk) {
                if (!fields.containsKey(name.asText().toLowerCase(Locale.ROOT))) {
                    return "Primary key column " + name.asText() + " is not in the table schema.";
                }
            }
        }
        JsonNode cl = body.path("clustering").path("fields");
        if (cl.isArray()) {
            if (cl.size() > 4) {
                return "Too many clustering fields: " + cl.size() + ", only 4 clustering fields are allowed.";
            }
            for (JsonNode name : cl) {
                JsonNode f = fields.get(name.asText().toLowerCase(Locale.ROOT));
                if (f == null) {
                    return "The field specified for clustering cannot be found in the schema. Invalid field: " + name.asText() + ".";
                }
                String t = normalize(f.path("type").asText());
                if (!Set.of("INTEGER", "STRING", "NUMERIC", "BIGNUMERIC", "BOOLEAN", "DATE", "DATETIME", "TIMESTAMP", "GEOGRAPHY").contains(t)
                        || "REPEATED".equals(f.path("mode").asText())) {
                    return "Field " + name.asText() + " is of type " + t + " which is not supported for clustering.";
                }
            }
        }
        return null;
    }

    private static String checkView(ObjectNode body) {
        JsonNode q = body.path("view").path("query");
        if (!q.isTextual() || q.asText().isBlank()) {
            return "View query is required";
        }
        return null;
    }

    private static String checkSchema(JsonNode schema) {
        JsonNode fields = schema.path("fields");
        if (!fields.isArray() || fields.isEmpty()) {
            return "Schema is required for a table";
        }
        Set<String> seen = new java.util.HashSet<>();
        for (JsonNode f : fields) {
            String name = f.path("name").asText("");
            if (!NAME.matcher(name).matches()) {
                return "Invalid field name \"" + name + "\". Fields must contain only letters, numbers, and underscores, "
                        + "start with a letter or underscore, and be at most 300 characters long.";
            }
            String folded = name.toLowerCase(Locale.ROOT);
            for (String prefix : RESERVED_PREFIXES) {
                if (folded.startsWith(prefix)) {
                    return "Invalid field name \"" + name + "\". Field names cannot start with the reserved prefix "
                            + prefix.toUpperCase(Locale.ROOT) + ".";
                }
            }
            if (!seen.add(folded)) {
                // BigQuery column names are case-insensitive: Name and name are the same column
                return "Field " + name + " already exists in schema";
            }
            String type = f.path("type").asText("").toUpperCase(Locale.ROOT);
            if (!TYPES.contains(type)) {
                return "Invalid value for type: " + f.path("type").asText() + " is not a valid value";
            }
            String params = checkPrecision(name, normalize(type), f);
            if (params != null) {
                return params;
            }
        }
        return null;
    }

    /** Prefixes BigQuery keeps for its pseudo-columns (case-insensitive). */
    private static final List<String> RESERVED_PREFIXES = List.of("_partition", "_table_", "_file_", "_row_timestamp", "__root__", "_colidentifier");

    /**
     * Parameterized NUMERIC(P[,S]) / BIGNUMERIC(P[,S]) as BigQuery limits them: NUMERIC scale 0..9, precision
     * max(1, S)..S+29 (at most 38); BIGNUMERIC scale 0..38, precision max(1, S)..S+38 (at most 76).
     */
    private static String checkPrecision(String name, String type, JsonNode f) {
        if (!f.has("precision") && !f.has("scale")) {
            return null;
        }
        if (!type.equals("NUMERIC") && !type.equals("BIGNUMERIC")) {
            return f.has("scale") ? "Invalid field " + name + ": scale is only allowed for NUMERIC and BIGNUMERIC" : null;
        }
        boolean big = type.equals("BIGNUMERIC");
        long scale = f.path("scale").asLong(0);
        long maxScale = big ? 38 : 9;
        if (scale < 0 || scale > maxScale) {
            return "Invalid scale " + scale + " for field " + name + " of type " + type + ": it must be between 0 and " + maxScale + ".";
        }
        if (f.has("precision")) {
            long precision = f.path("precision").asLong(0);
            long max = scale + (big ? 38 : 29);
            if (precision < Math.max(1, scale) || precision > max) {
                return "Invalid precision " + precision + " for field " + name + " of type " + type + " with scale " + scale
                        + ": it must be between " + Math.max(1, scale) + " and " + max + ".";
            }
        }
        return null;
    }

    /** Deletes a table or view behind the client's back (as a dataset's default table expiration does). */
    public boolean dropTable(String project, String dataset, String table) {
        return tables.remove(key(project, dataset, table)) != null;
    }

    private void getTable(HttpExchange ex, String project, String dataset, String table) throws IOException {
        Table t = tables.get(key(project, dataset, table));
        if (t == null) {
            error(ex, 404, "notFound", "Not found: Table " + project + ":" + dataset + "." + table);
            return;
        }
        send(ex, 200, t.resource);
    }

    private void updateTable(HttpExchange ex, String project, String dataset, String table, ObjectNode body, boolean replace)
            throws IOException {
        Table t = tables.get(key(project, dataset, table));
        if (t == null) {
            error(ex, 404, "notFound", "Not found: Table " + project + ":" + dataset + "." + table);
            return;
        }
        synchronized (t) {
            if (body.has("schema")) {
                String problem = checkSchema(body.path("schema"));
                if (problem == null) {
                    problem = checkEvolution(t.resource.path("schema"), body.path("schema"), project + ":" + dataset + "." + table);
                }
                if (problem != null) {
                    error(ex, 400, "invalid", problem);
                    return;
                }
            }
            String staleness = checkMaxStaleness(body);
            if (staleness != null) {
                error(ex, 400, "invalid", staleness);
                return;
            }
            // BigQuery keeps a table's partitioning for life: an update that would change it (or drop it, with PUT) is refused
            JsonNode wasPartitioned = t.resource.path("timePartitioning");
            JsonNode partitioned = body.path("timePartitioning");
            if ((body.has("timePartitioning") || replace) && !wasPartitioned.equals(partitioned)) {
                error(ex, 400, "invalid", "Cannot change partitioning spec for table " + project + ":" + dataset + "." + table);
                return;
            }
            if (body.has("view") && !t.resource.has("view")) {
                error(ex, 400, "invalid", "Cannot change a table into a view");
                return;
            }
            ObjectNode updated = replace ? body.deepCopy() : t.resource.deepCopy();
            if (!replace) {
                body.fields().forEachRemaining(e -> {
                    if (!Set.of("id", "kind", "tableReference", "type", "creationTime").contains(e.getKey())) {
                        updated.set(e.getKey(), e.getValue());
                    }
                });
            }
            for (String keep : List.of("id", "kind", "tableReference", "type", "creationTime")) {
                updated.set(keep, t.resource.get(keep));
            }
            updated.put("etag", "e" + System.nanoTime());
            t.resource = updated;
            send(ex, 200, updated);
        }
    }

    /** BigQuery only lets a schema grow: every old field kept with its type and mode, new fields not REQUIRED. */
    private static String checkEvolution(JsonNode oldSchema, JsonNode newSchema, String table) {
        Map<String, JsonNode> next = new HashMap<>();
        newSchema.path("fields").forEach(f -> next.put(f.path("name").asText().toLowerCase(Locale.ROOT), f));
        Set<String> old = new java.util.HashSet<>();
        for (JsonNode f : oldSchema.path("fields")) {
            String name = f.path("name").asText();
            old.add(name.toLowerCase(Locale.ROOT));
            JsonNode n = next.get(name.toLowerCase(Locale.ROOT));
            if (n == null) {
                return "Provided Schema does not match Table " + table + ". Field " + name + " is missing in new schema";
            }
            if (!normalize(n.path("type").asText()).equals(normalize(f.path("type").asText()))) {
                return "Provided Schema does not match Table " + table + ". Field " + name + " has changed type from "
                        + f.path("type").asText() + " to " + n.path("type").asText();
            }
            if (!n.path("mode").asText("NULLABLE").equals(f.path("mode").asText("NULLABLE"))) {
                return "Provided Schema does not match Table " + table + ". Field " + name + " has changed mode from "
                        + f.path("mode").asText("NULLABLE") + " to " + n.path("mode").asText("NULLABLE");
            }
        }
        for (JsonNode f : newSchema.path("fields")) {
            if (!old.contains(f.path("name").asText().toLowerCase(Locale.ROOT)) && "REQUIRED".equals(f.path("mode").asText())) {
                return "Provided Schema does not match Table " + table + ". Cannot add required fields to an existing schema. "
                        + "(field: " + f.path("name").asText() + ")";
            }
        }
        return null;
    }

    /** A column type as the REST API names it (the legacy names); the Storage Write fake checks against the same. */
    static String normalize(String type) {
        return switch (type.toUpperCase(Locale.ROOT)) {
            case "INT64" -> "INTEGER";
            case "FLOAT64" -> "FLOAT";
            case "BOOL" -> "BOOLEAN";
            case "STRUCT" -> "RECORD";
            default -> type.toUpperCase(Locale.ROOT);
        };
    }

    private static String key(String project, String dataset, String table) {
        return project + ":" + dataset + "." + table;
    }

    // ---- tabledata ----

    private void insertAll(HttpExchange ex, String project, String dataset, String table, byte[] raw) throws IOException {
        insertAllRequests.incrementAndGet();
        if (raw.length > MAX_BYTES) {
            error(ex, 400, "invalid", "Request payload size exceeds the limit: " + MAX_BYTES + " bytes.");
            return;
        }
        ObjectNode body = json(raw);
        Table t = tables.get(key(project, dataset, table));
        if (t == null) {
            error(ex, 404, "notFound", "Not found: Table " + key(project, dataset, table));
            return;
        }
        if (t.resource.has("view")) {
            error(ex, 400, "invalid", "Cannot insert into a view: " + key(project, dataset, table));
            return;
        }
        JsonNode rows = body.path("rows");
        if (!rows.isArray() || rows.isEmpty()) {
            error(ex, 400, "invalid", "No rows present in the request.");
            return;
        }
        if (rows.size() > MAX_ROWS) {
            error(ex, 400, "invalid", "too many rows present in the request, limit: " + MAX_ROWS + " row count: " + rows.size() + ".");
            return;
        }
        boolean skipInvalid = body.path("skipInvalidRows").asBoolean(false);
        boolean ignoreUnknown = body.path("ignoreUnknownValues").asBoolean(false);
        ObjectNode response = JSON.createObjectNode();
        response.put("kind", "bigquery#tableDataInsertAllResponse");
        synchronized (t) {
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            t.resource.path("schema").path("fields").forEach(f -> fields.put(f.path("name").asText().toLowerCase(Locale.ROOT), f));
            List<Integer> valid = new ArrayList<>();
            ArrayNode errors = JSON.createArrayNode();
            for (int i = 0; i < rows.size(); i++) {
                JsonNode row = rows.get(i).path("json");
                List<ObjectNode> problems = validateRow(row, fields, ignoreUnknown);
                if (problems.isEmpty()) {
                    valid.add(i);
                } else {
                    ObjectNode e = errors.addObject();
                    e.put("index", i);
                    e.putArray("errors").addAll(problems);
                    t.rejected.add(rows.get(i));
                }
            }
            if (!errors.isEmpty() && !skipInvalid) {
                // BigQuery inserts nothing and reports the valid rows as "stopped"
                ArrayNode all = JSON.createArrayNode();
                int e = 0;
                for (int i = 0; i < rows.size(); i++) {
                    if (e < errors.size() && errors.get(e).path("index").asInt() == i) {
                        all.add(errors.get(e++));
                    } else {
                        ObjectNode stopped = all.addObject();
                        stopped.put("index", i);
                        ObjectNode s = stopped.putArray("errors").addObject();
                        s.put("reason", "stopped");
                        s.put("location", "");
                        s.put("debugInfo", "");
                        s.put("message", "");
                    }
                }
                response.set("insertErrors", all);
                send(ex, 200, response);
                return;
            }
            for (int i : valid) {
                JsonNode r = rows.get(i);
                String insertId = r.hasNonNull("insertId") ? r.get("insertId").asText() : null;
                if (insertId != null) {
                    t.insertIdsReceived.merge(insertId, 1, Integer::sum);
                    long now = clock.millis();
                    Long storedAt = t.insertIdStoredAt.get(insertId);
                    if (storedAt != null && now - storedAt < dedupWindow.toMillis()) {
                        continue; // best-effort deduplication, within the window only
                    }
                    if (storedAt != null) {
                        t.duplicatesStored++;
                    }
                    t.insertIdStoredAt.put(insertId, now);
                }
                t.rows.add((ObjectNode) r.path("json")); // the request's own tree: nothing else holds it
                t.rowInsertIds.add(insertId);
                t.rowArrivalMillis.add(System.currentTimeMillis());
            }
            if (!errors.isEmpty()) {
                response.set("insertErrors", errors);
            }
        }
        send(ex, 200, response);
    }

    private List<ObjectNode> validateRow(JsonNode row, Map<String, JsonNode> fields, boolean ignoreUnknown) {
        List<ObjectNode> out = new ArrayList<>();
        if (!row.isObject()) {
            out.add(problem("", "Row is not a JSON object."));
            return out;
        }
        row.fields().forEachRemaining(e -> {
            JsonNode f = fields.get(e.getKey().toLowerCase(Locale.ROOT));
            if (f == null) {
                if (!ignoreUnknown) {
                    out.add(problem(e.getKey(), "no such field: " + e.getKey() + "."));
                }
                return;
            }
            String msg = checkValue(e.getValue(), f);
            if (msg != null) {
                out.add(problem(e.getKey(), msg));
            }
        });
        fields.values().forEach(f -> {
            if ("REQUIRED".equals(f.path("mode").asText()) && !row.hasNonNull(f.path("name").asText())) {
                out.add(problem(f.path("name").asText(), "Missing required field: " + f.path("name").asText() + "."));
            }
        });
        return out;
    }

    private static ObjectNode problem(String location, String message) {
        ObjectNode p = JSON.createObjectNode();
        p.put("reason", "invalid");
        p.put("location", location);
        p.put("debugInfo", "");
        p.put("message", message);
        return p;
    }

    private static String checkValue(JsonNode v, JsonNode field) {
        if (v == null || v.isNull()) {
            return null;
        }
        String type = normalize(field.path("type").asText());
        if ("REPEATED".equals(field.path("mode").asText())) {
            if (!v.isArray()) {
                return "Non-array value specified for repeated field: " + field.path("name").asText() + ".";
            }
            for (JsonNode e : v) {
                if (e.isNull()) {
                    return "Null value specified in repeated field: " + field.path("name").asText() + ".";
                }
                String m = checkScalar(e, type);
                if (m != null) {
                    return m;
                }
            }
            return null;
        }
        if (v.isArray()) {
            return "Array specified for non-repeated field: " + field.path("name").asText() + ".";
        }
        return checkScalar(v, type);
    }

    private static String checkScalar(JsonNode v, String type) {
        String text = v.isValueNode() ? v.asText() : v.toString();
        switch (type) {
            case "INTEGER":
                if (v.isIntegralNumber() && v.canConvertToLong()) {
                    return null;
                }
                if (v.isTextual()) {
                    try {
                        Long.parseLong(text.trim());
                        return null;
                    } catch (NumberFormatException e) {
                        // fall through
                    }
                }
                return "Cannot convert value to integer (bad value): " + text;
            case "FLOAT":
                if (v.isNumber()) {
                    return null;
                }
                if (v.isTextual()) {
                    try {
                        Double.parseDouble(text.trim());
                        return null;
                    } catch (NumberFormatException e) {
                        // fall through
                    }
                }
                return "Cannot convert value to floating point (bad value): " + text;
            case "NUMERIC":
            case "BIGNUMERIC":
                if (!(v.isNumber() || v.isTextual())) {
                    return "Invalid " + type + " value: " + text;
                }
                try {
                    BigDecimal d = new BigDecimal(text.trim());
                    int scale = Math.max(d.scale(), 0);
                    int intDigits = Math.max(d.precision() - d.scale(), 0);
                    boolean ok = "NUMERIC".equals(type) ? scale <= 9 && intDigits <= 29 : scale <= 38 && intDigits <= 38;
                    return ok ? null : "Invalid " + type + " value: " + text;
                } catch (NumberFormatException e) {
                    return "Invalid " + type + " value: " + text;
                }
            case "BOOLEAN":
                if (v.isBoolean() || (v.isTextual() && Set.of("true", "false", "1", "0").contains(text.toLowerCase(Locale.ROOT)))) {
                    return null;
                }
                return "Cannot convert value to boolean: " + text;
            case "STRING":
                return v.isContainerNode() ? "Cannot convert a JSON object or array to a string: " + text : null;
            case "BYTES":
                if (v.isTextual()) {
                    try {
                        Base64.getDecoder().decode(text);
                        return null;
                    } catch (IllegalArgumentException e) {
                        // fall through
                    }
                }
                return "Could not decode base64 string to bytes.";
            case "DATE":
                return v.isTextual() && DATE.matcher(text).matches() ? null : "Invalid date: '" + text + "'";
            case "TIME":
                return v.isTextual() && TIME.matcher(text).matches() ? null : "Invalid time string \"" + text + "\"";
            case "DATETIME":
                return v.isTextual() && DATETIME.matcher(text).matches() ? null : "Invalid datetime string \"" + text + "\"";
            case "TIMESTAMP":
                if (v.isNumber() || (v.isTextual() && TIMESTAMP.matcher(text).matches())) {
                    return null;
                }
                return "Couldn't convert value to timestamp: Could not parse '" + text + "' as a timestamp.";
            case "JSON":
                if (!v.isTextual()) {
                    return "Invalid JSON value: a JSON column takes a string holding JSON";
                }
                try {
                    JSON.readTree(text);
                    return null;
                } catch (IOException e) {
                    return "Parser terminated before end of string: " + text;
                }
            default:
                return null;
        }
    }

    private void listData(HttpExchange ex, String project, String dataset, String table) throws IOException {
        Table t = tables.get(key(project, dataset, table));
        if (t == null) {
            error(ex, 404, "notFound", "Not found: Table " + key(project, dataset, table));
            return;
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("kind", "bigquery#tableDataList");
        List<String> names = new ArrayList<>();
        t.resource.path("schema").path("fields").forEach(f -> names.add(f.path("name").asText()));
        ArrayNode rows = out.putArray("rows");
        synchronized (t) {
            for (ObjectNode r : t.rows) {
                ArrayNode cells = rows.addObject().putArray("f");
                for (String n : names) {
                    JsonNode v = r.get(n);
                    cells.addObject().set("v", v == null || v.isNull() ? JSON.nullNode()
                            : v.isArray() ? v : JSON.getNodeFactory().textNode(v.asText()));
                }
            }
            out.put("totalRows", String.valueOf(t.rows.size()));
        }
        send(ex, 200, out);
    }

    @Override
    public String toString() {
        return "FakeBigQuery" + endpoint() + " tables=" + tables.keySet() + " at " + Instant.now();
    }
}
