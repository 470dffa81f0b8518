package io.cdcbridge.carol;

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
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carol's OAuth token (DESIGN.md §5), fetched with the password grant, renewed with the refresh-token grant (falling
 * back to a new password grant when Carol refuses the refresh token), {@code refreshAhead} before it expires.
 * camel-http's OAuth2 support only knows client credentials, hence this class.
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
    /** Expiry of the current token; {@link Instant#EPOCH} = none (MIN would overflow in the arithmetic below). */
    private volatile Instant expiresAt = Instant.EPOCH;

    public CarolTokenCache(CarolConfig config, HttpClient http, Clock clock) {
        this.config = config;
        this.http = http;
        this.clock = clock;
    }

    /** A valid access token, fetched or renewed if needed. */
    public synchronized String token() {
        Instant now = clock.instant();
        if (accessToken != null && now.isBefore(expiresAt.minusMillis(config.refreshAheadMs()))) {
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
            expiresAt = Instant.EPOCH;
        }
    }

    /** When the current token expires ({@link Instant#EPOCH} before the first fetch). */
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
        if (status == 400 || status == 401 || status == 403) {
            throw new CarolCredentialsException("Carol refused the " + grant + " grant for user '" + config.username()
                    + "' (HTTP " + status + "): " + carolMessage(response.body()));
        }
        if (status / 100 != 2) {
            throw new CarolRetryableException(status, "Carol token endpoint answered HTTP " + status);
        }
        try {
            JsonNode n = JSON.readTree(response.body());
            String access = n.path("access_token").asText(null);
            if (access == null || access.isEmpty()) {
                throw new CarolRetryableException(status, "Carol token response without access_token");
            }
            accessToken = access;
            refreshToken = n.path("refresh_token").asText(refreshToken);
            long expiresIn = n.path("expires_in").asLong(3600);
            expiresAt = clock.instant().plusSeconds(expiresIn);
            LOG.debug("Carol token ({} grant) valid until {}", grant, expiresAt);
        } catch (IOException e) {
            throw new CarolRetryableException(status, "Carol token response is not JSON");
        }
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
