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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * A local Carol (DESIGN.md §5 and §8) for tests and scripts, speaking its HTTP protocol:
 * <ul>
 *   <li>{@code POST /api/v1/oauth2/token}, form-encoded: the password grant (user, password, tenant {@code subdomain},
 *   {@code orgSubdomain}, {@code connectorId}) and the refresh-token grant (refresh tokens are single use); tokens
 *   expire on the given clock; bad credentials → 401 with Carol's error JSON.</li>
 *   <li>{@code POST /api/v3/staging/intake/{staging}?connectorId=}: the raw token (or {@code Bearer}) in
 *   {@code Authorization}, or {@code X-Auth-Key} + {@code X-Auth-ConnectorId}; missing, unknown, revoked or expired
 *   token → 401; gunzips; not a JSON array of objects → 400; &gt; 500 records or &gt; 10 MB → 413; a record whose
 *   fields do not match the staging's schema (unknown field, a string where a number belongs) → 400 naming it, the
 *   whole request refused; injectable 429/503 answers with {@code Retry-After}.</li>
 * </ul>
 */
public final class FakeCarol implements AutoCloseable {

    public static final String USER = "ana@livraria.com.br";
    public static final String PASSWORD = "s3nha-s3creta";
    public static final String TENANT = "livraria";
    public static final String ORG = "totvs";
    public static final String CONNECTOR = "c0ffee00c0ffee00c0ffee00c0ffee00";
    public static final String API_KEY = "chave-0123456789";
    public static final int MAX_RECORDS = 500;
    public static final int MAX_BYTES = 10 * 1024 * 1024;
    /** Numbers kept exact, as a JSON service should (a double would round numeric values). */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_INTEGER_FOR_INTS);

    private final HttpServer server;
    private final Clock clock;
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private final Map<String, Boolean> refreshTokens = new ConcurrentHashMap<>();
    private final Map<String, Map<String, String>> schemas = new ConcurrentHashMap<>();
    private final Map<String, List<ObjectNode>> records = new ConcurrentHashMap<>();
    private final AtomicInteger tokenCalls = new AtomicInteger();
    private final AtomicInteger intakeCalls = new AtomicInteger();
    private final AtomicInteger unauthorized = new AtomicInteger();
    private final AtomicInteger tooLarge = new AtomicInteger();
    private volatile long expiresInSeconds = 3600;
    private volatile int failStatus;
    private volatile int failRetryAfter;
    private volatile long failUntilNanos;
    private final AtomicLong failWindowNanos = new AtomicLong();
    private final AtomicInteger failNext = new AtomicInteger();
    private volatile int maxRecordsSeen;
    private volatile int maxBytes = MAX_BYTES;

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

    /** A staging's fields and their types: {@code string}, {@code number}, {@code boolean}, {@code object}, {@code array}. */
    public void defineStaging(String staging, Map<String, String> fields) {
        schemas.put(staging, Map.copyOf(fields));
    }

    /** A lower request size limit than Carol's 10 MB (to provoke 413 with small test data). */
    public void maxBytes(int bytes) {
        maxBytes = bytes;
    }

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

    /** The largest number of records in one accepted request. */
    public int maxRecordsSeen() {
        return maxRecordsSeen;
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getPath();
            if (!"POST".equals(ex.getRequestMethod())) {
                reply(ex, 405, "{\"errorCode\":405,\"errorMessage\":\"Method not allowed\"}", 0);
            } else if (path.equals("/api/v1/oauth2/token")) {
                token(ex);
            } else if (path.startsWith("/api/v3/staging/intake/")) {
                intake(ex, path.substring("/api/v3/staging/intake/".length()));
            } else {
                reply(ex, 404, "{\"errorCode\":404,\"errorMessage\":\"Not found\"}", 0);
            }
        } catch (RuntimeException e) {
            reply(ex, 500, "{\"errorCode\":500,\"errorMessage\":\"" + e.getClass().getSimpleName() + "\"}", 0);
        } finally {
            ex.close();
        }
    }

    private void token(HttpExchange ex) throws IOException {
        tokenCalls.incrementAndGet();
        Map<String, String> form = form(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
        String grant = form.getOrDefault("grant_type", "");
        if (grant.equals("password")) {
            if (!USER.equals(form.get("username")) || !PASSWORD.equals(form.get("password")) || !TENANT.equals(form.get("subdomain"))
                    || !ORG.equals(form.get("orgSubdomain"))) {
                reply(ex, 401, "{\"errorCode\":401,\"errorMessage\":\"Invalid username or password for tenant " + form.get("subdomain") + "\"}", 0);
                return;
            }
        } else if (grant.equals("refresh_token")) {
            String refresh = form.get("refresh_token");
            if (refresh == null || refreshTokens.remove(refresh) == null) {
                reply(ex, 401, "{\"errorCode\":401,\"errorMessage\":\"Invalid refresh token\"}", 0);
                return;
            }
        } else {
            reply(ex, 400, "{\"errorCode\":400,\"errorMessage\":\"Unsupported grant_type " + grant + "\"}", 0);
            return;
        }
        String access = UUID.randomUUID().toString().replace("-", "");
        String refresh = UUID.randomUUID().toString().replace("-", "");
        tokens.put(access, clock.instant().plusSeconds(expiresInSeconds));
        refreshTokens.put(refresh, true);
        ObjectNode body = JSON.createObjectNode().put("access_token", access).put("token_type", "bearer")
                .put("refresh_token", refresh).put("expires_in", expiresInSeconds)
                .put("timeIssuedInMillis", clock.millis()).put("client_id", CONNECTOR);
        reply(ex, 200, body.toString(), 0);
    }

    private void intake(HttpExchange ex, String staging) throws IOException {
        intakeCalls.incrementAndGet();
        long window = failWindowNanos.getAndSet(0);
        if (window > 0) {
            failUntilNanos = System.nanoTime() + window;
        }
        byte[] raw = ex.getRequestBody().readAllBytes();
        if (failNext.get() > 0 && failNext.getAndDecrement() > 0 || System.nanoTime() - failUntilNanos < 0) {
            reply(ex, failStatus, "{\"errorCode\":" + failStatus + ",\"errorMessage\":\"Service unavailable, try again\"}", failRetryAfter);
            return;
        }
        if (!authorized(ex)) {
            unauthorized.incrementAndGet();
            reply(ex, 401, "{\"errorCode\":401,\"errorMessage\":\"Invalid or expired token\"}", 0);
            return;
        }
        String query = ex.getRequestURI().getQuery();
        if (query == null || !form(query).getOrDefault("connectorId", "").equals(CONNECTOR)) {
            reply(ex, 400, "{\"errorCode\":400,\"errorMessage\":\"Unknown connectorId\"}", 0);
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
            reply(ex, 413, "{\"errorCode\":413,\"errorMessage\":\"Payload larger than 10 MB\"}", 0);
            return;
        }
        JsonNode array;
        try {
            array = JSON.readTree(body);
        } catch (IOException e) {
            reply(ex, 400, "{\"errorCode\":400,\"errorMessage\":\"Body is not JSON\"}", 0);
            return;
        }
        if (!array.isArray()) {
            reply(ex, 400, "{\"errorCode\":400,\"errorMessage\":\"Body must be a JSON array of records\"}", 0);
            return;
        }
        if (array.size() > MAX_RECORDS) {
            tooLarge.incrementAndGet();
            reply(ex, 413, "{\"errorCode\":413,\"errorMessage\":\"More than 500 records in one request\"}", 0);
            return;
        }
        Map<String, String> schema = schemas.get(staging);
        List<ObjectNode> accepted = new ArrayList<>();
        for (int i = 0; i < array.size(); i++) {
            JsonNode r = array.get(i);
            if (!r.isObject()) {
                reply(ex, 400, "{\"errorCode\":400,\"errorMessage\":\"Record " + i + " is not an object\"}", 0);
                return;
            }
            String problem = schema == null ? null : mismatch((ObjectNode) r, schema);
            if (problem != null) {
                reply(ex, 400, JSON.createObjectNode().put("errorCode", 400)
                        .put("errorMessage", "Record " + i + " does not match staging " + staging + ": " + problem).toString(), 0);
                return;
            }
            accepted.add((ObjectNode) r);
        }
        List<ObjectNode> list = records.computeIfAbsent(staging, s -> new ArrayList<>());
        synchronized (list) {
            list.addAll(accepted);
        }
        maxRecordsSeen = Math.max(maxRecordsSeen, accepted.size());
        reply(ex, 200, "{\"status\":\"ok\",\"received\":" + accepted.size() + "}", 0);
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

    private static String mismatch(ObjectNode r, Map<String, String> schema) {
        for (var it = r.fields(); it.hasNext(); ) {
            var f = it.next();
            if (f.getKey().equals("mdmDeleted")) {
                if (!f.getValue().isBoolean()) {
                    return "mdmDeleted must be a boolean";
                }
                continue;
            }
            String type = schema.get(f.getKey());
            if (type == null) {
                return "unknown field " + f.getKey();
            }
            JsonNode v = f.getValue();
            boolean ok = v.isNull() || switch (type) {
                case "number" -> v.isNumber();
                case "string" -> v.isTextual();
                case "boolean" -> v.isBoolean();
                case "object" -> v.isObject();
                case "array" -> v.isArray();
                default -> true;
            };
            if (!ok) {
                return "field " + f.getKey() + " must be a " + type + ", got " + v.getNodeType().name().toLowerCase();
            }
        }
        return null;
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
        server.stop(0);
    }
}
