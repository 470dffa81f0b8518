package io.cdcbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.Reader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

    @Test
    void environmentAndSystemPropertiesOverrideTheShippedFile() {
        Properties sys = new Properties();
        sys.setProperty("cdc.kafka.topic-prefix", "fromsys");
        Settings s = Settings.load(Map.of("CDC_SOURCE_HOST", "db.internal", "CDC_KAFKA_TOPIC_PREFIX", "fromenv"), sys);
        assertThat(s.get(SourceSettings.HOST)).isEqualTo("db.internal");
        assertThat(s.get(KafkaSettings.TOPIC_PREFIX)).isEqualTo("fromsys");
        assertThat(s.get(SourceSettings.SLOT)).as("the catalog's default").isEqualTo("cdc_bridge");
        assertThat(s.get(OpsSettings.ROUTES_RELOAD)).as("production's default: the shipped file leaves it off").isFalse();
    }

    @Test
    void secretsComeFromFilesAndAreNeverShown(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("pg");
        Files.writeString(secret, "s3cret\n");
        Settings s = Settings.of(Map.of("cdc.source.password.file", secret.toString()));
        assertThat(s.get(SourceSettings.PASSWORD)).isEqualTo("s3cret");
        assertThat(s.shown("cdc.source.password")).doesNotContain("s3cret");
        assertThat(Settings.isSecret("cdc.carol.api-key")).isTrue();
    }

    @Test
    void malformedValuesNameTheKey() {
        Settings s = Settings.of(Map.of("cdc.source.port", "54x2", "cdc.source.slot", "Bad-Slot", "cdc.source.host", "h"));
        assertThatThrownBy(() -> s.get(SourceSettings.PORT))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.source.port");
        assertThatThrownBy(() -> SourceConfig.from(s))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.source.slot");
        assertThatThrownBy(() -> Settings.of(Map.of()).require(BigQuerySettings.PROJECT))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.bigquery.project");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.source.password.file", "/nonexistent/pg")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.source.password.file")
                .hasMessageNotContaining("Exception:");
    }

    @Test
    void boundedNumbersNameTheKeyAndTheBounds() {
        Settings s = Settings.of(Map.of("cdc.carol.consumers", "0", "cdc.bigquery.concurrency", "8"));
        assertThat(s.get(BigQuerySettings.CONCURRENCY)).isEqualTo(8);
        assertThat(s.get(BigQuerySettings.CONSUMERS)).isEqualTo(1);
        assertThatThrownBy(() -> s.get(CarolSettings.CONSUMERS))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.carol.consumers").hasMessageContaining("between 1 and 64, got '0'");
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

    // ---------------------------------------------------------------- typed settings

    @Test
    void typedGettersParseOrApplyTheDeclaredDefault() {
        Settings s = Settings.of(Map.of("cdc.carol.batch-size", " 250 ", "cdc.capture.enabled", "off",
                "cdc.capture.poll-interval-ms", "25", "cdc.carol.token-refresh-ahead-s", "90", "cdc.sink.timestamp-zone", "America/Sao_Paulo",
                "cdc.data-dir", "/var/cdc", "cdc.carol.tables", "public.Users, public.Sales,", "cdc.carol.numeric-as", "STRING",
                "cdc.carol.url", "https://org.carol.ai/", "cdc.capture.slot-lag-warn-bytes", "2048"));
        assertThat(s.get(CarolSettings.BATCH_SIZE)).isEqualTo(250);
        assertThat(s.get(BigQuerySettings.BATCH_SIZE)).as("not set: the default").isEqualTo(500);
        assertThat(s.get(CaptureSettings.ENABLED)).isFalse();
        assertThat(s.get(CaptureSettings.POLL_INTERVAL)).isEqualTo(Duration.ofMillis(25));
        assertThat(s.get(CarolSettings.TOKEN_REFRESH_AHEAD)).isEqualTo(Duration.ofSeconds(90));
        assertThat(s.get(SinkSettings.TIMESTAMP_ZONE)).isEqualTo(ZoneId.of("America/Sao_Paulo"));
        assertThat(s.get(OpsSettings.DATA_DIR)).isEqualTo(Path.of("/var/cdc"));
        assertThat(s.get(CarolSettings.TABLES)).containsExactly("public.Users", "public.Sales");
        assertThat(s.get(CarolSettings.EXCLUDE)).isEmpty();
        assertThat(s.get(CarolSettings.NUMERIC_AS)).isEqualTo("string");
        assertThat(s.get(CarolSettings.URL)).isEqualTo(URI.create("https://org.carol.ai"));
        assertThat(s.get(CaptureSettings.SLOT_LAG_WARN_BYTES)).isEqualTo(2048L);
        assertThat(s.get(SourceSettings.HOST)).as("no value, no default").isNull();
        assertThat(s.has(SourceSettings.PORT)).isFalse();
    }

    @Test
    void derivedDefaultsFollowTheSettingsTheyComeFrom() {
        Settings s = Settings.of(Map.of("cdc.data-dir", "/var/cdc", "cdc.carol.tenant", "livraria", "cdc.bigquery.concurrency", "3",
                "cdc.bigquery.batch-size", "100", "cdc.bigquery.project", "p"));
        assertThat(s.get(OffsetSettings.FILE)).isEqualTo(Path.of("/var/cdc/offsets.dat"));
        assertThat(s.get(CarolSettings.ORG)).isEqualTo("livraria");
        assertThat(s.get(BigQuerySettings.MAX_POLL_RECORDS)).isEqualTo(300);
        assertThat(s.get(BigQuerySettings.ENABLED)).isTrue();
        assertThat(s.get(CarolSettings.ENABLED)).as("no cdc.carol.url").isFalse();
        assertThat(s.with(Map.of("cdc.bigquery.enabled", "false")).get(BigQuerySettings.ENABLED)).isFalse();
        assertThat(s.get(KafkaSettings.TOPIC_PATTERN)).isEqualTo(KafkaConfig.changeEventTopicPattern("postgres"));
    }

    @Test
    void badValuesThrowOneLineNamingTheKeyAndTheRule() {
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.bigquery.batch-size", "501")).get(BigQuerySettings.BATCH_SIZE))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.bigquery.batch-size"))
                .hasMessage("cdc.bigquery.batch-size: must be between 1 and 500, got '501'");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.capture.kafka-timeout-ms", "1999")).get(CaptureSettings.KAFKA_TIMEOUT))
                .hasMessage("cdc.capture.kafka-timeout-ms: must be at least 2000, got '1999'");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.offsets.store", "s3")).get(OffsetSettings.STORE))
                .hasMessage("cdc.offsets.store: must be one of file, kafka, got 's3'");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.http.port", "80a")).get(OpsSettings.HTTP_PORT))
                .hasMessage("cdc.http.port: must be a whole number, got '80a'");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.jmx.port", "70000")).get(OpsSettings.JMX_PORT))
                .hasMessage("cdc.jmx.port: must be a port between 0 and 65535, got '70000'");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.routes.reload", "maybe")).get(OpsSettings.ROUTES_RELOAD))
                .hasMessage("cdc.routes.reload: must be true or false, got 'maybe'");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.sink.timestamp-zone", "Mars/Olympus")).get(SinkSettings.TIMESTAMP_ZONE))
                .hasMessageStartingWith("cdc.sink.timestamp-zone: is not a time zone id");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.bigquery.tables", "public.Users,Sales")).get(BigQuerySettings.TABLES))
                .hasMessage("cdc.bigquery.tables: entries must be schema.table ('Sales' is not), got 'public.Users,Sales'");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.carol.url", "http://carol.example.com")).get(CarolSettings.URL))
                .hasMessageContaining("cdc.carol.url").hasMessageContaining("https://");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.carol.topic-pattern", "a?b")).get(CarolSettings.TOPIC_PATTERN))
                .hasMessageContaining("cdc.carol.topic-pattern: must not contain ?");
        assertThatThrownBy(() -> Settings.of(Map.of()).require(CarolSettings.CONNECTOR_ID))
                .hasMessage("cdc.carol.connector-id: is required but not set (property cdc.carol.connector-id or environment CDC_CAROL_CONNECTOR_ID)");
        assertThat(Settings.of(Map.of("cdc.bigquery.batch-size", "")).get(BigQuerySettings.BATCH_SIZE)).as("blank = not set").isEqualTo(500);
    }

    @Test
    void prefixFamiliesAreReadTypedByTheirFreePart() {
        Settings s = Settings.of(Map.of("cdc.carol.staging.public.Users", "users", "cdc.carol.fields.users", "UserId:userid, UserName",
                "cdc.kafka.producer.compression.type", "zstd", "cdc.passthrough.orders.v1.carol-staging", "orders",
                "cdc.passthrough.orders.v1.bigquery-table", ""));
        assertThat(s.under(CarolSettings.STAGING)).containsExactly(Map.entry("public.Users", "users"));
        assertThat(s.under(CarolSettings.FIELDS).get("users")).containsExactly(Map.entry("UserId", "userid"), Map.entry("UserName", "UserName"));
        assertThat(s.under(KafkaSettings.PRODUCER)).containsExactly(Map.entry("compression.type", "zstd"));
        assertThat(s.under(CarolSettings.PASSTHROUGH_STAGING)).containsExactly(Map.entry("orders.v1", "orders"));
        assertThat(s.under(BigQuerySettings.PASSTHROUGH_TABLE)).as("blank = not set").isEmpty();
        assertThat(CarolSettings.STAGING.key("public.Users")).isEqualTo("cdc.carol.staging.public.Users");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.carol.staging.public.Users", "no-dash")).under(CarolSettings.STAGING))
                .hasMessageStartingWith("cdc.carol.staging.public.Users: must be a staging name");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.carol.fields.users", "UserId:,X")).under(CarolSettings.FIELDS))
                .hasMessageStartingWith("cdc.carol.fields.users: entries must be Source or Source:target");
        assertThatThrownBy(() -> s.get(CarolSettings.STAGING)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void secretsAreFlaggedInTheCatalogAndByNameUnderPrefixes() {
        for (String secret : List.of("cdc.source.password", "cdc.carol.password", "cdc.carol.api-key", "cdc.console.token",
                "cdc.source.password.file", "cdc.carol.api-key.file",
                "cdc.kafka.producer.ssl.key.password", "cdc.kafka.producer.ssl.keystore.password",
                "cdc.kafka.producer.ssl.truststore.password", "cdc.kafka.producer.sasl.jaas.config",
                "cdc.capture.debezium.database.password", "cdc.capture.debezium.some.secret", "cdc.unknown.api-key")) {
            assertThat(Settings.isSecret(secret)).as(secret).isTrue();
        }
        // declared and not secret although the name holds "token": the flag decides, not the name
        assertThat(Settings.isSecret("cdc.carol.token-refresh-ahead-s")).isFalse();
        assertThat(Settings.isSecret("cdc.kafka.producer.compression.type")).isFalse();
        assertThat(Settings.isSecret("cdc.source.user")).isFalse();
        assertThat(SettingsCatalog.all().stream().filter(Setting::isSecret).map(Setting::key))
                .containsExactlyInAnyOrder("cdc.source.password", "cdc.carol.password", "cdc.carol.api-key", "cdc.console.token",
                        "cdc.jmx.password");
    }

    @Test
    void aSecretsValueIsNeverInTheMessage() {
        Setting<Integer> pin = Setting.integer("cdc.x.pin").secret().describe("a secret number");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.x.pin", "12ab")).get(pin))
                .hasMessage("cdc.x.pin: must be a whole number, got '****'");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.kafka.producer.ssl.key.password", "hunter2")).under(
                KafkaSettings.PRODUCER.check(v -> false, "is refused"))).hasMessageNotContaining("hunter2");
    }

    @Test
    void unknownKeysAreListedWithTheNearestDeclaredKey(@TempDir Path dir) throws Exception {
        Path pg = dir.resolve("pg");
        Files.writeString(pg, "pw");
        Map<String, String> m = new HashMap<>();
        m.put("cdc.carol.batchsize", "10");
        m.put("cdc.bigquery.projet", "p");
        m.put("cdc.kafka.produce.acks", "all");
        m.put("cdc.completely.different", "1");
        m.put("cdc.source.host", "db");
        m.put("cdc.kafka.producer.acks", "all");
        m.put("cdc.carol.staging.public.Users", "users");
        m.put("cdc.passthrough.orders.carol-staging", "orders");
        m.put("cdc.source.password.file", pg.toString());
        m.put("other.key", "x");
        Settings s = Settings.of(m);
        assertThat(SettingsCatalog.unknown(s)).containsExactly(
                new SettingsCatalog.Unknown("cdc.bigquery.projet", "cdc.bigquery.project"),
                new SettingsCatalog.Unknown("cdc.carol.batchsize", "cdc.carol.batch-size"),
                new SettingsCatalog.Unknown("cdc.completely.different", null),
                new SettingsCatalog.Unknown("cdc.kafka.produce.acks", "cdc.kafka.producer.acks"));
        // any one of them stops start-up, named with the nearest key, the others listed on the same line
        assertThatThrownBy(() -> SettingsCatalog.refuseUnknown(s)).isInstanceOf(ConfigException.class)
                .hasMessageNotContaining("\n")
                .hasMessageStartingWith("cdc.bigquery.projet: no such setting (did you mean cdc.bigquery.project?); also unknown: "
                        + "cdc.carol.batchsize (did you mean cdc.carol.batch-size?), cdc.completely.different, ")
                .hasMessageContaining("docs/configuration.md");
        SettingsCatalog.refuseUnknown(Settings.of(m.entrySet().stream()
                .filter(e -> SettingsCatalog.isDeclared(e.getKey()) || !e.getKey().startsWith("cdc."))
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue))));
        assertThat(SettingsCatalog.suggest("cdc.source.hots")).isEqualTo("cdc.source.host");
        assertThat(SettingsCatalog.suggest("cdc.http.prot")).isEqualTo("cdc.http.port");
    }

    @Test
    void effectiveValuesApplyEveryDefaultAndLeaveSecretsOut() {
        Settings s = Settings.of(Map.of("cdc.carol.password", "pw", "cdc.kafka.producer.acks", "all",
                "cdc.kafka.producer.ssl.key.password", "pw2", "cdc.carol.batch-size", "200", "cdc.data-dir", "/d"));
        Map<String, String> e = SettingsCatalog.effective(s);
        assertThat(e).containsEntry("cdc.carol.batch-size", "200").containsEntry("cdc.bigquery.batch-size", "500")
                .containsEntry("cdc.kafka.session-timeout-ms", "10000").containsEntry("cdc.carol.token-refresh-ahead-s", "60")
                .containsEntry("cdc.offsets.file", Path.of("/d/offsets.dat").toString()).containsEntry("cdc.sink.dry-run", "false")
                .containsEntry("cdc.bigquery.enabled", "false").containsEntry("cdc.bigquery.max-poll-records", "2000")
                .containsEntry("cdc.carol.exclude", "").containsEntry("cdc.kafka.producer.acks", "all")
                .doesNotContainKeys("cdc.carol.password", "cdc.kafka.producer.ssl.key.password", "cdc.source.host", "cdc.carol.url");
        assertThat(e.values()).doesNotContain("pw", "pw2");
        for (Setting<?> setting : SettingsCatalog.all()) {
            if (!setting.isPrefix() && !setting.isSecret() && (setting.defaultValue() != null || setting.hasDerivedDefault())
                    && setting.defaultFor(s) != null) {
                assertThat(e).as("%s has a default, so an effective value", setting).containsKey(setting.key());
            }
        }
        assertThatThrownBy(() -> SettingsCatalog.effective(Settings.of(Map.of("cdc.carol.consumers", "0"))))
                .isInstanceOfSatisfying(ConfigException.class, ex -> assertThat(ex.key()).isEqualTo("cdc.carol.consumers"));
    }

    @Test
    void everyDefaultPassesItsOwnRulesAndReadsBackAsItself() {
        for (Setting<?> s : SettingsCatalog.all()) {
            assertRoundTrip(s);
            assertThat(s.description()).as("%s is described", s).isNotBlank();
        }
    }

    private static <T> void assertRoundTrip(Setting<T> s) {
        T def = s.defaultValue();
        if (def != null && !s.format(def).isEmpty()) {
            assertThat(s.parse(s.key(), s.format(def), s.format(def))).as("%s default", s).isEqualTo(def);
        }
    }

    @Test
    void everyKeyFoundIsDeclaredExactlyOnce() {
        Set<String> patterns = new TreeSet<>();
        for (Setting<?> s : SettingsCatalog.all()) {
            assertThat(patterns.add(s.pattern())).as("%s declared once", s).isTrue();
            assertThat(SettingsCatalog.find(s.isPrefix() ? s.key("x") : s.key())).as("%s is found", s).contains(s);
        }
        for (SettingsCatalog.Unknown u : SettingsCatalog.unknown(Settings.of(Map.of("cdc.source.host", "h")))) {
            throw new AssertionError(u.toString());
        }
    }

    @Test
    void theShippedFileSetsOnlyDeclaredKeysAndOnlyWhereItDiffersFromTheDefault() throws Exception {
        Properties shipped = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of("application.properties"))) {
            shipped.load(r);
        }
        Settings defaults = Settings.of(Map.of());
        for (String key : shipped.stringPropertyNames()) {
            Setting<?> s = SettingsCatalog.find(key).orElseThrow(() -> new AssertionError(key + " in application.properties is not declared"));
            assertThat(shipped.getProperty(key)).as("%s: a blank value is the default already", key).isNotBlank();
            Object value = Settings.of(Map.of(key, shipped.getProperty(key))).get(s);
            assertThat(value).as("%s repeats the catalog's default: leave it out of application.properties", key)
                    .isNotEqualTo(s.defaultFor(defaults));
        }
        Settings loaded = Settings.load(Map.of(), new Properties());
        assertThat(SettingsCatalog.unknown(loaded)).isEmpty();
        assertThat(SettingsCatalog.effective(loaded)).containsEntry("cdc.routes.reload", "false").containsEntry("cdc.http.port", "8080");
    }

    @Test
    void everyPlaceholderOfTheRoutesIsDeclaredAndItsDefaultIsTheCatalogs() throws Exception {
        Pattern placeholder = Pattern.compile("\\{\\{(cdc\\.[^}:]+)(?::([^}]*))?}}");
        int found = 0;
        try (var files = Files.list(Path.of("routes"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".camel.yaml")).toList()) {
                Matcher m = placeholder.matcher(Files.readString(f));
                while (m.find()) {
                    found++;
                    String key = m.group(1);
                    Setting<?> s = SettingsCatalog.find(key).orElseThrow(() -> new AssertionError(key + " in " + f + " is not declared"));
                    if (m.group(2) != null && s.defaultValue() != null) {
                        assertThat(m.group(2)).as("%s: the default in %s", key, f).isEqualTo(format(s));
                    }
                }
            }
        }
        assertThat(found).isPositive();
    }

    private static <T> String format(Setting<T> s) {
        return s.format(s.defaultValue());
    }

    @Test
    void everyDeclaredKeyIsReachedByItsEnvironmentVariable() {
        for (String key : SettingsCatalog.keys()) {
            if (key.equals(OpsSettings.CONFIG.key())) {
                continue; // CDC_CONFIG names the file to read, it is not a value (theConfigFileNamedByItsEnvironmentVariable...)
            }
            if (key.endsWith(".file")) {
                // it names a file, read while loading (aSecretFileNamedByItsEnvironmentVariableFillsTheSecret)
                assertThat(Settings.keyForEnv(Settings.envName(key), SettingsCatalog.keys())).isEqualTo(key);
                continue;
            }
            Settings s = Settings.load(Map.of(Settings.envName(key), "x"), new Properties());
            assertThat(s.asMap()).as("%s from %s", key, Settings.envName(key)).containsEntry(key, "x");
        }
        assertThat(Settings.keyForEnv("CDC_KAFKA_PRODUCER_COMPRESSION_TYPE", Set.of())).isEqualTo("cdc.kafka.producer.compression.type");
        assertThat(Settings.keyForEnv("CDC_CAPTURE_DEBEZIUM_SNAPSHOT_FETCH_SIZE", Set.of())).isEqualTo("cdc.capture.debezium.snapshot.fetch.size");
    }

    @Test
    void aVariableNamedLikeTheKeyReachesPerTableKeysWithTheirCaseAndUnderscores() {
        Settings s = Settings.load(Map.of("cdc.carol.staging.public.Order_Items", "orderitems",
                "cdc.passthrough.legacy_orders.carol-staging", "orders", "cdc.source.host", "db"), new Properties());
        assertThat(s.under(CarolSettings.STAGING)).containsEntry("public.Order_Items", "orderitems");
        assertThat(s.asMap()).containsEntry("cdc.passthrough.legacy_orders.carol-staging", "orders");
        assertThat(s.get(SourceSettings.HOST)).isEqualTo("db");
        SettingsCatalog.refuseUnknown(s);
    }

    @Test
    void anUpperCaseVariableThatCannotBeReadWithoutGuessingStopsStartUp() {
        // a table's name keeps its case and underscores: CDC_CAROL_STAGING_PUBLIC_ORDER_ITEMS could be public.order_items,
        // public.Order_Items or public.order.items
        assertThatThrownBy(() -> Settings.load(Map.of("CDC_CAROL_STAGING_PUBLIC_ORDER_ITEMS", "x"), new Properties()))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("CDC_CAROL_STAGING_PUBLIC_ORDER_ITEMS: is a cdc.carol.staging.<schema>.<table> key")
                .hasMessageContaining("cdc.carol.staging.public.Order_Items=");
        assertThatThrownBy(() -> Settings.load(Map.of("CDC_SOURCE_HOTS", "db"), new Properties()))
                .isInstanceOf(ConfigException.class)
                .hasMessage("CDC_SOURCE_HOTS: names no setting (did you mean CDC_SOURCE_HOST?); the settings are listed in docs/configuration.md");
    }

    @Test
    void anUpperCaseVariableOverridesAPerTableKeyTheFileSets(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("app.properties");
        Files.writeString(file, "cdc.carol.staging.public.Order_Items=orderitems\n");
        Properties system = new Properties();
        system.setProperty("cdc.config", file.toString());
        Settings s = Settings.load(Map.of("CDC_CAROL_STAGING_PUBLIC_ORDER_ITEMS", "items"), system);
        assertThat(s.under(CarolSettings.STAGING)).containsEntry("public.Order_Items", "items").hasSize(1);
    }

    @Test
    void aSecretFileNamedByItsEnvironmentVariableFillsTheSecret(@TempDir Path dir) throws Exception {
        Path key = dir.resolve("key");
        Files.writeString(key, "k3y\n");
        Settings s = Settings.load(Map.of("CDC_CAROL_API_KEY_FILE", key.toString()), new Properties());
        assertThat(s.get(CarolSettings.API_KEY)).isEqualTo("k3y");
    }

    @Test
    void theConfigFileNamedByItsEnvironmentVariableIsReadAndMustExist(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bridge.properties");
        Files.writeString(file, "cdc.carol.batch-size=42\n");
        assertThat(Settings.load(Map.of("CDC_CONFIG", file.toString()), new Properties()).get(CarolSettings.BATCH_SIZE)).isEqualTo(42);
        assertThatThrownBy(() -> Settings.load(Map.of("CDC_CONFIG", dir.resolve("missing").toString()), new Properties()))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.key()).isEqualTo("cdc.config"));
    }
}
