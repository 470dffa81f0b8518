package io.cdcbridge.carol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.PermanentDeliveryException;
import org.junit.jupiter.api.Test;

class CarolRecordMapperTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TYPES = "{\"UserId\":\"int4\",\"UserName\":\"varchar\",\"Saldo\":\"numeric\"}";

    private static CarolRecordMapper mapper(String... kv) {
        Map<String, String> s = new HashMap<>(Map.of("cdc.carol.url", "https://livraria.carol.ai", "cdc.carol.connector-id", "c1",
                "cdc.carol.auth", "apikey", "cdc.carol.api-key", "k"));
        for (int i = 0; i < kv.length; i += 2) {
            s.put(kv[i], kv[i + 1]);
        }
        return new CarolRecordMapper(CarolConfig.from(Settings.of(s)));
    }

    private static String event(String op, String before, String after) {
        return "{\"v\":1,\"op\":\"" + op + "\",\"schema\":\"public\",\"table\":\"Users\",\"key\":{\"UserId\":4},\"before\":" + before
                + ",\"after\":" + after + ",\"source\":{\"lsn\":1,\"txId\":2,\"tsMs\":3,\"snapshot\":false}}";
    }

    @Test
    void anUpdateSendsTheRowWithTypedValuesAndExactNumbers() throws Exception {
        var m = mapper().map(event("u", "null", "{\"UserId\":4,\"UserName\":\"João\",\"Saldo\":\"12345678901234567890.01\"}"), TYPES);
        assertThat(m.staging()).isEqualTo("users");
        assertThat(m.record().toString()).isEqualTo("{\"UserId\":4,\"UserName\":\"João\",\"Saldo\":12345678901234567890.01}");
        assertThat(m.record().get("Saldo").decimalValue()).isEqualByComparingTo("12345678901234567890.01");
    }

    @Test
    void aDeleteSendsTheKeyWithMdmDeleted() throws Exception {
        var m = mapper().map(event("d", "{\"UserId\":4,\"UserName\":\"João\"}", "null"), TYPES);
        assertThat(m.record()).isEqualTo(JSON.readTree("{\"UserId\":4,\"mdmDeleted\":true}"));
    }

    @Test
    void stagingNamesFieldSelectionAndRenameComeFromSettings() throws Exception {
        var m = mapper("cdc.carol.staging.public.Users", "clientes", "cdc.carol.fields.clientes", "UserId:id,UserName:nome",
                "cdc.carol.numeric-as", "string")
                .map(event("c", "null", "{\"UserId\":4,\"UserName\":\"Ana\",\"Saldo\":\"1.50\"}"), TYPES);
        assertThat(m.staging()).isEqualTo("clientes");
        assertThat(m.record()).isEqualTo(JSON.readTree("{\"id\":4,\"nome\":\"Ana\"}"));
        var full = mapper("cdc.carol.numeric-as", "string").map(event("c", "null", "{\"Saldo\":\"1.50\"}"), TYPES);
        assertThat(full.record().get("Saldo").isTextual()).isTrue();
    }

    @Test
    void poisonIsRefused() {
        assertThatThrownBy(() -> mapper().map("not json", null)).isInstanceOf(PermanentDeliveryException.class);
        assertThatThrownBy(() -> mapper().map("{\"v\":2}", null)).isInstanceOf(PermanentDeliveryException.class);
    }

    @Test
    void retryAfterIsReadAsSecondsOrADate() {
        assertThat(CarolClient.retryAfterMs("3")).isEqualTo(3000);
        assertThat(CarolClient.retryAfterMs(null)).isZero();
        assertThat(CarolClient.retryAfterMs("soon")).isZero();
        assertThat(CarolClient.retryAfterMs("99999")).isEqualTo(300_000);
    }

    @Test
    void timestampsWithoutZoneCanBeSentAsInstants() throws Exception {
        String types = "{\"UserId\":\"int4\",\"At\":\"timestamp\"}";
        String after = "{\"UserId\":4,\"At\":\"2025-01-31T10:00:00.5\"}";
        assertThat(mapper().map(event("c", "null", after), types).record().get("At").asText()).isEqualTo("2025-01-31T10:00:00.5");
        assertThat(mapper("cdc.sink.timestamp-zone", "UTC").map(event("c", "null", after), types).record().get("At").asText())
                .isEqualTo("2025-01-31T10:00:00.500Z");
        assertThat(mapper("cdc.sink.timestamp-zone", "America/Sao_Paulo").map(event("c", "null", after), types).record().get("At").asText())
                .isEqualTo("2025-01-31T13:00:00.500Z");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> mapper("cdc.sink.timestamp-zone", "Marte/Olimpo"))
                .hasMessageContaining("cdc.sink.timestamp-zone");
    }

    @Test
    void anUnchangedToastColumnIsFilledFromTheBeforeImageOfAReplicaIdentityFullUpdate() throws Exception {
        String types = "{\"UserId\":\"int4\",\"Bio\":\"text\",\"UserName\":\"varchar\",\"Saldo\":\"numeric\"}";
        // REPLICA IDENTITY FULL: the old row is whole; the update changed UserName and left the TOASTed Bio alone
        var m = mapper().map(event("u", "{\"UserId\":4,\"Bio\":\"longa história\",\"UserName\":\"Ana\",\"Saldo\":\"1.50\"}",
                "{\"UserId\":4,\"UserName\":\"Ana Maria\",\"Saldo\":\"1.50\"}"), types);
        assertThat(m.record().toString()).isEqualTo("{\"UserId\":4,\"Bio\":\"longa história\",\"UserName\":\"Ana Maria\",\"Saldo\":1.50}");
        // a column the update set to null stays null: after's value wins over before's
        var cleared = mapper().map(event("u", "{\"UserId\":4,\"Bio\":\"longa história\",\"UserName\":\"Ana\"}",
                "{\"UserId\":4,\"Bio\":null,\"UserName\":\"Ana\"}"), types);
        assertThat(cleared.record().toString()).isEqualTo("{\"UserId\":4,\"Bio\":null,\"UserName\":\"Ana\"}");
    }

    @Test
    void withoutAWholeBeforeImageAnUnchangedToastColumnStaysAbsentNeverNull() throws Exception {
        String types = "{\"UserId\":\"int4\",\"Bio\":\"text\",\"UserName\":\"varchar\"}";
        // the default replica identity: no before-image on an update
        var none = mapper().map(event("u", "null", "{\"UserId\":4,\"UserName\":\"Ana Maria\"}"), types);
        assertThat(none.record().toString()).isEqualTo("{\"UserId\":4,\"UserName\":\"Ana Maria\"}");
        // an old image of the key only (identity index): its nulls are not the old values
        var keyOnly = mapper().map(event("u", "{\"UserId\":4,\"Bio\":null,\"UserName\":null}", "{\"UserId\":4,\"UserName\":\"Ana Maria\"}"), types);
        assertThat(keyOnly.record().toString()).isEqualTo("{\"UserId\":4,\"UserName\":\"Ana Maria\"}");
        // an insert is never completed from anything
        var insert = mapper().map(event("c", "{\"UserId\":4,\"Bio\":\"x\"}", "{\"UserId\":4,\"UserName\":\"Ana\"}"), types);
        assertThat(insert.record().has("Bio")).isFalse();
    }

    @Test
    void aFilledToastColumnFollowsTheFieldSelection() throws Exception {
        String types = "{\"UserId\":\"int4\",\"Bio\":\"text\",\"UserName\":\"varchar\"}";
        var m = mapper("cdc.carol.fields.users", "UserId:id,Bio:bio").map(event("u", "{\"UserId\":4,\"Bio\":\"longa\",\"UserName\":\"Ana\"}",
                "{\"UserId\":4,\"UserName\":\"Ana Maria\"}"), types);
        assertThat(m.record().toString()).isEqualTo("{\"id\":4,\"bio\":\"longa\"}");
    }
}
