package io.cdcbridge.carol;

import io.cdcbridge.config.CarolSettings;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carol's OAuth token as TOTVS's own client, pycarol 2.56+, gets it (docs/architecture.md, Carol; docs/carol.md):
 * {@code POST {url}/api/v5/oauth2/token} ({@code cdc.carol.token-path}), form-encoded, the password grant
 * ({@code username}, {@code password}, {@code subdomain}, {@code orgSubdomain}, {@code connectorId}), renewed with the
 * refresh-token grant (falling back to a new password grant when Carol refuses the refresh token) ahead of expiry.
 * camel-http's OAuth2 support only knows client credentials, hence this class.
 *
 * <p>Expiry is {@code timeIssuedInMillis + expires_in}, as pycarol computes it; an expiry of 0 means the token never
 * expires. An account with multi-factor authentication answers an {@code mfa_token} and no {@code access_token}: a
 * bridge cannot type a code, so that is a {@link CarolCredentialsException} (the route stops, nothing committed), as
 * are refused credentials and a token endpoint that is not there (404: wrong {@code cdc.carol.url} or token path).
 * Neither the password nor any token ever goes into a message or a log line.
 *
 * <p>{@link #token()} is synchronized: however many threads ask at once, one fetch is in flight and the others get
 * its result. Time comes from the injected {@link Clock}, so tests move the clock instead of waiting.
 */
public final class CarolTokenCache {

    private static final Logger LOG = LoggerFactory.getLogger(CarolTokenCache.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CarolConfig config;
    private final HttpClient http;
    private final Clock clock;
    private final AtomicInteger fetches = new AtomicInteger();
    private String accessToken;
    private String refreshToken;
    /** When the current token is renewed: before its expiry, see {@link #renewalTime}. */
    private Instant renewAt = Instant.EPOCH;
    /** Expiry of the current token; {@link Instant#EPOCH} = no token yet, {@link Instant#MAX} = never expires. */
    private volatile Instant expiresAt = Instant.EPOCH;

    public CarolTokenCache(CarolConfig config, HttpClient http, Clock clock) {
        this.config = config;
        this.http = http;
        this.clock = clock;
    }

    /** A valid access token, fetched or renewed if needed. */
    public synchronized String token() {
        if (accessToken != null && clock.instant().isBefore(renewAt)) {
            return accessToken;
        }
        if (refreshToken != null) {
            try {
                fetch(Map.of("grant_type", "refresh_token", "refresh_token", refreshToken), "refresh");
                return accessToken;
            } catch (CarolCredentialsException refused) {
                LOG.info("Carol refused the refresh token ({}); signing in again", refused.getMessage());
                refreshToken = null;
            }
        }
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "password");
        form.put("username", config.username());
        form.put("password", config.password());
        form.put("subdomain", config.tenant());
        form.put("orgSubdomain", config.org());
        form.put("connectorId", config.connectorId());
        fetch(form, "password");
        return accessToken;
    }

    /** Intake refused this token (401/403): the next {@link #token()} renews it, unless another thread already has. */
    public synchronized void invalidate(String token) {
        if (token != null && token.equals(accessToken)) {
            renewAt = Instant.EPOCH;
        }
    }

    /** When the current token expires ({@link Instant#EPOCH} before the first fetch, {@link Instant#MAX}: never). */
    public Instant expiresAt() {
        return expiresAt;
    }

    /** Token endpoint calls made so far. */
    public int fetches() {
        return fetches.get();
    }

    private void fetch(Map<String, String> form, String grant) {
        fetches.incrementAndGet();
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpRequest request = HttpRequest.newBuilder(config.tokenUri()).timeout(Duration.ofMillis(config.timeoutMs()))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new CarolRetryableException("Carol token endpoint unreachable: " + e.getClass().getSimpleName(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CarolRetryableException("interrupted while fetching a Carol token", e);
        }
        int status = response.statusCode();
        if (status == 404 || status == 405) {
            // retrying cannot make a path appear: stop, saying where we looked
            throw new CarolCredentialsException("Carol has no token endpoint at " + config.tokenUri() + " (HTTP " + status
                    + "): check " + CarolSettings.URL.key() + " and " + CarolSettings.TOKEN_PATH.key() + " (TOTVS's clients use " + CarolSettings.TOKEN_PATH.defaultValue() + ")");
        }
        if (status == 400 || status == 401 || status == 403) {
            throw new CarolCredentialsException("Carol refused the " + grant + " grant for user '" + config.username()
                    + "' (HTTP " + status + "): " + carolMessage(response.body()));
        }
        if (status / 100 != 2) {
            throw new CarolRetryableException(status, "Carol token endpoint answered HTTP " + status);
        }
        JsonNode n;
        try {
            n = JSON.readTree(response.body());
        } catch (IOException e) {
            throw new CarolRetryableException(status, "Carol token response is not JSON");
        }
        String access = n.path("access_token").asText(null);
        if (access == null || access.isEmpty()) {
            // 2xx without a token is an answer about the account, not a glitch: asking again gets the same answer
            if (n.hasNonNull("mfa_token")) {
                throw new CarolCredentialsException("Carol user '" + config.username() + "' has multi-factor authentication"
                        + " (the token endpoint asked for an MFA code), which a bridge cannot answer: set " + CarolSettings.AUTH.key()
                        + "=apikey with " + CarolSettings.API_KEY.key() + ", or " + CarolSettings.USERNAME.key()
                        + " to a service user without MFA");
            }
            List<String> names = new ArrayList<>();
            n.fieldNames().forEachRemaining(names::add);
            throw new CarolCredentialsException("Carol's token endpoint answered the " + grant + " grant for user '" + config.username()
                    + "' without an access_token (fields " + names + "): set " + CarolSettings.AUTH.key() + "=apikey with "
                    + CarolSettings.API_KEY.key() + ", or " + CarolSettings.USERNAME.key() + " to a user that signs in with a password");
        }
        Instant received = clock.instant();
        accessToken = access;
        refreshToken = n.path("refresh_token").asText(refreshToken);
        long lifeMs = n.path("expires_in").asLong(3600) * 1000;
        long issuedMs = n.path("timeIssuedInMillis").asLong(received.toEpochMilli());
        if (lifeMs <= 0) {
            // pycarol's "expiration 0": a token that does not expire (as an API key does not)
            expiresAt = Instant.MAX;
            renewAt = Instant.MAX;
            LOG.debug("Carol token ({} grant) does not expire", grant);
            return;
        }
        expiresAt = Instant.ofEpochMilli(Math.min(issuedMs, received.toEpochMilli()) + lifeMs);
        renewAt = renewalTime(received, expiresAt, lifeMs, config.refreshAheadMs());
        LOG.debug("Carol token ({} grant) valid until {}, renewed from {}", grant, expiresAt, renewAt);
    }

    /**
     * When a token received at {@code received} and expiring at {@code expiresAt} (timeIssuedInMillis + expires_in, by
     * Carol's clock) is renewed: {@code refreshAhead} before expiry, as pycarol does (60 s), but never more than half
     * the token's life ahead, and never before half its life has passed since it was received.
     *
     * <p>Why half: with the setting longer than the token's whole life (60 s ahead of 5-second tokens) every request
     * renewed it, 60 token requests in 17 s. Using each token for at least half its life bounds renewals to two per
     * lifetime however short tokens live, while keeping the largest margin within that bound for requests in flight.
     * The floor after receipt matters when our clock runs ahead of Carol's: the computed expiry then looks nearer
     * than it is (Carol judges it by its own clock, by which the token was just issued), and without the floor a few
     * seconds of skew would make every request renew again.
     */
    static Instant renewalTime(Instant received, Instant expiresAt, long lifeMs, long refreshAheadMs) {
        Instant ahead = expiresAt.minusMillis(Math.min(refreshAheadMs, lifeMs / 2));
        Instant floor = received.plusMillis(lifeMs / 2);
        return ahead.isAfter(floor) ? ahead : floor;
    }

    /** Carol's error text from its JSON error body ({@code errorMessage}, {@code message}, ...), else the body. */
    static String carolMessage(String body) {
        try {
            JsonNode n = JSON.readTree(body);
            for (String f : new String[] {"errorMessage", "message", "error_description", "error"}) {
                if (n.hasNonNull(f)) {
                    return n.get(f).asText();
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // not JSON: the raw text, shortened
        }
        return body == null ? "" : body.length() > 300 ? body.substring(0, 300) + "…" : body;
    }

    /** Sign-in URL (for logs). */
    public URI tokenUri() {
        return config.tokenUri();
    }
}
