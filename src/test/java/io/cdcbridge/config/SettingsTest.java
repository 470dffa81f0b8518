package io.cdcbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    @Test
    void environmentAndSystemPropertiesOverrideTheShippedFile() {
        Properties sys = new Properties();
        sys.setProperty("cdc.kafka.topic-prefix", "fromsys");
        Settings s = Settings.load(Map.of("CDC_SOURCE_HOST", "db.internal", "CDC_KAFKA_TOPIC_PREFIX", "fromenv"), sys);
        assertThat(s.get("cdc.source.host", null)).isEqualTo("db.internal");
        assertThat(s.get("cdc.kafka.topic-prefix", null)).isEqualTo("fromsys");
        assertThat(s.get("cdc.source.slot", null)).isEqualTo("cdc_bridge");
    }

    @Test
    void secretsComeFromFilesAndAreNeverShown(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("pg");
        Files.writeString(secret, "s3cret\n");
        Settings s = Settings.of(Map.of("cdc.source.password.file", secret.toString()));
        assertThat(s.get("cdc.source.password", null)).isEqualTo("s3cret");
        assertThat(s.shown("cdc.source.password")).doesNotContain("s3cret");
        assertThat(Settings.isSecret("cdc.carol.api-key")).isTrue();
    }

    @Test
    void malformedValuesNameTheKey() {
        Settings s = Settings.of(Map.of("cdc.source.port", "54x2", "cdc.source.slot", "Bad-Slot", "cdc.source.host", "h"));
        assertThatThrownBy(() -> s.getPort("cdc.source.port", 5432))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.source.port");
        assertThatThrownBy(() -> SourceConfig.from(s))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.source.slot");
        assertThatThrownBy(() -> Settings.of(Map.of()).require("cdc.bigquery.project"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.bigquery.project");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.source.password.file", "/nonexistent/pg")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.source.password.file")
                .hasMessageNotContaining("Exception:");
    }

    @Test
    void boundedNumbersNameTheKeyAndTheBounds() {
        Settings s = Settings.of(Map.of("cdc.carol.consumers", "0", "cdc.bigquery.concurrency", "8"));
        assertThat(s.getInt("cdc.bigquery.concurrency", 4, 1, 64)).isEqualTo(8);
        assertThat(s.getInt("cdc.bigquery.consumers", 1, 1, 64)).isEqualTo(1);
        assertThatThrownBy(() -> s.getInt("cdc.carol.consumers", 1, 1, 64))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.carol.consumers").hasMessageContaining("between 1 and 64, got 0");
    }

    @Test
    void includeListKeepsCaseAndQuotesDots() {
        Settings s = Settings.of(Map.of("cdc.source.host", "h", "cdc.source.tables", "public.Users, public.Sales"));
        assertThat(SourceConfig.from(s).includeListRegex()).isEqualTo("public\\.Users,public\\.Sales");
        assertThatThrownBy(() -> SourceConfig.from(Settings.of(Map.of("cdc.source.host", "h", "cdc.source.tables", "Users"))))
                .hasMessageContaining("cdc.source.tables");
    }

    @Test
    void changeEventTopicPatternExcludesDeadLetterTopicsAndIsUriSafe() {
        java.util.regex.Pattern p = java.util.regex.Pattern.compile(KafkaConfig.changeEventTopicPattern("postgres"));
        assertThat(p.matcher("postgres.public.Users").matches()).isTrue();
        assertThat(p.matcher("postgres.dlqx.Users").matches()).isTrue();
        assertThat(p.matcher("postgres.dlq.bigquery").matches()).isFalse();
        assertThat(p.matcher("postgresx.public.Users").matches()).isFalse();
        assertThat(KafkaConfig.changeEventTopicPattern("my-app")).doesNotContain("?").startsWith("my\\-app");
    }
}
