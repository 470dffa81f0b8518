package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cdc.source.ssl-mode / ssl-root-cert: validated, and the same TLS on the bridge's JDBC connections and on Debezium's. */
class SourceTlsSettingsTest {

    @TempDir
    Path dir;

    private static Map<String, String> base() {
        Map<String, String> m = new HashMap<>();
        m.put("cdc.source.host", "db.example.com");
        m.put("cdc.source.password", "s3cret-pw");
        m.put("cdc.kafka.brokers", "localhost:9092");
        return m;
    }

    @Test
    void theDefaultIsPgjdbcsAndDebeziumsPrefer() {
        SourceConfig src = SourceConfig.from(Settings.of(base()));
        assertThat(src.sslMode()).isEqualTo("prefer");
        Properties p = src.jdbcProperties();
        assertThat(p.getProperty("sslmode")).isEqualTo("prefer");
        assertThat(p.getProperty("sslrootcert")).isNull();
        assertThat(p.getProperty("sslfactory")).isNull();
        var dbz = CaptureRoute.debeziumConfiguration(src, KafkaConfig.from(Settings.of(base())), "s", SourcePreflight.CREATE_OR_SYNC);
        assertThat(dbz.getDatabaseSslmode()).isEqualTo("prefer");
        assertThat(dbz.getPublicationAutocreateMode()).isEqualTo("filtered");
    }

    @Test
    void verifyFullWithACaFileGoesToBothTheDriverAndDebezium() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        Map<String, String> m = base();
        m.put("cdc.source.ssl-mode", "verify-full");
        m.put("cdc.source.ssl-root-cert", ca.toString());
        SourceConfig src = SourceConfig.from(Settings.of(m));
        Properties p = src.jdbcProperties();
        assertThat(p.getProperty("sslmode")).isEqualTo("verify-full");
        assertThat(p.getProperty("sslrootcert")).isEqualTo(ca.toAbsolutePath().toString());
        assertThat(p.getProperty("sslfactory")).isNull();
        var dbz = CaptureRoute.debeziumConfiguration(src, KafkaConfig.from(Settings.of(m)), "s", SourcePreflight.USE_AS_IS);
        assertThat(dbz.getDatabaseSslmode()).isEqualTo("verify-full");
        assertThat(dbz.getDatabaseSslrootcert()).isEqualTo(ca.toAbsolutePath().toString());
        assertThat(dbz.getPublicationAutocreateMode()).isEqualTo("disabled");
        assertThat(src.toString()).doesNotContain("s3cret-pw");
    }

    @Test
    void verifyingWithoutACaFileTrustsWhatTheJvmTrusts() {
        Map<String, String> m = base();
        m.put("cdc.source.ssl-mode", "verify-ca");
        SourceConfig src = SourceConfig.from(Settings.of(m));
        assertThat(src.jdbcProperties().getProperty("sslfactory")).isEqualTo("org.postgresql.ssl.DefaultJavaSSLFactory");
        assertThat(CaptureRoute.debeziumConfiguration(src, KafkaConfig.from(Settings.of(m)), "s", "filtered").getDatabaseSslfactory())
                .isEqualTo("org.postgresql.ssl.DefaultJavaSSLFactory");
    }

    @Test
    void aCaFileWithAModeThatChecksNoCertificateIsRefused() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "x");
        Map<String, String> m = base();
        m.put("cdc.source.ssl-mode", "require");
        m.put("cdc.source.ssl-root-cert", ca.toString());
        assertThatThrownBy(() -> SourceConfig.from(Settings.of(m))).isInstanceOf(ConfigException.class)
                .hasMessage("cdc.source.ssl-root-cert: is only used with cdc.source.ssl-mode=verify-ca or verify-full "
                        + "(it is require, which checks no certificate)");
    }

    @Test
    void aMissingCaFileAndAnUnknownModeAreRefusedNamingTheKey() {
        Map<String, String> m = base();
        m.put("cdc.source.ssl-mode", "verify-full");
        m.put("cdc.source.ssl-root-cert", dir.resolve("nope.pem").toString());
        assertThatThrownBy(() -> SourceConfig.from(Settings.of(m))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("cdc.source.ssl-root-cert: cannot read the file ");
        m.remove("cdc.source.ssl-root-cert");
        m.put("cdc.source.ssl-mode", "on");
        assertThatThrownBy(() -> SourceConfig.from(Settings.of(m))).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("cdc.source.ssl-mode: ");
    }

    @Test
    void identifiersInTheSqlForTheDbaAreQuotedOnlyWhenPostgresNeedsIt() {
        assertThat(SourcePreflight.ident("cdc_bridge")).isEqualTo("cdc_bridge");
        assertThat(SourcePreflight.ident("Users")).isEqualTo("\"Users\"");
        assertThat(SourcePreflight.ident("a\"b")).isEqualTo("\"a\"\"b\"");
    }
}
