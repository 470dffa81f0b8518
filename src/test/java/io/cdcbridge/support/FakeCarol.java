package io.cdcbridge.support;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A local Carol (docs/architecture.md, Carol; docs/carol.md) for tests and scripts, speaking its HTTP protocol as
 * TOTVS's own client, pycarol 2.56+, uses it, and no more lenient than the service:
 * <ul>
 *   <li>{@code POST /api/v5/oauth2/token}, form-encoded: the password grant (user, password, tenant {@code subdomain},
 *   {@code orgSubdomain}, {@code connectorId}) and the refresh-token grant (refresh tokens are single use); answers
 *   {@code access_token}, {@code refresh_token}, {@code expires_in} and {@code timeIssuedInMillis}; tokens expire on
 *   the given clock ({@code expires_in} 0: never); bad credentials → 401 with Carol's error JSON; the MFA account
 *   {@link #MFA_USER} answers an {@code mfa_token} and no {@code access_token}. {@code /api/v1/oauth2/token}, which no
 *   current TOTVS client uses, answers 404 as a service without it would.</li>
 *   <li>{@code GET / POST / PUT /api/v2/staging/tables/{staging}/schema?connectorId=}: a staging's schema
 *   ({@code mdmStagingType}, {@code mdmFlexible}, {@code mdmStagingMapping.properties}, {@code mdmCrosswalkTemplate});
 *   credentials as for intake; GET of a missing schema and PUT of one → 404; POST of an existing one → 409; a type
 *   not among long, double, string, boolean, date, object, nested, base64 (and {@code integer}, which pycarol's own
 *   schema generator writes), a crosswalk that is not the staging's fields, a field retyped by PUT → 400.</li>
 *   <li>{@code POST /api/v3/staging/intake/{staging}?connectorId=}: the raw token (or {@code Bearer}) in
 *   {@code Authorization}, or {@code X-Auth-Key} + {@code X-Auth-ConnectorId}; missing, unknown, revoked or expired
 *   token → 401; gunzips; not a JSON array of objects → 400; &gt; 500 records or &gt; 10 MB → 413; for a staging with
 *   a schema, a record that does not fit it (a field not in a non-flexible schema, a value not of the field's type, a
 *   crosswalk field missing) → 400 naming it, the whole request refused; a staging without a schema → 404 (Carol makes
 *   none on the fly: the schema is made first, by the bridge or {@link #defineStaging}); a wrong {@code connectorId}
 *   → 400 "Unknown connectorId"; a request taken → 200 {@code {"success":true}}; records repeating a crosswalk key
 *   within one request are counted; injectable 429/503 answers with {@code Retry-After}, and any answer
 *   ({@link #answerNext}).</li>
 * </ul>
 */
public final class FakeCarol implements AutoCloseable {

    public static final String USER = "ana@livraria.com.br";
    public static final String PASSWORD = "s3nha-s3creta";
    /** An account with multi-factor authentication (same password): the password grant answers an mfa_token. */
    public static final String MFA_USER = "mfa@livraria.com.br";
    public static final String TENANT = "livraria";
    public static final String ORG = "totvs";
    public static final String CONNECTOR = "c0ffee00c0ffee00c0ffee00c0ffee00";
    public static final String API_KEY = "chave-0123456789";
    public static final int MAX_RECORDS = 500;
    public static final int MAX_BYTES = 10 * 1024 * 1024;
    public static final String TOKEN_PATH = "/api/v5/oauth2/token";
    public static final String INTAKE_PREFIX = "/api/v3/staging/intake/";
    public static final String SCHEMA_PREFIX = "/api/v2/staging/tables/";
    /** Field types a staging schema may hold; {@code integer} because pycarol's schema generator writes it. */
    public static final Set<String> TYPES = Set.of("long", "integer", "double", "string", "boolean", "date", "object", "nested", "base64");
    /** Numbers kept exact, as a JSON service should (a double would round numeric values). */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    /** A staging's schema: the body as stored, its top-level field types, crosswalk, whether flexible. */
    private record Staging(ObjectNode body, Map<String, String> types, List<String> crosswalk, boolean flexible) {
    }

    private final HttpServer server;
    private final Clock clock;
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private final Map<String, Boolean> refreshTokens = new ConcurrentHashMap<>();
    private final Set<String> issued = ConcurrentHashMap.newKeySet();
    private final Map<String, Staging> schemas = new ConcurrentHashMap<>();
    private final Map<String, List<ObjectNode>> records = new ConcurrentHashMap<>();
    private final AtomicInteger tokenCalls = new AtomicInteger();
    private final AtomicInteger intakeCalls = new AtomicInteger();
    private final Map<String, AtomicInteger> schemaCalls = new ConcurrentHashMap<>();
    private final AtomicInteger unauthorized = new AtomicInteger();
    private final AtomicInteger tooLarge = new AtomicInteger();
    private final AtomicInteger repeatedKeys = new AtomicInteger();
    private volatile long expiresInSeconds = 3600;
    private volatile int failStatus;
    private volatile int failRetryAfter;
    private volatile long failUntilNanos;
    private final AtomicLong failWindowNanos = new AtomicLong();
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile int maxRecordsSeen;
    private volatile int maxBytes = MAX_BYTES;

    /** An answer given to the next intake request instead of handling it (status classes, bodies, headers). */
    private record Answer(int status, String body, Map<String, List<String>> headers) {
    }

    private final java.util.concurrent.ConcurrentLinkedQueue<Answer> answers = new java.util.concurrent.ConcurrentLinkedQueue<>();

    /**
     * The next {@code count} intake requests get this answer as it is (after the failure windows of {@link #failFor}
     * and {@link #failNext}): e.g. a 301 with {@code Location}, a 501, a 2xx whose body says it failed.
     */
    public void answerNext(int status, String body, Map<String, String> headers, int count) {
        Map<String, List<String>> h = new HashMap<>();
        headers.forEach((k, v) -> h.put(k, List.of(v)));
        for (int i = 0; i < count; i++) {
            answers.add(new Answer(status, body, h));
        }
    }

    /** Records Carol's validation refuses (staging, field, value as text), until {@link #acceptAll}. */
    private record Refusal(String staging, String field, String value) {
    }

    private final List<Refusal> refusals = new java.util.concurrent.CopyOnWriteArrayList<>();

    /**
     * From now on, a request to {@code staging} holding a record whose {@code field} is {@code value} is refused with
     * 400 naming the record, as a validation rule in Carol refuses it; the other requests are taken. The sink halves a
     * refused request until the record is alone, then dead-letters it.
     */
    public void refuse(String staging, String field, String value) {
        refusals.add(new Refusal(staging, field, value));
    }

    /** Drops the rules of {@link #refuse}: those records are taken again (a replay of their dead letters lands). */
    public void acceptAll() {
        refusals.clear();
    }

    private FakeCarol(HttpServer server, Clock clock) {
        this.server = server;
        this.clock = clock;
    }

    public static FakeCarol start(Clock clock) {
        HttpServer s = FakeHttpServer.create(0, "fake-carol", 8);
        FakeCarol fake = new FakeCarol(s, clock);
        s.createContext("/", fake::handle);
        s.start();
        return fake;
    }

    /** The API root ({@code cdc.carol.url}). */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The settings a bridge needs to deliver here (password grant). */
    public Map<String, String> settings() {
        Map<String, String> m = new HashMap<>();
        m.put("cdc.carol.url", url());
        m.put("cdc.carol.connector-id", CONNECTOR);
        m.put("cdc.carol.username", USER);
        m.put("cdc.carol.password", PASSWORD);
        m.put("cdc.carol.tenant", TENANT);
        m.put("cdc.carol.org", ORG);
        return m;
    }

    /** Deletes a staging and its schema, as a person in Carol's UI might. */
    public void dropStaging(String staging) {
        schemas.remove(staging);
    }

    /** A staging made by hand, without a crosswalk: its fields and their Carol types ({@link #TYPES}). */
    public void defineStaging(String staging, Map<String, String> fields) {
        defineStaging(staging, fields, List.of());
    }

    /** A staging made by hand: fields and Carol types ({@link #TYPES}), its crosswalk fields (may be empty). */
    public void defineStaging(String staging, Map<String, String> fields, List<String> crosswalk) {
        ObjectNode body = JSON.createObjectNode().put("mdmStagingType", staging).put("mdmFlexible", false);
        ObjectNode properties = body.putObject("mdmStagingMapping").putObject("properties");
        fields.forEach((f, t) -> properties.putObject(f).put("type", t));
        if (!crosswalk.isEmpty()) {
            var cross = body.putObject("mdmCrosswalkTemplate").putObject("mdmCrossreference").putArray(staging);
            crosswalk.forEach(cross::add);
        }
        Object parsed = parseSchema(staging, body, !crosswalk.isEmpty());
        if (parsed instanceof String problem) {
            throw new IllegalArgumentException(problem);
        }
        schemas.put(staging, (Staging) parsed);
    }

    /** The staging's schema as stored (null: none). */
    public ObjectNode schema(String staging) {
        Staging st = schemas.get(staging);
        return st == null ? null : st.body().deepCopy();
    }

    /** Schema API requests so far with this method (GET, POST, PUT). */
    public int schemaCalls(String method) {
        AtomicInteger n = schemaCalls.get(method);
        return n == null ? 0 : n.get();
    }

    /** A lower request size limit than Carol's 10 MB (to provoke 413 with small test data). */
    public void maxBytes(int bytes) {
        maxBytes = bytes;
    }

    /** How long new tokens live; zero: they never expire (answered as {@code expires_in: 0}). */
    public void expiresIn(Duration d) {
        expiresInSeconds = d.toSeconds();
    }

    /** Every token issued so far stops working (as when an admin revokes the connector's sessions). */
    public void revokeTokens() {
        tokens.clear();
        refreshTokens.clear();
    }

    /**
     * Intake answers {@code status} for {@code window} (with {@code Retry-After: retryAfterSeconds} if &gt; 0). The window
     * opens at the next intake request, so a slow start of the client cannot make it pass unseen.
     */
    public void failFor(int status, Duration window, int retryAfterSeconds) {
        failStatus = status;
        failRetryAfter = retryAfterSeconds;
        failWindowNanos.set(Math.max(1, window.toNanos()));
    }

    /** The next {@code count} intake requests answer {@code status}. */
    public void failNext(int status, int count) {
        failStatus = status;
        failRetryAfter = 0;
        failNext.set(count);
    }

    public List<ObjectNode> records(String staging) {
        List<ObjectNode> list = records.get(staging);
        if (list == null) {
            return List.of();
        }
        synchronized (list) {
            return List.copyOf(list);
        }
    }

    /** The records the staging holds, removed from it (bench/soak.sh: half an hour of records is more than a JVM holds). */
    public List<ObjectNode> drain(String staging) {
        List<ObjectNode> list = records.get(staging);
        if (list == null) {
            return List.of();
        }
        synchronized (list) {
            List<ObjectNode> out = List.copyOf(list);
            list.clear();
            return out;
        }
    }

    /** How many records the staging holds (without copying them: the benchmark polls this). */
    public int count(String staging) {
        List<ObjectNode> list = records.get(staging);
        if (list == null) {
            return 0;
        }
        synchronized (list) {
            return list.size();
        }
    }

    /** Every access and refresh token handed out so far (to check none of them is ever logged). */
    public Set<String> issued() {
        return Set.copyOf(issued);
    }

    public int tokenCalls() {
        return tokenCalls.get();
    }

    public int intakeCalls() {
        return intakeCalls.get();
    }

    /** Intake requests refused with 401. */
    public int unauthorized() {
        return unauthorized.get();
    }

    /** Intake requests refused with 413. */
    public int tooLarge() {
        return tooLarge.get();
    }

    /** Records accepted whose crosswalk key an earlier record of the same request already had. */
    public int repeatedKeys() {
        return repeatedKeys.get();
    }

    /** The largest number of records in one accepted request. */
    public int maxRecordsSeen() {
        return maxRecordsSeen;
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (path.equals(TOKEN_PATH)) {
                if (only(ex, "POST")) {
                    token(ex);
                }
            } else if (path.startsWith(INTAKE_PREFIX) && path.length() > INTAKE_PREFIX.length() && path.indexOf('/', INTAKE_PREFIX.length()) < 0) {
                if (only(ex, "POST")) {
                    intake(ex, path.substring(INTAKE_PREFIX.length()));
                }
            } else if (path.startsWith(SCHEMA_PREFIX) && path.endsWith("/schema") && path.length() > SCHEMA_PREFIX.length() + "/schema".length()
                    && path.indexOf('/', SCHEMA_PREFIX.length()) == path.length() - "/schema".length()) {
                if (only(ex, "GET", "POST", "PUT")) {
                    schemaCalls.computeIfAbsent(method, m -> new AtomicInteger()).incrementAndGet();
                    schema(ex, path.substring(SCHEMA_PREFIX.length(), path.length() - "/schema".length()));
                }
            } else {
                // /api/v1/oauth2/token among them: no current TOTVS client uses it
                reply(ex, 404, error(404, "Not found: " + path), 0);
            }
        } catch (RuntimeException e) {
            reply(ex, 500, error(500, e.getClass().getSimpleName()), 0);
        } finally {
            ex.close();
        }
    }

    private static boolean only(HttpExchange ex, String... methods) throws IOException {
        for (String m : methods) {
            if (m.equals(ex.getRequestMethod())) {
                return true;
            }
        }
        reply(ex, 405, error(405, "Method not allowed"), 0);
        return false;
    }

    private static String error(int status, String message) {
        return JSON.createObjectNode().put("errorCode", status).put("errorMessage", message).toString();
    }

    private void token(HttpExchange ex) throws IOException {
        tokenCalls.incrementAndGet();
        String type = ex.getRequestHeaders().getFirst("Content-Type");
        if (type == null || !type.startsWith("application/x-www-form-urlencoded")) {
            reply(ex, 415, error(415, "Content-Type must be application/x-www-form-urlencoded"), 0);
            return;
        }
        Map<String, String> form = form(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String grant = form.getOrDefault("grant_type", "");
        if (grant.equals("password")) {
            String user = form.get("username");
            if (!(USER.equals(user) || MFA_USER.equals(user)) || !PASSWORD.equals(form.get("password")) || !TENANT.equals(form.get("subdomain"))
                    || !ORG.equals(form.get("orgSubdomain"))) {
                reply(ex, 401, error(401, "Invalid username or password for tenant " + form.get("subdomain")), 0);
                return;
            }
            if (MFA_USER.equals(user)) {
                // the second step (v5/oauth2/token/mfa/authenticate with a code typed by a person) is not offered here
                reply(ex, 200, JSON.createObjectNode().put("mfa_token", UUID.randomUUID().toString().replace("-", "")).toString(), 0);
                return;
            }
        } else if (grant.equals("refresh_token")) {
            String refresh = form.get("refresh_token");
            if (refresh == null || refreshTokens.remove(refresh) == null) {
                reply(ex, 401, error(401, "Invalid refresh token"), 0);
                return;
            }
        } else {
            reply(ex, 400, error(400, "Unsupported grant_type " + grant), 0);
            return;
        }
        String access = UUID.randomUUID().toString().replace("-", "");
        String refresh = UUID.randomUUID().toString().replace("-", "");
        long life = expiresInSeconds;
        tokens.put(access, life == 0 ? Instant.MAX : clock.instant().plusSeconds(life));
        refreshTokens.put(refresh, true);
        issued.add(access);
        issued.add(refresh);
        ObjectNode body = JSON.createObjectNode().put("access_token", access).put("token_type", "bearer")
                .put("refresh_token", refresh).put("expires_in", life)
                .put("timeIssuedInMillis", clock.millis()).put("client_id", CONNECTOR);
        reply(ex, 200, body.toString(), 0);
    }

    /** Credentials and connectorId, as intake checks them; false when the answer was sent. */
    private boolean admitted(HttpExchange ex) throws IOException {
        if (!authorized(ex)) {
            reply(ex, 401, error(401, "Invalid or expired token"), 0);
            return false;
        }
        String query = ex.getRequestURI().getQuery();
        if (query == null || !form(query).getOrDefault("connectorId", "").equals(CONNECTOR)) {
            reply(ex, 400, error(400, "Unknown connectorId"), 0);
            return false;
        }
        return true;
    }

    private void schema(HttpExchange ex, String staging) throws IOException {
        byte[] raw = ex.getRequestBody().readAllBytes();
        if (!admitted(ex)) {
            return;
        }
        Staging current = schemas.get(staging);
        String method = ex.getRequestMethod();
        if (method.equals("GET")) {
            if (current == null) {
                reply(ex, 404, error(404, "Staging schema " + staging + " not found"), 0);
            } else {
                reply(ex, 200, withId(current.body()).toString(), 0);
            }
            return;
        }
        if (method.equals("POST") && current != null) {
            reply(ex, 409, error(409, "Staging schema " + staging + " already exists"), 0);
            return;
        }
        if (method.equals("PUT") && current == null) {
            reply(ex, 404, error(404, "Staging schema " + staging + " not found"), 0);
            return;
        }
        JsonNode body;
        try {
            body = JSON.readTree(raw);
        } catch (IOException e) {
            reply(ex, 400, error(400, "Body is not JSON"), 0);
            return;
        }
        if (body == null || !body.isObject()) {
            reply(ex, 400, error(400, "Body must be a staging schema object"), 0);
            return;
        }
        Object parsed = parseSchema(staging, (ObjectNode) body, true);
        if (parsed instanceof String problem) {
            reply(ex, 400, error(400, problem), 0);
            return;
        }
        Staging next = (Staging) parsed;
        if (current != null) {
            for (Map.Entry<String, String> f : current.types().entrySet()) {
                String now = next.types().get(f.getKey());
                if (now != null && !now.equals(f.getValue())) {
                    reply(ex, 400, error(400, "Field " + f.getKey() + " of staging " + staging + " is " + f.getValue() + ": it cannot become " + now), 0);
                    return;
                }
            }
        }
        synchronized (schemas) {
            if (method.equals("POST") ? schemas.putIfAbsent(staging, next) != null : schemas.replace(staging, next) == null) {
                reply(ex, 409, error(409, "Staging schema " + staging + " changed meanwhile"), 0);
                return;
            }
        }
        reply(ex, 200, withId(next.body()).toString(), 0);
    }

    private static ObjectNode withId(ObjectNode body) {
        ObjectNode out = body.deepCopy();
        out.put("mdmId", UUID.nameUUIDFromBytes(body.path("mdmStagingType").asText().getBytes(StandardCharsets.UTF_8)).toString().replace("-", ""));
        return out;
    }

    /** A schema body checked as Carol checks it: the {@link Staging}, or the problem as a String. */
    private static Object parseSchema(String staging, ObjectNode body, boolean crosswalkRequired) {
        if (!staging.equals(body.path("mdmStagingType").asText(null))) {
            return "mdmStagingType must be the staging's name " + staging + ", got " + body.get("mdmStagingType");
        }
        if (body.has("mdmFlexible") && !body.get("mdmFlexible").isBoolean()) {
            return "mdmFlexible must be a boolean";
        }
        JsonNode properties = body.path("mdmStagingMapping").path("properties");
        if (!properties.isObject() || properties.isEmpty()) {
            return "mdmStagingMapping.properties must be an object with the staging's fields";
        }
        Map<String, String> types = new LinkedHashMap<>();
        for (var it = properties.fields(); it.hasNext(); ) {
            var f = it.next();
            String problem = fieldProblem(f.getKey(), f.getValue());
            if (problem != null) {
                return problem;
            }
            types.put(f.getKey(), f.getValue().has("type") ? f.getValue().get("type").asText() : "object");
        }
        List<String> crosswalk = new ArrayList<>();
        JsonNode cross = body.path("mdmCrosswalkTemplate").path("mdmCrossreference");
        if (crosswalkRequired || !cross.isMissingNode()) {
            JsonNode mine = cross.path(staging);
            if (!mine.isArray() || mine.isEmpty()) {
                return "mdmCrosswalkTemplate.mdmCrossreference." + staging + " must list the fields that identify a record";
            }
            for (JsonNode k : mine) {
                if (!k.isTextual() || !types.containsKey(k.asText())) {
                    return "crosswalk field " + k + " is not a field of staging " + staging;
                }
                crosswalk.add(k.asText());
            }
        }
        return new Staging(body.deepCopy(), Map.copyOf(types), List.copyOf(crosswalk), body.path("mdmFlexible").asBoolean(false));
    }

    private static String fieldProblem(String name, JsonNode def) {
        if (name.isEmpty() || name.contains(".")) {
            return "Invalid field name '" + name + "'";
        }
        if (!def.isObject()) {
            return "Field " + name + " must be an object with its type";
        }
        JsonNode type = def.get("type");
        if (type == null) {
            if (!def.path("properties").isObject()) {
                return "Field " + name + " has no type";
            }
        } else if (!type.isTextual() || !TYPES.contains(type.asText())) {
            return "Field " + name + " has an invalid type " + type + ": expected one of " + new java.util.TreeSet<>(TYPES);
        }
        if (def.has("properties")) {
            if (!def.get("properties").isObject()) {
                return "Field " + name + ": properties must be an object";
            }
            for (var it = def.get("properties").fields(); it.hasNext(); ) {
                var f = it.next();
                String problem = fieldProblem(name + "/" + f.getKey(), f.getValue());
                if (problem != null) {
                    return problem;
                }
            }
        }
        return null;
    }

    private void intake(HttpExchange ex, String staging) throws IOException {
        intakeCalls.incrementAndGet();
        long window = failWindowNanos.getAndSet(0);
        if (window > 0) {
            failUntilNanos = System.nanoTime() + window;
        }
        byte[] raw = ex.getRequestBody().readAllBytes();
        if (failNext.get() > 0 && failNext.getAndDecrement() > 0 || System.nanoTime() - failUntilNanos < 0) {
            reply(ex, failStatus, error(failStatus, "Service unavailable, try again"), failRetryAfter);
            return;
        }
        Answer scripted = answers.poll();
        if (scripted != null) {
            ex.getResponseHeaders().putAll(scripted.headers());
            reply(ex, scripted.status(), scripted.body(), 0);
            return;
        }
        if (!authorized(ex)) {
            unauthorized.incrementAndGet();
        }
        if (!admitted(ex)) {
            return;
        }
        byte[] body = raw;
        if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
                body = in.readNBytes(maxBytes + 1);
            }
        }
        if (body.length > maxBytes) {
            tooLarge.incrementAndGet();
            reply(ex, 413, error(413, "Payload larger than 10 MB"), 0);
            return;
        }
        JsonNode array;
        try {
            array = JSON.readTree(body);
        } catch (IOException e) {
            reply(ex, 400, error(400, "Body is not JSON"), 0);
            return;
        }
        if (array == null || !array.isArray()) {
            reply(ex, 400, error(400, "Body must be a JSON array of records"), 0);
            return;
        }
        if (array.size() > MAX_RECORDS) {
            tooLarge.incrementAndGet();
            reply(ex, 413, error(413, "More than 500 records in one request"), 0);
            return;
        }
        Staging schema = schemas.get(staging);
        if (schema == null) {
            // Carol takes records only into a staging that exists, with its schema: none is made on the fly
            reply(ex, 404, error(404, "Staging table " + staging + " not found"), 0);
            return;
        }
        List<ObjectNode> accepted = new ArrayList<>();
        Set<List<JsonNode>> keys = new HashSet<>();
        int repeated = 0;
        for (int i = 0; i < array.size(); i++) {
            JsonNode r = array.get(i);
            if (!r.isObject()) {
                reply(ex, 400, error(400, "Record " + i + " is not an object"), 0);
                return;
            }
            for (Refusal no : refusals) {
                if (no.staging().equals(staging) && r.hasNonNull(no.field()) && r.get(no.field()).asText().equals(no.value())) {
                    reply(ex, 400, error(400, "Record " + i + " rejected by the staging's validation: " + no.field() + " " + no.value()
                            + " is not allowed"), 0);
                    return;
                }
            }
            String problem = mismatch((ObjectNode) r, schema);
            if (problem != null) {
                reply(ex, 400, error(400, "Record " + i + " does not match staging " + staging + ": " + problem), 0);
                return;
            }
            if (!schema.crosswalk().isEmpty()) {
                List<JsonNode> key = new ArrayList<>();
                schema.crosswalk().forEach(k -> key.add(r.get(k)));
                if (!keys.add(key)) {
                    repeated++;
                }
            }
            accepted.add((ObjectNode) r);
        }
        List<ObjectNode> list = records.computeIfAbsent(staging, s -> new ArrayList<>());
        synchronized (list) {
            list.addAll(accepted);
        }
        repeatedKeys.addAndGet(repeated);
        maxRecordsSeen = Math.max(maxRecordsSeen, accepted.size());
        // as Carol's intake answers a request it took (TOTVS's own intake tests check "success": true)
        reply(ex, 200, "{\"success\":true}", 0);
    }

    private boolean authorized(HttpExchange ex) {
        String key = ex.getRequestHeaders().getFirst("X-Auth-Key");
        if (key != null) {
            return API_KEY.equals(key) && CONNECTOR.equals(ex.getRequestHeaders().getFirst("X-Auth-ConnectorId"));
        }
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        if (auth == null) {
            return false;
        }
        String token = auth.startsWith("Bearer ") ? auth.substring(7) : auth;
        Instant expires = tokens.get(token);
        return expires != null && clock.instant().isBefore(expires);
    }

    private static String mismatch(ObjectNode r, Staging schema) {
        for (String k : schema.crosswalk()) {
            if (!r.hasNonNull(k)) {
                return "crosswalk field " + k + " missing";
            }
        }
        for (var it = r.fields(); it.hasNext(); ) {
            var f = it.next();
            if (f.getKey().equals("mdmDeleted")) {
                if (!f.getValue().isBoolean()) {
                    return "mdmDeleted must be a boolean";
                }
                continue;
            }
            String type = schema.types().get(f.getKey());
            if (type == null) {
                if (schema.flexible()) {
                    continue;
                }
                return "unknown field " + f.getKey();
            }
            JsonNode v = f.getValue();
            if (!fits(v, type)) {
                return "field " + f.getKey() + " must be a " + type + ", got " + v.getNodeType().name().toLowerCase();
            }
        }
        return null;
    }

    /** A value of a field of this type: null, the type's JSON form, or an array of them (a field holds one or many). */
    private static boolean fits(JsonNode v, String type) {
        if (v.isNull()) {
            return true;
        }
        if (v.isArray()) {
            for (JsonNode e : v) {
                if (!fits(e, type)) {
                    return false;
                }
            }
            return true;
        }
        return switch (type) {
            case "long" -> v.isIntegralNumber() && v.canConvertToLong();
            case "integer" -> v.isIntegralNumber() && v.canConvertToInt();
            case "double" -> v.isNumber();
            case "string" -> v.isTextual();
            case "boolean" -> v.isBoolean();
            case "date" -> v.isTextual() && isoDate(v.asText());
            case "object", "nested" -> v.isObject();
            case "base64" -> v.isTextual() && base64(v.asText());
            default -> false;
        };
    }

    /** A date, a date-time or a date-time with an offset, in ISO form. */
    private static boolean isoDate(String s) {
        // only a string with a 'T' (the ISO parsers take 't' too) can be a date-time, and only one without a date: the
        // parser a string can pass is tried first, so a timestamp costs no failed parse (each a thrown exception, most
        // of the fake's time on dates)
        List<java.util.function.Consumer<String>> forms = s.indexOf('T') < 0 && s.indexOf('t') < 0
                ? List.of(LocalDate::parse)
                : List.of(OffsetDateTime::parse, LocalDateTime::parse);
        for (java.util.function.Consumer<String> p : forms) {
            try {
                p.accept(s);
                return true;
            } catch (java.time.format.DateTimeParseException ignored) {
                // the next form
            }
        }
        return false;
    }

    private static boolean base64(String s) {
        try {
            Base64.getDecoder().decode(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static Map<String, String> form(String s) {
        Map<String, String> out = new HashMap<>();
        for (String pair : s.split("&")) {
            int i = pair.indexOf('=');
            if (i > 0) {
                out.put(URLDecoder.decode(pair.substring(0, i), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(i + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    private static void reply(HttpExchange ex, int status, String body, int retryAfter) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        if (retryAfter > 0) {
            ex.getResponseHeaders().set("Retry-After", String.valueOf(retryAfter));
        }
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        // a test may stop Carol early (a service gone) and the try-with-resources closes it again
        if (closed.compareAndSet(false, true)) {
            server.stop(0);
        }
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
}
