package io.cdcbridge.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** The Carol fake answers raw HTTP the way docs/carol.md says Carol does (as pycarol 2.56+ speaks to it). */
class FakeCarolTest extends FakeCarolCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpResponse<String> post(String path, String contentType, byte[] body, Map<String, String> headers) throws Exception {
        return send("POST", path, contentType, body, headers);
    }

    private HttpResponse<String> send(String method, String path, String contentType, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(carol.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        headers.forEach(b::header);
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode token(String form) throws Exception {
        return token("/api/v5/oauth2/token", form);
    }

    private JsonNode token(String path, String form) throws Exception {
        HttpResponse<String> r = post(path, "application/x-www-form-urlencoded", form.getBytes(StandardCharsets.UTF_8), Map.of());
        return ((com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(r.body())).put("_status", r.statusCode());
    }

    private static String passwordGrant(String password) {
        return passwordGrant(FakeCarol.USER, password);
    }

    private static String passwordGrant(String user, String password) {
        return "grant_type=password&username=" + user.replace("@", "%40") + "&password=" + password
                + "&subdomain=" + FakeCarol.TENANT + "&orgSubdomain=" + FakeCarol.ORG + "&connectorId=" + FakeCarol.CONNECTOR;
    }

    private String access() throws Exception {
        return token(passwordGrant(FakeCarol.PASSWORD)).get("access_token").asText();
    }

    private HttpResponse<String> schema(String method, String staging, String token, String body) throws Exception {
        return send(method, "/api/v2/staging/tables/" + staging + "/schema?connectorId=" + FakeCarol.CONNECTOR, body == null ? null : "application/json",
                body == null ? null : body.getBytes(StandardCharsets.UTF_8), token == null ? Map.of() : Map.of("Authorization", token));
    }

    private static String schemaBody(String staging, String properties, String crosswalk, boolean flexible) {
        return "{\"mdmStagingType\":\"" + staging + "\",\"mdmFlexible\":" + flexible + ",\"mdmStagingMapping\":{\"properties\":" + properties
                + "},\"mdmCrosswalkTemplate\":{\"mdmCrossreference\":{\"" + staging + "\":" + crosswalk + "}}}";
    }

    private HttpResponse<String> intake(String staging, String token, String json) throws Exception {
        return intake(staging, token, json.getBytes(StandardCharsets.UTF_8), true);
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
        assertThat(t.get("timeIssuedInMillis").asLong()).isEqualTo(clock.millis());
        assertThat(t.has("refresh_token")).isTrue();
        String access = t.get("access_token").asText();
        carol.defineStaging("s", Map.of("a", "long"));
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
        carol.defineStaging("users", Map.of("id", "long", "name", "string"));
        StringBuilder big = new StringBuilder("[");
        for (int i = 0; i < 501; i++) {
            big.append(i == 0 ? "" : ",").append("{\"id\":").append(i).append("}");
        }
        assertThat(intake("users", access, big.append("]").toString().getBytes(StandardCharsets.UTF_8), true).statusCode()).isEqualTo(413);
        HttpResponse<String> wrong = intake("users", access, "[{\"id\":\"1\"}]".getBytes(StandardCharsets.UTF_8), true);
        assertThat(wrong.statusCode()).isEqualTo(400);
        assertThat(wrong.body()).contains("field id must be a long");
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

    @Test
    void onlyTheV5TokenEndpointExistsAndWantsAForm() throws Exception {
        assertThat(token("/api/v1/oauth2/token", passwordGrant(FakeCarol.PASSWORD)).get("_status").asInt()).as("v1 is gone").isEqualTo(404);
        assertThat(post("/api/v5/oauth2/token", "application/json", "{}".getBytes(StandardCharsets.UTF_8), Map.of()).statusCode()).isEqualTo(415);
        assertThat(send("GET", "/api/v5/oauth2/token", null, null, Map.of()).statusCode()).isEqualTo(405);
        assertThat(token("grant_type=client_credentials").get("_status").asInt()).isEqualTo(400);
    }

    @Test
    void anMfaAccountAnswersAnMfaTokenAndNoAccessToken() throws Exception {
        JsonNode t = token(passwordGrant(FakeCarol.MFA_USER, FakeCarol.PASSWORD));
        assertThat(t.get("_status").asInt()).isEqualTo(200);
        assertThat(t.hasNonNull("mfa_token")).isTrue();
        assertThat(t.has("access_token")).isFalse();
        assertThat(token(passwordGrant(FakeCarol.MFA_USER, "errada")).get("_status").asInt()).isEqualTo(401);
    }

    @Test
    void aTokenWithExpiresInZeroNeverExpires() throws Exception {
        carol.expiresIn(Duration.ZERO);
        JsonNode t = token(passwordGrant(FakeCarol.PASSWORD));
        assertThat(t.get("expires_in").asLong()).isZero();
        clock.advance(Duration.ofDays(400));
        carol.defineStaging("s", Map.of("a", "long"));
        assertThat(intake("s", t.get("access_token").asText(), "[{\"a\":1}]").statusCode()).isEqualTo(200);
    }

    @Test
    void schemasAreReadCreatedAndExtendedWithCredentialsAndRefusedWhenInvalid() throws Exception {
        String access = access();
        String props = "{\"id\":{\"type\":\"long\"},\"name\":{\"type\":\"string\"}}";
        assertThat(schema("GET", "users", access, null).statusCode()).isEqualTo(404);
        assertThat(schema("POST", "users", null, schemaBody("users", props, "[\"id\"]", false)).statusCode()).as("no token").isEqualTo(401);
        assertThat(schema("POST", "users", "nope", schemaBody("users", props, "[\"id\"]", false)).statusCode()).isEqualTo(401);
        HttpResponse<String> badType = schema("POST", "users", access, schemaBody("users", "{\"id\":{\"type\":\"number\"}}", "[\"id\"]", false));
        assertThat(badType.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(badType.body()).get("errorCode").asInt()).isEqualTo(400);
        assertThat(JSON.readTree(badType.body()).get("errorMessage").asText()).contains("id").contains("number");
        assertThat(schema("POST", "users", access, schemaBody("users", props, "[\"email\"]", false)).body()).as("crosswalk not a field")
                .contains("email");
        assertThat(schema("POST", "users", access, schemaBody("users", props, "[]", false)).statusCode()).as("no crosswalk").isEqualTo(400);
        assertThat(schema("POST", "users", access, schemaBody("other", props, "[\"id\"]", false)).statusCode()).as("another staging's").isEqualTo(400);
        assertThat(schema("PUT", "users", access, schemaBody("users", props, "[\"id\"]", false)).statusCode()).as("PUT of none").isEqualTo(404);
        assertThat(schema("POST", "users", access, schemaBody("users", props, "[\"id\"]", false)).statusCode()).isEqualTo(200);
        assertThat(schema("POST", "users", access, schemaBody("users", props, "[\"id\"]", false)).statusCode()).as("exists").isEqualTo(409);
        JsonNode read = JSON.readTree(schema("GET", "users", access, null).body());
        assertThat(read.path("mdmStagingMapping").path("properties").path("id").path("type").asText()).isEqualTo("long");
        assertThat(read.path("mdmCrosswalkTemplate").path("mdmCrossreference").path("users").toString()).isEqualTo("[\"id\"]");
        assertThat(read.hasNonNull("mdmId")).isTrue();
        assertThat(send("GET", "/api/v2/staging/tables/users/schema?connectorId=outro", null, null, Map.of("Authorization", access)).statusCode())
                .isEqualTo(400);

        String wider = "{\"id\":{\"type\":\"long\"},\"name\":{\"type\":\"string\"},\"born\":{\"type\":\"date\"}}";
        assertThat(schema("PUT", "users", access, schemaBody("users", wider, "[\"id\"]", false)).statusCode()).isEqualTo(200);
        String retyped = "{\"id\":{\"type\":\"string\"},\"name\":{\"type\":\"string\"}}";
        HttpResponse<String> r = schema("PUT", "users", access, schemaBody("users", retyped, "[\"id\"]", false));
        assertThat(r.statusCode()).as("a field cannot be retyped").isEqualTo(400);
        assertThat(carol.schema("users").path("mdmStagingMapping").path("properties").path("born").path("type").asText()).isEqualTo("date");
        assertThat(carol.schemaCalls("GET")).isEqualTo(3);
    }

    @Test
    void intakeHoldsRecordsToTheStagingsSchemaAndCountsRepeatedKeys() throws Exception {
        String access = access();
        carol.defineStaging("books", Map.of("id", "long", "title", "string", "price", "double", "published", "date", "tags", "string",
                "cover", "base64", "extra", "object", "inStock", "boolean"), List.of("id"));
        assertThat(intake("books", access, "[{\"id\":1,\"title\":\"Dom Casmurro\",\"price\":39.9,\"published\":\"1899-01-01\","
                + "\"tags\":[\"romance\",null],\"cover\":\"AAEC\",\"extra\":{\"a\":[1]},\"inStock\":true},"
                + "{\"id\":2,\"published\":\"2024-02-29T09:34:56.123456Z\",\"price\":10},{\"id\":3,\"published\":\"2024-02-29T12:34:56.5\"},{\"id\":6,\"published\":\"2024-02-29t12:34:56\"},"
                + "{\"id\":1,\"mdmDeleted\":true}]").statusCode()).isEqualTo(200);
        assertThat(carol.repeatedKeys()).as("id 1 twice in one request").isEqualTo(1);
        assertThat(intake("books", access, "[{\"id\":4,\"isbn\":\"x\"}]").body()).contains("unknown field isbn");
        assertThat(intake("books", access, "[{\"title\":\"sem id\"}]").body()).contains("crosswalk field id missing");
        assertThat(intake("books", access, "[{\"id\":null}]").body()).contains("crosswalk field id missing");
        assertThat(intake("books", access, "[{\"id\":1.5}]").body()).contains("field id must be a long");
        assertThat(intake("books", access, "[{\"id\":99999999999999999999}]").body()).as("beyond a long").contains("field id must be a long");
        assertThat(intake("books", access, "[{\"id\":5,\"published\":\"infinity\"}]").body()).contains("field published must be a date");
        assertThat(intake("books", access, "[{\"id\":5,\"cover\":\"não é base64\"}]").body()).contains("field cover must be a base64");
        assertThat(intake("books", access, "[{\"id\":5,\"extra\":5}]").body()).contains("field extra must be a object");
        assertThat(intake("books", access, "[{\"id\":5,\"tags\":[1]}]").body()).contains("field tags must be a string");
        assertThat(carol.records("books")).hasSize(5);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> carol.defineStaging("loose", Map.of("id", "number")))
                .as("the fake takes Carol's types only").hasMessageContaining("number");
        HttpResponse<String> none = intake("none", access, "[{\"anything\":\"goes\"}]");
        assertThat(none.statusCode()).as("a staging without a schema takes nothing").isEqualTo(404);
        assertThat(none.body()).contains("Staging table none not found");
        assertThat(carol.records("none")).isEmpty();
        HttpResponse<String> taken = intake("books", access, "[{\"id\":7}]");
        assertThat(JSON.readTree(taken.body()).get("success").asBoolean()).as("Carol's answer to a request it took").isTrue();
        assertThat(schema("POST", "flex", access, schemaBody("flex", "{\"id\":{\"type\":\"long\"}}", "[\"id\"]", true)).statusCode())
                .isEqualTo(200);
        assertThat(intake("flex", access, "[{\"id\":1,\"more\":\"ok\"}]").statusCode()).as("flexible").isEqualTo(200);
        assertThat(intake("flex", access, "[{\"id\":\"1\"}]").statusCode()).as("flexible, yet typed").isEqualTo(400);
    }
}
