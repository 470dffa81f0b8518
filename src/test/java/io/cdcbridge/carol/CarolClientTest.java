package io.cdcbridge.carol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cdcbridge.config.Settings;
import io.cdcbridge.delivery.Outcome;
import io.cdcbridge.delivery.Passthrough;
import io.cdcbridge.delivery.SinkMapper;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.FakeCarolCase;
import org.junit.jupiter.api.Test;

/**
 * CarolClient with CarolMapper against the Carol fake: each crosswalk key at most once per intake request (the last
 * change wins), and a table without a crosswalk refused with the setting to fix.
 */
class CarolClientTest extends FakeCarolCase {

    private static final String USERS = "{\"UserId\":\"int4\",\"UserName\":\"varchar\"}";
    private static final String LOGS = "{\"At\":\"timestamptz\",\"Line\":\"text\"}";


    private Settings settings(String... kv) {
        Map<String, String> s = new HashMap<>(carol.settings());
        for (int i = 0; i < kv.length; i += 2) {
            s.put(kv[i], kv[i + 1]);
        }
        return Settings.of(s);
    }

    private CarolMapper mapper(Settings s) {
        CarolConfig c = CarolConfig.from(s);
        return new CarolMapper(new CarolRecordMapper(c), Passthrough.from(s), c, c.manageSchemas());
    }

    private CarolClient client(Settings s) {
        CarolConfig c = CarolConfig.from(s);
        CarolTokenCache tokens = new CarolTokenCache(c, http, clock);
        return new CarolClient(c, tokens, http, c.manageSchemas() ? new CarolStagingSchemas(c, tokens, http, clock) : null);
    }

    private static String user(String op, int id, String name) {
        String image = "{\"UserId\":" + id + ",\"UserName\":\"" + name + "\"}";
        return "{\"v\":1,\"op\":\"" + op + "\",\"schema\":\"public\",\"table\":\"Users\",\"key\":{\"UserId\":" + id + "},\"before\":"
                + (op.equals("d") ? image : "null") + ",\"after\":" + (op.equals("d") ? "null" : image)
                + ",\"source\":{\"lsn\":1,\"txId\":2,\"tsMs\":3,\"snapshot\":false}}";
    }

    private static String log(String line) {
        return "{\"v\":1,\"op\":\"c\",\"schema\":\"public\",\"table\":\"Logs\",\"key\":null,\"before\":null,"
                + "\"after\":{\"At\":\"2024-01-01T00:00:00Z\",\"Line\":\"" + line + "\"},\"source\":{\"lsn\":1,\"txId\":2,\"tsMs\":3,\"snapshot\":false}}";
    }

    private static List<CarolMapper.Record> map(CarolMapper mapper, String types, String... events) {
        List<CarolMapper.Record> out = new ArrayList<>();
        for (String e : events) {
            for (SinkMapper.Item<CarolMapper.Record> i : mapper.map(new SinkMapper.Inbound("cdc.public.x", 0, 0,
                    e.getBytes(StandardCharsets.UTF_8), types))) {
                out.add(i.item());
            }
        }
        return out;
    }

    private static CarolMapper.Record keyed(String key, String json) {
        return new CarolMapper.Record(json.getBytes(StandardCharsets.UTF_8), null, key);
    }

    @Test
    void lastPerKeyKeepsTheLastRecordOfEachKeyInTheOrderOfTheSurvivorsAndEveryKeylessRecord() {
        var a1 = keyed("[1]", "{\"a\":1}");
        var b = keyed("[2]", "{\"b\":1}");
        var none1 = keyed(null, "{\"n\":1}");
        var a2 = keyed("[1]", "{\"a\":2}");
        var none2 = keyed(null, "{\"n\":2}");
        var a3 = keyed("[1]", "{\"a\":3,\"mdmDeleted\":true}");
        assertThat(CarolMapper.lastPerKey(List.of(a1, b, none1, a2, none2, a3))).containsExactly(b, none1, none2, a3);
        List<CarolMapper.Record> distinct = List.of(a1, b, none1);
        assertThat(CarolMapper.lastPerKey(distinct)).isSameAs(distinct);
    }

    @Test
    void theCrosswalkKeyIsThePrimaryKeyRenamedAsTheFieldsAreOrTheConfiguredCrosswalk() {
        var plain = map(mapper(settings("cdc.carol.manage-schemas", "false")), USERS, user("c", 4, "Ana"));
        assertThat(plain.get(0).key()).isEqualTo("[4]");
        var renamed = map(mapper(settings("cdc.carol.manage-schemas", "false", "cdc.carol.fields.users", "UserId:id,UserName:nome")),
                USERS, user("c", 4, "Ana"));
        assertThat(new String(renamed.get(0).json(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":4,\"nome\":\"Ana\"}");
        assertThat(renamed.get(0).key()).isEqualTo("[4]");
        var managed = map(mapper(settings()), USERS, user("d", 4, "Ana"));
        assertThat(managed.get(0).key()).as("a delete carries the key").isEqualTo("[4]");
        var keyless = map(mapper(settings()), LOGS, log("x"));
        assertThat(keyless.get(0).key()).isNull();
        var crosswalk = map(mapper(settings("cdc.carol.crosswalk.public.Logs", "At,Line")), LOGS, log("x"));
        assertThat(crosswalk.get(0).key()).isEqualTo("[\"2024-01-01T00:00:00Z\",\"x\"]");
    }

    @Test
    void aRequestCarriesEachKeyOnceItsLastChangeAndADeleteAfterAnInsertSendsTheDelete() {
        Settings s = settings();
        CarolClient client = client(s);
        List<CarolMapper.Record> records = map(mapper(s), USERS, user("c", 1, "Ana"), user("u", 1, "Ana Maria"), user("c", 2, "João"),
                user("u", 1, "Ana Maria Souza"), user("c", 3, "Zé"), user("d", 3, "Zé"));
        assertThat(client.prepare("users", records)).isEqualTo(Outcome.DELIVERED);
        assertThat(client.send("users", records)).isEqualTo(Outcome.DELIVERED);
        assertThat(carol.records("users").stream().map(Object::toString)).containsExactly(
                "{\"UserId\":2,\"UserName\":\"João\"}",
                "{\"UserId\":1,\"UserName\":\"Ana Maria Souza\"}",
                "{\"UserId\":3,\"mdmDeleted\":true}");
        assertThat(carol.repeatedKeys()).isZero();
    }

    @Test
    void aTableWithoutPrimaryKeyOrCrosswalkIsRefusedNamingTheSettingWhenSchemasAreManaged() {
        Settings s = settings();
        CarolClient client = client(s);
        List<CarolMapper.Record> records = map(mapper(s), LOGS, log("a"), log("b"));
        Outcome o = client.prepare("logs", records);
        assertThat(o).isInstanceOf(Outcome.RequestRefused.class);
        Outcome.RequestRefused refused = (Outcome.RequestRefused) o;
        assertThat(refused.splittable()).isFalse();
        assertThat(refused.reason()).contains("cdc.carol.crosswalk.public.Logs").contains("no primary key").contains("logs");
        assertThat(client.prepare("logs", records)).isEqualTo(o);
        assertThat(carol.schemaCalls("POST")).isZero();

        // with the crosswalk set, the staging is made and the records go
        Settings withCrosswalk = settings("cdc.carol.crosswalk.public.Logs", "At,Line");
        CarolClient fixed = client(withCrosswalk);
        List<CarolMapper.Record> keyed = map(mapper(withCrosswalk), LOGS, log("a"), log("b"));
        assertThat(fixed.prepare("logs", keyed)).isEqualTo(Outcome.DELIVERED);
        assertThat(fixed.send("logs", keyed)).isEqualTo(Outcome.DELIVERED);
        assertThat(carol.records("logs")).hasSize(2);
        assertThat(carol.schema("logs").path("mdmCrosswalkTemplate").path("mdmCrossreference").path("logs").toString())
                .isEqualTo("[\"At\",\"Line\"]");
    }
    private List<CarolMapper.Record> twoUsers(Settings s) {
        return map(mapper(s), USERS, user("c", 1, "Ana"), user("c", 2, "Bia"));
    }

    @Test
    void aTwoHundredWhoseBodySaysItFailedIsNotDelivered() {
        Settings s = settings();
        CarolClient client = client(s);
        List<CarolMapper.Record> records = twoUsers(s);
        assertThat(client.prepare("users", records)).isEqualTo(Outcome.DELIVERED);
        carol.answerNext(200, "{\"success\":false,\"errorMessage\":\"Could not process the records\"}", Map.of(), 1);
        Outcome o = client.send("users", records);
        assertThat(o).isInstanceOf(Outcome.RequestRefused.class);
        assertThat(((Outcome.RequestRefused) o).reason()).contains("HTTP 200").contains("Could not process the records");
        assertThat(((Outcome.RequestRefused) o).splittable()).isTrue();
        assertThat(carol.records("users")).isEmpty();
        // Carol's own answer to a request it took
        assertThat(client.send("users", records)).isEqualTo(Outcome.DELIVERED);
        assertThat(carol.records("users")).hasSize(2);
    }

    @Test
    void redirectsAnd501Or505StopTheRouteNamingTheUrlSetting() {
        Settings s = settings();
        CarolClient client = client(s);
        List<CarolMapper.Record> records = twoUsers(s);
        assertThat(client.prepare("users", records)).isEqualTo(Outcome.DELIVERED);
        carol.answerNext(301, "", Map.of("Location", "https://livraria.carol.ai/login"), 1);
        Outcome moved = client.send("users", records);
        assertThat(moved).isInstanceOf(Outcome.Stop.class);
        assertThat(((Outcome.Stop) moved).reason()).contains("HTTP 301").contains("redirect to https://livraria.carol.ai/login")
                .contains("cdc.carol.url");
        for (int status : new int[] {501, 505}) {
            carol.answerNext(status, "{\"errorCode\":" + status + ",\"errorMessage\":\"Not Implemented\"}", Map.of(), 1);
            Outcome o = client.send("users", records);
            assertThat(o).as("HTTP %d", status).isInstanceOf(Outcome.Stop.class);
            assertThat(((Outcome.Stop) o).reason()).contains("HTTP " + status).contains("cdc.carol.url");
        }
        assertThat(carol.records("users")).isEmpty();
    }

    @Test
    void everyOtherServerErrorAnd425AreRetriedAndOther4xxRefused() {
        Settings s = settings();
        CarolClient client = client(s);
        List<CarolMapper.Record> records = twoUsers(s);
        assertThat(client.prepare("users", records)).isEqualTo(Outcome.DELIVERED);
        for (int status : new int[] {408, 409, 425, 429, 500, 502, 503, 504, 507, 520, 521, 522, 523, 524, 530}) {
            carol.answerNext(status, "{\"errorCode\":" + status + ",\"errorMessage\":\"later\"}", Map.of("Retry-After", "2"), 1);
            Outcome o = client.send("users", records);
            assertThat(o).as("HTTP %d", status).isInstanceOf(Outcome.Retry.class);
            assertThat(((Outcome.Retry) o).afterMs()).as("HTTP %d", status).isEqualTo(2000);
        }
        for (int status : new int[] {405, 410, 422}) {
            carol.answerNext(status, "{\"errorCode\":" + status + ",\"errorMessage\":\"no\"}", Map.of(), 1);
            Outcome o = client.send("users", records);
            assertThat(o).as("HTTP %d", status).isInstanceOf(Outcome.RequestRefused.class);
            assertThat(((Outcome.RequestRefused) o).splittable()).as("HTTP %d", status).isFalse();
        }
        assertThat(carol.records("users")).isEmpty();
    }

    @Test
    void aWrongConnectorIdStopsTheRouteAtOnceNamingTheSettingInsteadOfHalvingTheRequest() {
        Settings unmanaged = settings("cdc.carol.connector-id", "0badc0de0badc0de0badc0de0badc0de", "cdc.carol.manage-schemas", "false");
        carol.defineStaging("users", Map.of("UserId", "long", "UserName", "string"), List.of("UserId"));
        List<CarolMapper.Record> records = map(mapper(unmanaged), USERS, user("c", 1, "Ana"), user("c", 2, "Bia"), user("c", 3, "Caio"),
                user("c", 4, "Duda"), user("c", 5, "Eva"), user("c", 6, "Fabi"), user("c", 7, "Gil"), user("c", 8, "Hugo"));
        Outcome o = client(unmanaged).send("users", records);
        assertThat(o).isInstanceOf(Outcome.Stop.class);
        assertThat(((Outcome.Stop) o).reason()).contains("HTTP 400").contains("Unknown connectorId").contains("cdc.carol.connector-id");
        assertThat(carol.intakeCalls()).isEqualTo(1);

        // with managed schemas the schema API says it first: the route stops in prepare, nothing dead-lettered
        Settings managed = settings("cdc.carol.connector-id", "0badc0de0badc0de0badc0de0badc0de");
        Outcome prepared = client(managed).prepare("sales", map(mapper(managed), USERS, user("c", 1, "Ana")));
        assertThat(prepared).isInstanceOf(Outcome.Stop.class);
        assertThat(((Outcome.Stop) prepared).reason()).contains("cdc.carol.connector-id");
    }

    @Test
    void aStagingDeletedInCarolIsMadeAgainAndItsRecordsGoAgain() {
        Settings s = settings();
        CarolClient client = client(s);
        List<CarolMapper.Record> records = twoUsers(s);
        assertThat(client.prepare("users", records)).isEqualTo(Outcome.DELIVERED);
        carol.dropStaging("users");
        Outcome o = client.send("users", records);
        assertThat(o).isInstanceOf(Outcome.Retry.class);
        assertThat(((Outcome.Retry) o).reason()).contains("made again");
        assertThat(carol.schema("users")).isNotNull();
        assertThat(client.send("users", records)).isEqualTo(Outcome.DELIVERED);
        assertThat(carol.records("users")).hasSize(2);
    }
}
