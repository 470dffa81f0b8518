package io.cdcbridge.carol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.PermanentDeliveryException;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.FakeCarolCase;
import org.junit.jupiter.api.Test;

/** Staging schemas: the pure mapping from a table's Postgres types, and the client against the Carol fake. */
class CarolStagingSchemasTest extends FakeCarolCase {

    private static final String BOOKSTORE_USERS = "{\"UserId\":\"int4\",\"UserName\":\"varchar\",\"Saldo\":\"numeric\",\"Born\":\"date\","
            + "\"LastSeen\":\"timestamptz\",\"Since\":\"timestamp\",\"Tags\":\"_text\",\"Scores\":\"_int8\",\"Profile\":\"jsonb\",\"Photo\":\"bytea\","
            + "\"Active\":\"bool\",\"Ratio\":\"float8\",\"Weight\":\"float4\",\"Wakes\":\"time\",\"Token\":\"uuid\",\"Mood\":\"text\",\"Cash\":\"money\"}";


    private CarolConfig config(Map<String, String> overrides) {
        Map<String, String> s = new HashMap<>(carol.settings());
        s.putAll(overrides);
        return CarolConfig.from(Settings.of(s));
    }

    private CarolStagingSchemas client(Map<String, String> overrides) {
        CarolConfig c = config(overrides);
        return new CarolStagingSchemas(c, c.auth().equals("apikey") ? null : new CarolTokenCache(c, http, clock), http, clock);
    }

    private static Map<String, String> fields(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }

    private Map<String, String> typesInCarol(String staging) {
        Map<String, String> out = new LinkedHashMap<>();
        carol.schema(staging).path("mdmStagingMapping").path("properties").fields()
                .forEachRemaining(f -> out.put(f.getKey(), f.getValue().path("type").asText()));
        return out;
    }

    private int intake(String staging, String json) throws Exception {
        String token = new CarolTokenCache(config(Map.of()), http, clock).token();
        HttpRequest r = HttpRequest.newBuilder(config(Map.of()).intakeUri(staging)).header("Authorization", token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build();
        return http.send(r, HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    // ---- the mapping ----

    @Test
    void eachPostgresTypeBecomesTheCarolTypeOfTheValuesTheBridgeSends() {
        var schema = CarolStagingSchemas.forTable("users", CarolStagingSchemas.columnTypes(BOOKSTORE_USERS), List.of("UserId"), null, true);
        assertThat(schema.fields()).containsExactly(
                Map.entry("UserId", "long"), Map.entry("UserName", "string"), Map.entry("Saldo", "double"), Map.entry("Born", "date"),
                Map.entry("LastSeen", "date"), Map.entry("Since", "date"), Map.entry("Tags", "string"), Map.entry("Scores", "long"),
                Map.entry("Profile", "object"), Map.entry("Photo", "base64"), Map.entry("Active", "boolean"), Map.entry("Ratio", "double"),
                Map.entry("Weight", "double"), Map.entry("Wakes", "string"), Map.entry("Token", "string"), Map.entry("Mood", "string"),
                Map.entry("Cash", "double"));
        assertThat(schema.keys()).containsExactly("UserId");
        assertThat(CarolStagingSchemas.forTable("users", CarolStagingSchemas.columnTypes(BOOKSTORE_USERS), List.of("UserId"), null, false)
                .fields()).as("cdc.carol.numeric-as=string sends the decimal text").containsEntry("Saldo", "string").containsEntry("Cash", "string");
        for (String pg : List.of("int2", "int8", "serial", "numeric", "bool", "timestamptz", "json", "hstore", "bytea", "_jsonb", "inet",
                "varbit", "interval", "timetz", "xml", "bpchar", "int4[]", "something_new", "")) {
            assertThat(CarolStagingSchemas.TYPES).as(pg).contains(CarolStagingSchemas.carolType(pg, true));
        }
    }

    @Test
    void theFieldSelectionRenamesAndDropsColumnsButCannotDropTheCrosswalk() {
        Map<String, String> types = CarolStagingSchemas.columnTypes(BOOKSTORE_USERS.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        var schema = CarolStagingSchemas.forTable("clientes", types, List.of("UserId"), fields("UserId", "id", "UserName", "nome"), true);
        assertThat(schema.fields()).containsExactly(Map.entry("id", "long"), Map.entry("nome", "string"));
        assertThat(schema.keys()).containsExactly("id");
        assertThatThrownBy(() -> CarolStagingSchemas.forTable("clientes", types, List.of("UserId"), fields("UserName", "nome"), true))
                .isInstanceOf(CarolSchemaException.class).hasMessageContaining("cdc.carol.fields.clientes").hasMessageContaining("UserId");
        assertThatThrownBy(() -> CarolStagingSchemas.forTable("users", types, List.of("Email"), null, true))
                .isInstanceOf(CarolSchemaException.class).hasMessageContaining("Email").hasMessageContaining("not a column");
    }

    @Test
    void theSettingsGiveTheStagingTheFieldsAndTheCrosswalkOfAKeylessTable() {
        CarolConfig c = config(Map.of("cdc.carol.staging.public.Users", "clientes", "cdc.carol.fields.clientes", "UserId:id,UserName:nome",
                "cdc.carol.crosswalk.public.Sales", "SaleDate,BookId"));
        var users = CarolStagingSchemas.forTable(c, "public", "Users", BOOKSTORE_USERS, List.of("UserId"));
        assertThat(users.staging()).isEqualTo("clientes");
        assertThat(users.fields()).containsOnlyKeys("id", "nome", CarolRecordMapper.UNREPRESENTABLE);
        var sales = CarolStagingSchemas.forTable(c, "public", "Sales", "{\"BookId\":\"int4\",\"SaleDate\":\"date\",\"Value\":\"numeric\"}", List.of());
        assertThat(sales.staging()).isEqualTo("sales");
        assertThat(sales.keys()).containsExactly("SaleDate", "BookId");
        var keyless = CarolStagingSchemas.forTable(c, "public", "Logs", "{\"Line\":\"text\"}", List.of());
        assertThat(keyless.keys()).isEmpty();
        assertThatThrownBy(() -> CarolStagingSchemas.columnTypes(null)).isInstanceOf(PermanentDeliveryException.class).hasMessageContaining("cdc.types");
        assertThatThrownBy(() -> CarolStagingSchemas.columnTypes("[1]")).isInstanceOf(PermanentDeliveryException.class);
    }

    @Test
    void compatibleTypesAreTheOnesWhoseFieldHoldsTheValues() {
        assertThat(CarolStagingSchemas.compatible("double", "long")).isTrue();
        assertThat(CarolStagingSchemas.compatible("integer", "long")).as("pycarol's own generator writes integer").isTrue();
        assertThat(CarolStagingSchemas.compatible("string", "date")).isTrue();
        assertThat(CarolStagingSchemas.compatible("string", "base64")).isTrue();
        assertThat(CarolStagingSchemas.compatible("nested", "object")).isTrue();
        assertThat(CarolStagingSchemas.compatible("long", "double")).isFalse();
        assertThat(CarolStagingSchemas.compatible("string", "long")).isFalse();
        assertThat(CarolStagingSchemas.compatible("date", "string")).isFalse();
        assertThat(CarolStagingSchemas.compatible("boolean", "string")).isFalse();
    }

    // ---- the client ----

    @Test
    void aMissingSchemaIsCreatedOnceAndThenCostsNoRequest() throws Exception {
        CarolStagingSchemas schemas = client(Map.of());
        var wanted = CarolStagingSchemas.forTable("users", CarolStagingSchemas.columnTypes(BOOKSTORE_USERS), List.of("UserId"), null, true);
        schemas.ensure(wanted);
        assertThat(typesInCarol("users")).isEqualTo(wanted.fields());
        JsonNode stored = carol.schema("users");
        assertThat(stored.path("mdmFlexible").asBoolean(true)).isFalse();
        assertThat(stored.path("mdmCrosswalkTemplate").path("mdmCrossreference").path("users").toString()).isEqualTo("[\"UserId\"]");
        assertThat(carol.schemaCalls("GET")).isEqualTo(1);
        assertThat(carol.schemaCalls("POST")).isEqualTo(1);
        int before = schemas.requests();
        for (int i = 0; i < 100; i++) {
            schemas.ensure(wanted);
        }
        assertThat(schemas.requests()).as("known: no request per call").isEqualTo(before);
        assertThat(intake("users", "[{\"UserId\":1,\"UserName\":\"Ana\",\"Saldo\":12.5,\"Born\":\"1990-05-01\",\"LastSeen\":"
                + "\"2024-02-29T09:34:56.123456Z\",\"Tags\":[\"a\",null],\"Profile\":{\"x\":1},\"Photo\":\"AAEC\",\"Active\":true}]"))
                .as("a record as the bridge maps it fits the schema it made").isEqualTo(200);
        assertThat(intake("users", "[{\"UserId\":2,\"Nickname\":\"Zé\"}]")).as("a field not in the schema").isEqualTo(400);
    }

    @Test
    void aColumnPostgresGainedIsAddedWithAPutOfTheUnionKeepingWhatTheStagingHad() {
        carol.defineStaging("users", fields("UserId", "long", "UserName", "string", "Legacy", "string"), List.of("UserId"));
        CarolStagingSchemas schemas = client(Map.of());
        schemas.ensure("users", fields("UserId", "long", "UserName", "string"), List.of("UserId"));
        assertThat(carol.schemaCalls("PUT")).as("it fits: left alone").isZero();
        assertThat(carol.schemaCalls("POST")).isZero();
        schemas.ensure("users", fields("UserId", "long", "UserName", "string", "Email", "string", "Born", "date"), List.of("UserId"));
        assertThat(carol.schemaCalls("PUT")).isEqualTo(1);
        assertThat(carol.schemaCalls("GET")).as("read afresh before overwriting").isEqualTo(2);
        assertThat(typesInCarol("users")).containsExactly(Map.entry("UserId", "long"), Map.entry("UserName", "string"),
                Map.entry("Legacy", "string"), Map.entry("Email", "string"), Map.entry("Born", "date"));
        assertThat(carol.schema("users").path("mdmCrosswalkTemplate").path("mdmCrossreference").path("users").toString()).isEqualTo("[\"UserId\"]");
        assertThat(carol.schema("users").has("mdmId")).as("the service's own fields are not sent back").isFalse();
        int before = schemas.requests();
        schemas.ensure("users", fields("UserId", "long", "Email", "string"), List.of("UserId"));
        assertThat(schemas.requests()).isEqualTo(before);
    }

    @Test
    void aFieldWhoseTypeDiffersIsRefusedWithItsNameUntilTheStagingIsFixed() {
        carol.defineStaging("users", fields("UserId", "string", "UserName", "string", "Saldo", "double"), List.of("UserId"));
        CarolStagingSchemas schemas = client(Map.of());
        Map<String, String> wanted = fields("UserId", "long", "UserName", "string", "Saldo", "double", "Email", "string");
        assertThatThrownBy(() -> schemas.ensure("users", wanted, List.of("UserId"))).isInstanceOf(CarolSchemaException.class)
                .isInstanceOf(PermanentDeliveryException.class)
                .hasMessageContaining("staging users").hasMessageContaining("field UserId is string in Carol").hasMessageContaining("long");
        assertThat(carol.schemaCalls("PUT")).as("nothing retyped, nothing added").isZero();
        int before = schemas.requests();
        assertThatThrownBy(() -> schemas.ensure("users", wanted, List.of("UserId"))).isInstanceOf(CarolSchemaException.class);
        assertThat(schemas.requests()).as("the refusal stands a minute without asking again").isEqualTo(before);

        carol.defineStaging("users", fields("UserId", "long", "UserName", "string", "Saldo", "double"), List.of("UserId")); // fixed by hand
        clock.advance(CarolStagingSchemas.RECHECK.plusSeconds(1));
        schemas.ensure("users", wanted, List.of("UserId"));
        assertThat(typesInCarol("users")).containsEntry("Email", "string");
    }

    @Test
    void aFieldWhoseColumnWasRetypedGetsAFieldOfItsOwnAndTheOldOneStays() {
        carol.defineStaging("users", fields("UserId", "long", "Code", "long"), List.of("UserId"));
        CarolStagingSchemas schemas = client(Map.of());
        CarolStagingSchemas.StagingSchema wanted = new CarolStagingSchemas.StagingSchema("users", fields("UserId", "long", "Code", "string"), List.of("UserId"));
        schemas.ensure(wanted);
        assertThat(typesInCarol("users")).containsEntry("Code", "long").containsEntry("Code_string", "string");
        assertThat(schemas.renames(wanted)).containsExactlyEntriesOf(Map.of("Code", "Code_string"));
        int before = schemas.requests();
        schemas.ensure(wanted);
        assertThat(schemas.requests()).as("known: no request").isEqualTo(before);
        // the column back to its old type: the old field again, nothing moves
        CarolStagingSchemas.StagingSchema back = new CarolStagingSchemas.StagingSchema("users", fields("UserId", "long", "Code", "long"), List.of("UserId"));
        schemas.ensure(back);
        assertThat(schemas.renames(back)).isEmpty();
    }

    @Test
    void fieldsThatHoldTheValuesAnotherWayAreLeftAsTheyAre() {
        carol.defineStaging("sales", fields("SaleId", "double", "SaleDate", "string", "Receipt", "string"), List.of("SaleId"));
        CarolStagingSchemas schemas = client(Map.of());
        schemas.ensure("sales", fields("SaleId", "long", "SaleDate", "date", "Receipt", "base64"), List.of("SaleId"));
        assertThat(carol.schemaCalls("PUT") + carol.schemaCalls("POST")).isZero();
        assertThat(typesInCarol("sales")).containsEntry("SaleId", "double").containsEntry("SaleDate", "string");
    }

    @Test
    void aTableWithoutAKeyAndWithoutASchemaIsRefusedNamingTheSetting() {
        CarolStagingSchemas schemas = client(Map.of());
        assertThatThrownBy(() -> schemas.ensure("logs", fields("Line", "string"), List.of())).isInstanceOf(CarolSchemaException.class)
                .hasMessageContaining("cdc.carol.crosswalk.<schema>.<table>").hasMessageContaining("primary key");
        assertThat(carol.schemaCalls("POST")).isZero();
        assertThat(carol.schema("logs")).isNull();
        carol.defineStaging("logs", fields("Line", "string", "At", "date"), List.of("At")); // made by hand: then it is used as it is
        schemas.ensure("logs", fields("Line", "string"), List.of());
    }

    @Test
    void manageSchemasFalseMakesNoRequest() {
        CarolStagingSchemas schemas = client(Map.of("cdc.carol.manage-schemas", "false"));
        schemas.ensure("users", fields("UserId", "long"), List.of("UserId"));
        assertThat(schemas.requests()).isZero();
        assertThat(carol.schema("users")).isNull();
    }

    @Test
    void anApiKeyWorksAndAWrongOneStopsNamingManageSchemas() {
        client(Map.of("cdc.carol.auth", "apikey", "cdc.carol.api-key", FakeCarol.API_KEY)).ensure("users", fields("UserId", "long"), List.of("UserId"));
        assertThat(carol.schema("users")).isNotNull();
        assertThat(carol.tokenCalls()).isZero();
        CarolStagingSchemas wrong = client(Map.of("cdc.carol.auth", "apikey", "cdc.carol.api-key", "chave-errada"));
        assertThatThrownBy(() -> wrong.ensure("books", fields("BookId", "long"), List.of("BookId"))).isInstanceOf(CarolCredentialsException.class)
                .hasMessageContaining("HTTP 401").hasMessageContaining("cdc.carol.manage-schemas").hasMessageNotContaining("chave-errada");
    }

    @Test
    void aRevokedTokenIsRenewedOnceAndTheRequestRetried() {
        CarolStagingSchemas schemas = client(Map.of());
        schemas.ensure("users", fields("UserId", "long"), List.of("UserId"));
        carol.revokeTokens();
        schemas.ensure("books", fields("BookId", "long"), List.of("BookId"));
        assertThat(carol.schema("books")).isNotNull();
        assertThat(carol.tokenCalls()).as("first token, refresh refused, password grant").isEqualTo(3);
    }

    @Test
    void manyThreadsEnsuringANewStagingCreateItOnce() throws Exception {
        CarolStagingSchemas schemas = client(Map.of());
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Callable<Void>> calls = IntStream.range(0, 32).mapToObj(i -> (Callable<Void>) () -> {
                schemas.ensure("users", fields("UserId", "long", "UserName", "string"), List.of("UserId"));
                return null;
            }).toList();
            for (Future<Void> f : pool.invokeAll(calls)) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(carol.schemaCalls("POST")).isEqualTo(1);
        assertThat(carol.schemaCalls("GET")).isEqualTo(1);
    }

    @Test
    void anUnreachableCarolIsRetryable() {
        Map<String, String> s = new HashMap<>(carol.settings());
        s.put("cdc.carol.url", "http://127.0.0.1:1");
        s.put("cdc.carol.auth", "apikey");
        s.put("cdc.carol.api-key", FakeCarol.API_KEY);
        CarolConfig c = CarolConfig.from(Settings.of(s));
        CarolStagingSchemas schemas = new CarolStagingSchemas(c, null, http, clock);
        assertThatThrownBy(() -> schemas.ensure("users", fields("UserId", "long"), List.of("UserId"))).isInstanceOf(CarolRetryableException.class);
    }

    @Test
    void aTypeTheClientDoesNotKnowIsAProgrammingError() {
        CarolStagingSchemas schemas = client(Map.of());
        assertThatThrownBy(() -> schemas.ensure("users", fields("UserId", "number"), List.of("UserId"))).isInstanceOf(IllegalArgumentException.class);
        assertThat(schemas.requests()).isZero();
    }
}
