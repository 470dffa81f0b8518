package io.cdcbridge.bigquery;

import io.cdcbridge.event.ChangeEvent;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import com.google.cloud.bigquery.BigQueryError;
import com.google.cloud.bigquery.BigQueryException;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.PermanentDeliveryException;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

class BigQuerySinkTest {

    private static Settings settings(String... kv) {
        Map<String, String> m = new HashMap<>();
        m.put("cdc.bigquery.project", "my-project");
        m.put("cdc.bigquery.dataset", "cdc");
        m.put("cdc.bigquery.endpoint", "http://localhost:9050");
        m.put("cdc.bigquery.storage-endpoint", "localhost:9060");
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Settings.of(m);
    }

    @Test
    void enabledWhenAProjectIsSetUnlessSwitchedOff() {
        BigQuerySink sink = new BigQuerySink();
        assertThat(sink.name()).isEqualTo("bigquery");
        assertThat(sink.enabled(Settings.of(Map.of()))).isFalse();
        assertThat(sink.enabled(settings())).isTrue();
        assertThat(sink.enabled(settings("cdc.bigquery.enabled", "false"))).isFalse();
    }

    @Test
    void badSettingsStopStartUpNamingTheKey() {
        BigQuerySink sink = new BigQuerySink();
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.dataset", ""), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.dataset"));
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.dataset", "bad-name"), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.dataset"));
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.batch-size", "501"), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.batch-size"));
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.consumers", "0"), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.consumers"));
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.concurrency", "0"), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.concurrency"));
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.max-request-bytes", "20000000"), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.max-request-bytes"));
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.endpoint", "localhost:9050"), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.endpoint"));
        // tables at an emulator, rows on the default write API (storage) but no Storage Write endpoint: named, not a credentials hunt
        assertThatThrownBy(() -> sink.install(Settings.of(Map.of("cdc.bigquery.project", "my-project", "cdc.bigquery.dataset", "cdc",
                "cdc.bigquery.endpoint", "http://localhost:9050")), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.storage-endpoint"));
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.keyfile", "/no/such/key.json"), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.keyfile"));
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.tables", "Users"), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.tables"));
        assertThatThrownBy(() -> sink.install(settings("cdc.bigquery.table.public.Users", "not a name"), new DefaultCamelContext()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.table.public.Users"));
    }

    @Test
    void credentialsFromKeyFileNoneForAnEndpointOrApplicationDefault(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        var client = BigQueryClients.create(settings(), false);
        assertThat(client.getOptions().getCredentials()).isInstanceOf(com.google.cloud.NoCredentials.class);
        assertThat(client.getOptions().getHost()).isEqualTo("http://localhost:9050");
        assertThat(client.getOptions().getProjectId()).isEqualTo("my-project");

        java.security.KeyPairGenerator gen = java.security.KeyPairGenerator.getInstance("RSA");
        gen.initialize(2048);
        String pem = "-----BEGIN PRIVATE KEY-----\\n"
                + java.util.Base64.getEncoder().encodeToString(gen.generateKeyPair().getPrivate().getEncoded())
                + "\\n-----END PRIVATE KEY-----\\n";
        Path key = dir.resolve("key.json");
        java.nio.file.Files.writeString(key, "{\"type\":\"service_account\",\"project_id\":\"my-project\",\"private_key_id\":\"k1\","
                + "\"private_key\":\"" + pem + "\",\"client_email\":\"cdc@my-project.iam.gserviceaccount.com\",\"client_id\":\"1\","
                + "\"token_uri\":\"https://oauth2.googleapis.com/token\"}");
        var withKey = BigQueryClients.create(settings("cdc.bigquery.keyfile", key.toString()), false);
        assertThat(withKey.getOptions().getCredentials()).isInstanceOf(com.google.auth.oauth2.ServiceAccountCredentials.class);

        java.nio.file.Files.writeString(key, "{\"type\":\"service_account\"}");
        assertThatThrownBy(() -> BigQueryClients.create(settings("cdc.bigquery.keyfile", key.toString()), false))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.keyfile"));
    }

    @Test
    void installRegistersTheSinkEngine() {
        DefaultCamelContext ctx = new DefaultCamelContext();
        new BigQuerySink().install(settings(), ctx);
        assertThat(((io.cdcbridge.delivery.SinkComponent) ctx.getComponent("sink")).engine("bigquery")).isNotNull();
        assertThat(ctx.resolvePropertyPlaceholders("{{cdc.bigquery.topic-pattern}}")).isEqualTo(BigQuerySink.topicPattern(settings()));
    }

    @Test
    void aDisabledSinkLoadsItsRouteButDoesNotStartIt() throws Exception {
        DefaultCamelContext ctx = new DefaultCamelContext();
        java.util.Properties props = new java.util.Properties();
        props.putAll(io.cdcbridge.config.SettingsCatalog.effective(Settings.of(Map.of("cdc.bigquery.enabled", "false",
                "cdc.kafka.brokers", "127.0.0.1:1", "cdc.delivery.max-retries", "1", "cdc.delivery.retry-delay-ms", "10",
                "cdc.delivery.max-retry-delay-ms", "10"))));
        ctx.getPropertiesComponent().setInitialProperties(props);
        ctx.getRegistry().bind("deadLetters", new io.cdcbridge.errors.DeadLetters(null, "postgres"));
        new BigQuerySink().install(Settings.of(Map.of("cdc.bigquery.enabled", "false")), ctx);
        org.apache.camel.support.PluginHelper.getRoutesLoader(ctx).loadRoutes(
                org.apache.camel.support.ResourceHelper.resolveMandatoryResource(ctx, "file:routes/bigquery.camel.yaml"));
        ctx.start();
        try {
            assertThat(ctx.getRoute("bigquery-delivery")).isNotNull();
            assertThat(ctx.getRouteController().getRouteStatus("bigquery-delivery").isStopped()).isTrue();
        } finally {
            ctx.stop();
        }
    }

    @Test
    void topicPatternMatchesChangeEventTopicsButNotDeadLetters() {
        Pattern p = Pattern.compile(BigQuerySink.topicPattern(settings("cdc.kafka.topic-prefix", "pg-1_x")));
        for (String t : List.of("pg-1_x.public.Users", "pg-1_x.d.t", "pg-1_x.dl.t", "pg-1_x.dlqx.t", "pg-1_x.sales.Order.Items", "pg-1_x.x.y")) {
            assertThat(p.matcher(t).matches()).as(t).isTrue();
        }
        for (String t : List.of("pg-1_x.dlq.bigquery", "pg-1_x.dlq.carol", "pg-1_x.public", "pg-1_xx.public.Users", "other.public.Users")) {
            assertThat(p.matcher(t).matches()).as(t).isFalse();
        }
        assertThat(BigQuerySink.topicPattern(settings())).doesNotContain("?");
        assertThatThrownBy(() -> BigQuerySink.topicPattern(settings("cdc.bigquery.topic-pattern", "a(?!b)")))
                .isInstanceOf(ConfigException.class);
    }

    @Test
    void failuresAreRetryableOnlyWhenRetryingCanHelp() {
        assertThat(BigQueryFailures.retryable(new BigQueryException(503, "backend"))).isTrue();
        assertThat(BigQueryFailures.retryable(new BigQueryException(429, "slow down"))).isTrue();
        assertThat(BigQueryFailures.retryable(new BigQueryException(0, "timeout", new java.net.SocketTimeoutException()))).isTrue();
        assertThat(BigQueryFailures.retryable(new BigQueryException(403, "quota",
                new BigQueryError("rateLimitExceeded", "", "too fast")))).isTrue();
        assertThat(BigQueryFailures.retryable(new BigQueryException(400, "invalid"))).isFalse();
        assertThat(BigQueryFailures.classify(new BigQueryException(404, "gone"))).isInstanceOf(PermanentDeliveryException.class);
        assertThat(BigQueryFailures.classify(new BigQueryException(500, "oops"))).isInstanceOf(BigQueryException.class);
    }
}
