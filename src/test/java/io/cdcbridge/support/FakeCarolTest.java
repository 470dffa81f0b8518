package io.cdcbridge.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Carol fake answers raw HTTP the way DESIGN.md §5 says Carol does. */
class FakeCarolTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final MutableClock clock = new MutableClock();
    private final FakeCarol carol = FakeCarol.start(clock);
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        carol.close();
    }

    private HttpResponse<String> post(String path, String contentType, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(carol.url() + path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode token(String form) throws Exception {
        HttpResponse<String> r = post("/api/v1/oauth2/token", "application/x-www-form-urlencoded", form.getBytes(StandardCharsets.UTF_8), Map.of());
        return ((com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(r.body())).put("_status", r.statusCode());
    }

    private static String passwordGrant(String password) {
        return "grant_type=password&username=" + FakeCarol.USER.replace("@", "%40") + "&password=" + password
                + "&subdomain=" + FakeCarol.TENANT + "&orgSubdomain=" + FakeCarol.ORG + "&connectorId=" + FakeCarol.CONNECTOR;
    }

    private HttpResponse<String> intake(String staging, String token, byte[] body, boolean gzip) throws Exception {
        return post("/api/v3/staging/intake/" + staging + "?connectorId=" + FakeCarol.CONNECTOR, "application/json", gzip ? gzip(body) : body,
                gzip ? Map.of("Authorization", token, "Content-Encoding", "gzip") : Map.of("Authorization", token));
    }

    private static byte[] gzip(byte[] b) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(b);
        }
        return out.toByteArray();
    }

    @Test
    void tokensFromThePasswordGrantExpireOnTheClockAndRefreshTokensAreSingleUse() throws Exception {
        assertThat(token(passwordGrant("errada")).get("_status").asInt()).isEqualTo(401);
        JsonNode t = token(passwordGrant(FakeCarol.PASSWORD));
        assertThat(t.get("expires_in").asLong()).isEqualTo(3600);
        assertThat(t.has("refresh_token")).isTrue();
        String access = t.get("access_token").asText();
        byte[] one = "[{\"a\":1}]".getBytes(StandardCharsets.UTF_8);
        assertThat(intake("s", access, one, true).statusCode()).isEqualTo(200);
        assertThat(intake("s", "Bearer " + access, one, false).statusCode()).as("Bearer accepted too").isEqualTo(200);
        clock.advance(Duration.ofSeconds(3601));
        assertThat(intake("s", access, one, true).statusCode()).as("expired").isEqualTo(401);
        String refresh = t.get("refresh_token").asText();
        assertThat(token("grant_type=refresh_token&refresh_token=" + refresh).get("_status").asInt()).isEqualTo(200);
        assertThat(token("grant_type=refresh_token&refresh_token=" + refresh).get("_status").asInt()).as("single use").isEqualTo(401);
        assertThat(carol.records("s")).hasSize(2);
    }

    @Test
    void intakeEnforcesLimitsAndTheStagingSchema() throws Exception {
        String access = token(passwordGrant(FakeCarol.PASSWORD)).get("access_token").asText();
        carol.defineStaging("users", Map.of("id", "number", "name", "string"));
        StringBuilder big = new StringBuilder("[");
        for (int i = 0; i < 501; i++) {
            big.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append("}");
        }
        assertThat(intake("users", access, big.append("]").toString().getBytes(StandardCharsets.UTF_8), true).statusCode()).isEqualTo(413);
        HttpResponse<String> wrong = intake("users", access, "[{\"id\":\"1\"}]".getBytes(StandardCharsets.UTF_8), true);
        assertThat(wrong.statusCode()).isEqualTo(400);
        assertThat(wrong.body()).contains("field id must be a number");
        assertThat(intake("users", access, "[{\"id\":1,\"extra\":true}]".getBytes(StandardCharsets.UTF_8), true).body()).contains("unknown field extra");
        assertThat(intake("users", access, "{\"id\":1}".getBytes(StandardCharsets.UTF_8), true).statusCode()).as("not an array").isEqualTo(400);
        assertThat(intake("users", access, "[{\"id\":1,\"mdmDeleted\":true}]".getBytes(StandardCharsets.UTF_8), true).statusCode()).isEqualTo(200);
        assertThat(intake("users", "no-such-token", "[{\"id\":1}]".getBytes(StandardCharsets.UTF_8), true).statusCode()).isEqualTo(401);
        carol.failNext(429, 1);
        assertThat(intake("users", access, "[{\"id\":2}]".getBytes(StandardCharsets.UTF_8), true).statusCode()).isEqualTo(429);
        carol.failFor(503, Duration.ofMinutes(1), 7);
        HttpResponse<String> down = intake("users", access, "[{\"id\":2}]".getBytes(StandardCharsets.UTF_8), true);
        assertThat(down.statusCode()).isEqualTo(503);
        assertThat(down.headers().firstValue("Retry-After")).contains("7");
        assertThat(carol.records("users")).hasSize(1);
    }
}
