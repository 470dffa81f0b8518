package io.cdcbridge.carol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPOutputStream;

import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.delivery.Outcome;
import io.cdcbridge.delivery.SinkClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Carol sink's protocol (docs/architecture.md §8): one gzip-compressed {@code POST …/staging/intake/{staging}} per
 * request with the token (or the API key), and Carol's answers as {@link Outcome}s by status class ({@link CarolStatus}):
 * 2xx delivered unless its body says it failed ({@code success: false}); 401/403 → one forced token refresh and one more
 * try, then stop (an API key refused: stop at once); 3xx, 501, 505 and a request-wide refusal of the connector → stop;
 * 413 or 400 → refused, splittable (the engine halves the request until the one bad record is alone); 404 with managed
 * schemas → the staging made again, retry; other 4xx → refused; 408/409/425/429/other 5xx/I-O → retry, honouring
 * {@code Retry-After}; credentials Carol refuses → stop.
 */
final class CarolClient implements SinkClient<CarolMapper.Record> {

    private static final Logger LOG = LoggerFactory.getLogger(CarolClient.class);

    private final CarolConfig config;
    private final CarolTokenCache tokens;
    private final HttpClient http;
    /** null: the bridge does not manage staging schemas */
    private final CarolStagingSchemas schemas;
    private final Set<String> keylessWarned = ConcurrentHashMap.newKeySet();

    /** @param tokens null in API-key mode; @param schemas null when schemas are not managed */
    CarolClient(CarolConfig config, CarolTokenCache tokens, HttpClient http, CarolStagingSchemas schemas) {
        this.config = config;
        this.tokens = tokens;
        this.http = http;
        this.schemas = schemas;
    }

    /**
     * Before a staging's records go out: its schema in Carol fits them (created, or extended with new columns;
     * docs/architecture.md §8). A field whose type changed refuses the records (dead-lettered with Carol's reason), and
     * so does a table without a crosswalk (no primary key, no {@code cdc.carol.crosswalk.<schema>.<table>}).
     */
    @Override
    public Outcome prepare(String staging, List<CarolMapper.Record> records) {
        if (schemas == null) {
            return Outcome.DELIVERED;
        }
        Set<CarolStagingSchemas.StagingSchema> wanted = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        for (CarolMapper.Record r : records) {
            if (r.schema() != null) {
                wanted.add(r.schema());
            }
        }
        for (CarolStagingSchemas.StagingSchema s : wanted) {
            if (s.keys().isEmpty()) {
                // no crosswalk: Carol cannot tell one row's record from another's, so no schema can be made and the
                // records would overwrite each other; refused (dead-lettered, replayable once the setting is there)
                String setting = s.table() != null ? CarolSettings.CROSSWALK.key(s.table()) : CarolSettings.CROSSWALK.pattern();
                String reason = "Carol staging " + staging + ": table " + (s.table() != null ? s.table() : "?")
                        + " has no primary key and no " + setting + ", so its records have no crosswalk key; set "
                        + setting + "=column,… to the columns that identify a row (or " + CarolSettings.MANAGE_SCHEMAS.key()
                        + "=false and make the staging by hand)";
                if (keylessWarned.add(staging)) {
                    LOG.warn("{}; its records are dead-lettered until then", reason);
                }
                return new Outcome.RequestRefused(reason, false, null);
            }
            try {
                schemas.ensure(s);
            } catch (CarolSchemaException e) {
                return new Outcome.RequestRefused(e.getMessage(), false, e);
            } catch (CarolCredentialsException e) {
                return new Outcome.Stop(e.getMessage());
            } catch (CarolRetryableException e) {
                return Outcome.retry(e.getMessage(), e);
            }
        }
        return Outcome.DELIVERED;
    }

    @Override
    public Outcome send(String staging, List<CarolMapper.Record> records) {
        // Each crosswalk key once, its last change (docs/architecture.md §8). The engine still counts every item of the
        // request as delivered when Carol takes it: a superseded change is delivered by its successor, the same key's
        // newer record, which Carol keeps in its place. Sound because this client answers for the whole request only
        // (never ItemsRefused, whose reasons are by item); a refused request the engine halves is collapsed again per half.
        byte[] body = gzip(CarolMapper.body(CarolMapper.lastPerKey(retyped(records))));
        boolean authRetried = false;
        while (true) {
            String token;
            try {
                token = tokens == null ? null : tokens.token();
            } catch (CarolCredentialsException e) {
                String m = e.getMessage();
                return new Outcome.Stop(namesASetting(m) ? m : m + ". Fix " + CarolSettings.USERNAME.key() + " / "
                        + CarolSettings.PASSWORD.key() + " (or " + CarolSettings.API_KEY.key() + ")");
            }
            HttpRequest.Builder request = HttpRequest.newBuilder(config.intakeUri(staging))
                    .timeout(Duration.ofMillis(config.timeoutMs()))
                    .header("Content-Type", "application/json")
                    .header("Content-Encoding", "gzip")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body));
            if (token != null) {
                request.header("Authorization", config.authScheme().equals("bearer") ? "Bearer " + token : token);
            } else {
                request.header("X-Auth-Key", config.apiKey()).header("X-Auth-ConnectorId", config.connectorId());
            }
            HttpResponse<String> response;
            try {
                response = http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                return Outcome.retry("Carol intake unreachable: " + e.getClass().getSimpleName() + ": " + e.getMessage(),
                        new CarolRetryableException("Carol intake unreachable: " + e, e));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Outcome.retry("interrupted", e);
            }
            int status = response.statusCode();
            String answer = response.body();
            if (status / 100 == 2) {
                String failure = CarolStatus.failureIn2xx(answer);
                if (failure == null) {
                    return Outcome.DELIVERED;
                }
                // a refusal in a 2xx envelope: not delivered; refused as a 400 is (halved until the record is alone)
                return new Outcome.RequestRefused("Carol answered HTTP " + status + " for staging " + staging
                        + " but did not take the request: " + failure, records.size() > 1, null);
            }
            if ((status == 401 || status == 403) && tokens != null && !authRetried) {
                // the token may have been revoked or expired early: one forced refresh, one more try
                authRetried = true;
                tokens.invalidate(token);
                continue;
            }
            String stop = CarolStatus.stop(response, "for intake of staging " + staging);
            if (stop != null) {
                // the configuration is wrong for every record alike: halving the request would send about 2N-1
                // requests to dead-letter them all; the route stops with nothing committed instead
                return new Outcome.Stop(stop);
            }
            String what = "Carol refused the request to staging " + staging + " (HTTP " + status + "): " + answer;
            if (status == 413 || status == 400) {
                if (status == 400 && schemas != null) {
                    schemas.forget(staging); // the staging may have been changed in Carol: read it again next time
                }
                return new Outcome.RequestRefused(what, true, null);
            }
            if (status == 401 || status == 403) {
                // refused again after a fresh token, or the API key refused: retrying cannot help and dead-lettering would
                // park every record for a credentials problem; the route stops with nothing committed
                return new Outcome.Stop("Carol intake refused the credentials (HTTP " + status + ") for staging " + staging
                        + (tokens == null ? " with the API key: check " + CarolSettings.API_KEY.key() + " and " + CarolSettings.CONNECTOR_ID.key()
                        : " with a fresh token: check " + CarolSettings.USERNAME.key() + "'s rights on the connector")
                        + ": " + CarolTokenCache.carolMessage(answer));
            }
            if (CarolStatus.retryable(status)) {
                String message = "Carol intake answered HTTP " + status + " for staging " + staging + ": " + CarolTokenCache.carolMessage(answer);
                return new Outcome.Retry(message, retryAfterMs(response.headers().firstValue("Retry-After").orElse(null)),
                        new CarolRetryableException(status, message));
            }
            if (status == 404 && schemas != null && records.stream().anyMatch(r -> r.schema() != null)) {
                // the staging is gone (deleted in Carol): its schema made again from the records' table; they go again
                // (passthrough records carry no schema to make it from: refused below, replayable once it exists)
                schemas.forget(staging);
                Outcome made = prepare(staging, records);
                if (made instanceof Outcome.Delivered) {
                    return Outcome.retry("Carol staging " + staging + " was not found (deleted?): its schema is made again: "
                            + CarolTokenCache.carolMessage(answer), null);
                }
                return made;
            }
            // any other answer (404 without managed schemas, 405, 410, 422, …): this request's records are refused
            return new Outcome.RequestRefused(what, false, null);
        }
    }

    /** Reads a record as it was written: exact numbers stay exact. */
    private static final com.fasterxml.jackson.databind.ObjectMapper EXACT = new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(com.fasterxml.jackson.core.JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN);

    /**
     * The records with the fields whose column's type changed incompatibly moved to their retyped fields
     * ({@link CarolStagingSchemas#renames}, docs/types.md "Schema changes"); the list itself when none moves.
     */
    private List<CarolMapper.Record> retyped(List<CarolMapper.Record> records) {
        if (schemas == null) {
            return records;
        }
        java.util.Map<CarolStagingSchemas.StagingSchema, java.util.Map<String, String>> renames = new java.util.IdentityHashMap<>();
        List<CarolMapper.Record> out = null;
        for (int i = 0; i < records.size(); i++) {
            CarolMapper.Record r = records.get(i);
            java.util.Map<String, String> moves = r.schema() == null ? java.util.Map.of() : renames.computeIfAbsent(r.schema(), schemas::renames);
            if (moves.isEmpty()) {
                if (out != null) {
                    out.add(r);
                }
                continue;
            }
            if (out == null) {
                out = new java.util.ArrayList<>(records.subList(0, i));
            }
            try {
                com.fasterxml.jackson.databind.node.ObjectNode n = (com.fasterxml.jackson.databind.node.ObjectNode) EXACT.readTree(r.json());
                com.fasterxml.jackson.databind.node.ObjectNode moved = EXACT.createObjectNode();
                n.fields().forEachRemaining(f -> moved.set(moves.getOrDefault(f.getKey(), f.getKey()), f.getValue()));
                out.add(new CarolMapper.Record(EXACT.writeValueAsBytes(moved), r.schema(), r.key()));
            } catch (IOException e) {
                throw new IllegalStateException("a Carol record is not JSON", e);
            }
        }
        return out == null ? records : out;
    }

    @Override
    public java.time.Instant credentialsExpireAt() {
        return tokens == null || tokens.expiresAt().equals(java.time.Instant.EPOCH) ? null : tokens.expiresAt();
    }

    private static byte[] gzip(byte[] json) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, json.length / 4));
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 8192)) {
            gz.write(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /**
     * {@code Retry-After}: seconds or an HTTP date; 0 when absent or unreadable. Capped at 5 minutes here; the engine
     * caps it again at {@code cdc.delivery.max-retry-delay-ms}.
     */
    static long retryAfterMs(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        try {
            return Math.min(300_000, Math.max(0, Long.parseLong(value.trim()) * 1000));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME);
                return Math.min(300_000, Math.max(0, Duration.between(ZonedDateTime.now(at.getZone()), at).toMillis()));
            } catch (RuntimeException unreadable) {
                return 0;
            }
        }
    }

    /** Whether a credentials message already says which setting to fix (CarolTokenCache's own messages do). */
    private static boolean namesASetting(String message) {
        return List.of(CarolSettings.URL, CarolSettings.TOKEN_PATH, CarolSettings.AUTH, CarolSettings.USERNAME, CarolSettings.API_KEY)
                .stream().anyMatch(k -> message.contains(k.key()));
    }
}
