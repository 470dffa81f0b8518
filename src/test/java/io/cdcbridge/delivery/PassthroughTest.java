package io.cdcbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.regex.Pattern;

import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.PermanentDeliveryException;
import org.junit.jupiter.api.Test;

class PassthroughTest {

    @Test
    void settingsMapTopicsToTargetsAndNameTheBadKey() {
        Passthrough p = Passthrough.from(Settings.of(Map.of("cdc.passthrough.ingestion_newstaging.carol-staging", "newstaging",
                "cdc.passthrough.orders.v1.bigquery-table", "orders")));
        assertThat(p.carolStaging("ingestion_newstaging")).isEqualTo("newstaging");
        assertThat(p.bigQueryTable("orders.v1")).isEqualTo("orders");
        assertThat(p.carolStaging("orders.v1")).isNull();
        assertThatThrownBy(() -> Passthrough.from(Settings.of(Map.of("cdc.passthrough.t.carol", "x"))))
                .hasMessageContaining("cdc.passthrough.t.carol");
        assertThatThrownBy(() -> Passthrough.from(Settings.of(Map.of("cdc.passthrough.t.bigquery-table", "not a name"))))
                .hasMessageContaining("cdc.passthrough.t.bigquery-table");
    }

    @Test
    void theTopicPatternAddsThePassthroughTopicsWithoutAQuestionMark() {
        Passthrough p = Passthrough.from(Settings.of(Map.of("cdc.passthrough.orders.v1.carol-staging", "orders")));
        String regex = p.topicPattern(KafkaConfig.changeEventTopicPattern("postgres"), "carol");
        assertThat(regex).doesNotContain("?");
        Pattern pattern = Pattern.compile(regex);
        assertThat(pattern.matcher("orders.v1").matches()).isTrue();
        assertThat(pattern.matcher("ordersXv1").matches()).isFalse();
        assertThat(pattern.matcher("postgres.public.Users").matches()).isTrue();
        assertThat(pattern.matcher("postgres.dlq.carol").matches()).isFalse();
        assertThat(p.topicPattern("x", "bigquery")).isEqualTo("x");
    }

    @Test
    void aRecordIsAnObjectOrAnArrayOfObjects() {
        assertThat(Passthrough.records("{\"stagingid\": 1, \"stagingstring\": \"abcrd\"}".getBytes())).hasSize(1);
        assertThat(Passthrough.records("[{\"a\":1},{\"a\":2}]")).hasSize(2);
        assertThatThrownBy(() -> Passthrough.records("nope".getBytes())).isInstanceOf(PermanentDeliveryException.class).hasMessageContaining("not JSON");
        assertThatThrownBy(() -> Passthrough.records("[1]")).hasMessageContaining("array of number");
        assertThatThrownBy(() -> Passthrough.records("42")).hasMessageContaining("number");
        assertThatThrownBy(() -> Passthrough.records("[]")).isInstanceOf(PermanentDeliveryException.class);
    }
}
