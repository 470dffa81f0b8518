package io.cdcbridge.carol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;
import io.cdcbridge.delivery.Passthrough;
import io.cdcbridge.delivery.SinkMapper;
import io.cdcbridge.errors.PermanentDeliveryException;
import io.cdcbridge.support.LogCapture;
import org.junit.jupiter.api.Test;

/** cdc.carol.truncate (docs/carol.md, "TRUNCATE"): Carol cannot apply a TRUNCATE, and the sink never drops one silently. */
class CarolTruncateTest {

    private static final String TRUNCATE = "{\"v\":1,\"op\":\"t\",\"schema\":\"public\",\"table\":\"Items\",\"key\":null,"
            + "\"before\":null,\"after\":null,\"source\":{\"lsn\":4242,\"txId\":7,\"tsMs\":3,\"snapshot\":false}}";

    private static Settings settings(String... kv) {
        Map<String, String> s = new HashMap<>(Map.of("cdc.carol.url", "https://livraria.carol.ai", "cdc.carol.connector-id", "c1",
                "cdc.carol.auth", "apikey", "cdc.carol.api-key", "k"));
        for (int i = 0; i < kv.length; i += 2) {
            s.put(kv[i], kv[i + 1]);
        }
        return Settings.of(s);
    }

    private static CarolMapper mapper(Settings s) {
        CarolConfig c = CarolConfig.from(s);
        return new CarolMapper(new CarolRecordMapper(c), Passthrough.from(s), c, c.manageSchemas());
    }

    private static SinkMapper.Inbound truncate() {
        return new SinkMapper.Inbound("postgres.public.Items", 0, 5, TRUNCATE.getBytes(StandardCharsets.UTF_8), null);
    }

    @Test
    void byDefaultATruncateIsRefusedSoItIsDeadLetteredWithItsCause() {
        CarolMapper m = mapper(settings());
        assertThatThrownBy(() -> m.map(truncate())).isInstanceOf(PermanentDeliveryException.class)
                .hasMessageContaining("Carol has no truncate").hasMessageContaining("public.Items")
                .hasMessageContaining("staging items").hasMessageContaining("LSN 4242")
                .hasMessageContaining("cdc.carol.truncate=ignore");
        assertThat(m.ignoredTruncates()).isEmpty();
        // the record mapper alone does not make a record of it either
        assertThatThrownBy(() -> new CarolRecordMapper(CarolConfig.from(settings())).map(TRUNCATE, null))
                .isInstanceOf(PermanentDeliveryException.class);
    }

    @Test
    void ignoredTruncatesAreLoggedNamingTheTableAndCounted() {
        CarolMapper m = mapper(settings("cdc.carol.truncate", "ignore"));
        try (LogCapture logs = LogCapture.start()) {
            assertThat(m.map(truncate())).isEmpty();
            assertThat(m.map(truncate())).isEmpty();
            assertThat(m.ignoredTruncates()).containsExactly(Map.entry("public.Items", 2L));
            assertThat(logs.lines()).filteredOn(l -> l.startsWith("WARN") && l.contains("TRUNCATE of public.Items"))
                    .hasSize(2).last().asString().contains("2 truncate(s)").contains("staging items");
        }
    }

    @Test
    void otherPoliciesAreRefusedNamingTheKey() {
        assertThatThrownBy(() -> CarolConfig.from(settings("cdc.carol.truncate", "delete"))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("cdc.carol.truncate").hasMessageContaining("dead-letter, ignore");
    }
}
