package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.event.ChangeEvent;
import org.junit.jupiter.api.Test;

/** TRUNCATE as an op t ChangeEvent (docs/architecture.md §4): its encoding, and that capture asks Debezium for it. */
class TruncateCaptureTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aTruncateIsEncodedWithoutKeyOrRowsAndReadBackAsOpT() throws Exception {
        ChangeEventEncoder encoder = new ChangeEventEncoder();
        byte[] value = encoder.value("t", "public", "Items", null, null, null,
                new ChangeEventEncoder.Source(22070608L, 743L, 1764000000000L, false));
        assertThat(JSON.readTree(value)).isEqualTo(JSON.readTree("""
                {"v":1,"op":"t","schema":"public","table":"Items","key":null,"before":null,"after":null,
                 "source":{"lsn":22070608,"txId":743,"tsMs":1764000000000,"snapshot":false}}"""));
        assertThat(encoder.key(null)).isNull();

        ChangeEvent e = ChangeEvent.parse(value, null);
        assertThat(e.truncate()).isTrue();
        assertThat(e.delete()).isFalse();
        assertThat(e.op()).isEqualTo("t");
        assertThat(e.qualifiedTable()).isEqualTo("public.Items");
        assertThat(e.key()).isNull();
        assertThat(e.image()).isNull();
        assertThat(e.lsn()).isEqualTo(22070608L);
        assertThat(e.txId()).isEqualTo(743L);
        assertThat(e.tsMs()).isEqualTo(1764000000000L);
        assertThat(e.pgTypes()).isEmpty();
    }

    @Test
    void anInsertWithoutItsRowIsStillRefused() {
        String noRow = "{\"v\":1,\"op\":\"c\",\"schema\":\"public\",\"table\":\"Items\",\"key\":null,\"before\":null,\"after\":null,"
                + "\"source\":{\"lsn\":1}}";
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ChangeEvent.parse(noRow, null))
                .isInstanceOf(io.cdcbridge.errors.PermanentDeliveryException.class).hasMessageContaining("without its row image");
    }

    @Test
    void captureKeepsTruncatesUnlessTheUserSkipsThem() {
        assertThat(configuration(Map.of()).getSkippedOperations()).isEqualTo("none");
        // Camel's own default would be "t": truncates dropped without a word
        assertThat(new org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration()
                .getSkippedOperations()).isEqualTo("t");
        assertThat(configuration(Map.of("cdc.capture.debezium.skipped.operations", "t")).getSkippedOperations()).isEqualTo("t");
        assertThat(configuration(Map.of("cdc.capture.debezium.skipped.operations", "u,t")).getSkippedOperations()).isEqualTo("u,t");
    }

    private static org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration
    configuration(Map<String, String> extra) {
        Map<String, String> m = new HashMap<>(Map.of("cdc.source.host", "db.example.com", "cdc.source.password", "pw",
                "cdc.kafka.brokers", "localhost:9092"));
        m.putAll(extra);
        Settings s = Settings.of(m);
        return CaptureRoute.debeziumConfiguration(SourceConfig.from(s), KafkaConfig.from(s), "s", SourcePreflight.CREATE_OR_SYNC);
    }
}
