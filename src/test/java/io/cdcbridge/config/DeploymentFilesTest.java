package io.cdcbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * What CI can check of the container deployment without a Docker engine: docker-compose.yml parses and has the
 * stack, the Dockerfile builds the production jar and runs it as a non-root user with the health check and JVM flags,
 * and every CDC_* variable names a declared setting.
 */
class DeploymentFilesTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> compose() throws Exception {
        try (Reader r = Files.newBufferedReader(Path.of("docker-compose.yml"))) {
            return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromReader(r);
        }
    }

    /** Names in backticks that start with {@code cdc.} but are Kafka headers, not settings (README, docs/*.md). */
    private static final Pattern HEADER = Pattern.compile("cdc\\.(types|sink|error\\..*|origin\\..*|replay\\..*|first\\.position)");

    /** The {@code cdc.*} names README.md and docs/*.md show in backticks, without the Kafka headers. */
    static Set<String> documentedKeys() throws Exception {
        Set<String> keys = new java.util.TreeSet<>();
        Pattern key = Pattern.compile("`(cdc\\.[a-z0-9.<>_-]+)[`=]");
        try (var docs = Files.walk(Path.of("docs"))) {
            for (Path f : java.util.stream.Stream.concat(java.util.stream.Stream.of(Path.of("README.md")),
                    docs.filter(d -> d.toString().endsWith(".md"))).toList()) {
                Matcher m = key.matcher(Files.readString(f));
                while (m.find()) {
                    if (!HEADER.matcher(m.group(1)).matches()) {
                        keys.add(m.group(1));
                    }
                }
            }
        }
        return keys;
    }

    @Test
    @SuppressWarnings("unchecked")
    void composeRunsTheStackAndItsVariablesAreRealSettings() throws Exception {
        Map<String, Object> services = (Map<String, Object>) compose().get("services");
        assertThat(services).containsKeys("postgres", "kafka", "bigquery", "cdc-bridge");
        assertThat(String.valueOf(((Map<String, Object>) services.get("kafka")).get("image"))).startsWith("apache/kafka:");
        assertThat(String.valueOf(((Map<String, Object>) services.get("postgres")).get("command"))).contains("wal_level=logical");

        Set<String> known = SettingsCatalog.keys();
        for (Object service : services.values()) {
            Object env = ((Map<String, Object>) service).get("environment");
            if (!(env instanceof Map<?, ?> vars)) {
                continue;
            }
            for (Object name : vars.keySet()) {
                String n = name.toString();
                if (n.startsWith("CDC_")) {
                    String setting = Settings.keyForEnv(n, known);
                    assertThat(SettingsCatalog.isDeclared(setting)).as("%s names a declared setting (got %s)", n, setting).isTrue();
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) throws Exception {
        Map<String, Object> s = (Map<String, Object>) ((Map<String, Object>) compose().get("services")).get(name);
        assertThat(s).as(name).isNotNull();
        return s;
    }

    /** Every image is pinned to a release (no :latest, no bare major), and the emulator is one that takes what the sink sends. */
    @Test
    @SuppressWarnings("unchecked")
    void composePinsEveryImage() throws Exception {
        for (Map.Entry<String, Object> e : ((Map<String, Object>) compose().get("services")).entrySet()) {
            Object image = ((Map<String, Object>) e.getValue()).get("image");
            if (image == null) {
                assertThat(((Map<String, Object>) e.getValue())).as("%s is built here", e.getKey()).containsKey("build");
                continue;
            }
            assertThat(image.toString()).as(e.getKey()).matches(".+:\\d+\\.\\d+(\\.\\d+)?");
        }
        // BigQueryTables patches tables (new columns, views) as the Java client does, a POST with
        // X-HTTP-Method-Override: PATCH, which the emulator takes from 0.7.1 on; insertAll and tables.get/insert before
        String emulator = service("bigquery").get("image").toString();
        assertThat(emulator).startsWith("ghcr.io/goccy/bigquery-emulator:");
        int[] v = java.util.Arrays.stream(emulator.substring(emulator.lastIndexOf(':') + 1).split("\\.")).mapToInt(Integer::parseInt).toArray();
        assertThat(v[0] > 0 || v[1] > 7 || (v[1] == 7 && v[2] >= 1)).as("%s is 0.7.1 or later", emulator).isTrue();
    }

    /** Kafka: healthy only when it answers, data on a volume, one listener for the stack and one for the host. */
    @Test
    @SuppressWarnings("unchecked")
    void composeKafkaIsHealthCheckedPersistentAndReachableFromTheHost() throws Exception {
        Map<String, Object> kafka = service("kafka");
        assertThat(String.valueOf(map(kafka, "healthcheck").get("test"))).contains("--bootstrap-server localhost:9092");
        Map<String, Object> env = map(kafka, "environment");
        List<String> volumes = (List<String>) kafka.get("volumes");
        assertThat(volumes).anySatisfy(v -> assertThat(v).isEqualTo("kafka-data:" + env.get("KAFKA_LOG_DIRS")));
        assertThat(map(compose(), "volumes")).containsKey("kafka-data");

        Map<String, String> advertised = listeners(env.get("KAFKA_ADVERTISED_LISTENERS"));
        Map<String, String> bound = listeners(env.get("KAFKA_LISTENERS"));
        assertThat(advertised).containsValue("kafka:9092");
        String host = advertised.entrySet().stream().filter(l -> l.getValue().startsWith("localhost:")).map(Map.Entry::getKey)
                .findFirst().orElseThrow(() -> new AssertionError("no listener advertised as localhost:<port>"));
        String port = advertised.get(host).substring("localhost:".length());
        assertThat(bound.get(host)).as("the host listener is bound").isEqualTo(":" + port);
        assertThat((List<String>) kafka.get("ports")).contains(port + ":" + port);
        assertThat(String.valueOf(env.get("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"))).contains(host + ":");

        Map<String, Object> dependsOn = map(service("cdc-bridge"), "depends_on");
        assertThat(map(dependsOn, "kafka")).containsEntry("condition", "service_healthy");
        assertThat(map(dependsOn, "postgres")).containsEntry("condition", "service_healthy");
        assertThat(map(service("cdc-bridge"), "environment")).containsEntry("CDC_KAFKA_BROKERS", "kafka:9092");
    }

    /** name → host:port of a Kafka listener list (PLAINTEXT://kafka:9092,HOST://localhost:29092). */
    private static Map<String, String> listeners(Object list) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String l : String.valueOf(list).split(",")) {
            String[] parts = l.trim().split("://");
            out.put(parts[0], parts[1]);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> o, String key) {
        assertThat(o).containsKey(key);
        return (Map<String, Object>) o.get(key);
    }

    /**
     * Secrets come from an env file that git ignores, made from a committed example without values; no secret in the
     * compose file itself, no published database port, no well-known console token.
     */
    @Test
    @SuppressWarnings("unchecked")
    void composeTakesSecretsFromAnEnvFileAndPublishesNoDatabase() throws Exception {
        String text = Files.readString(Path.of("docker-compose.yml"));
        assertThat(text).doesNotContainIgnoringCase("change-me");
        Map<String, Object> bridge = service("cdc-bridge");
        assertThat((List<String>) bridge.get("env_file")).containsExactly("compose.env");
        assertThat((List<String>) service("postgres").get("env_file")).containsExactly("compose.env");
        assertThat(Files.readAllLines(Path.of(".gitignore"))).contains("compose.env");
        for (Object service : ((Map<String, Object>) compose().get("services")).values()) {
            Object env = ((Map<String, Object>) service).get("environment");
            if (env instanceof Map<?, ?> vars) {
                for (Object name : vars.keySet()) {
                    String n = name.toString();
                    assertThat(n.startsWith("CDC_") && SettingsCatalog.isSecret(Settings.keyForEnv(n, SettingsCatalog.keys())))
                            .as("%s is a secret set in docker-compose.yml", n).isFalse();
                    assertThat(n).as("a password in docker-compose.yml").doesNotContain("PASSWORD");
                }
            }
        }
        assertThat(service("postgres")).as("the database port is not published by default").doesNotContainKey("ports");

        Path example = Path.of("compose.env.example");
        Properties p = new Properties();
        p.load(new java.io.StringReader(Files.readString(example)));
        assertThat(p.stringPropertyNames()).contains("POSTGRES_PASSWORD", "CDC_SOURCE_PASSWORD", "CDC_CONSOLE_TOKEN");
        for (String n : p.stringPropertyNames()) {
            assertThat(p.getProperty(n)).as("%s in the committed example carries no value", n).isEmpty();
            if (n.startsWith("CDC_")) {
                assertThat(SettingsCatalog.isDeclared(Settings.keyForEnv(n, SettingsCatalog.keys()))).as(n).isTrue();
            }
        }
    }

    /** What the docs name is what the bridge reads: every documented key is declared (or one of a declared family). */
    @Test
    void everyDocumentedKeyIsDeclared() throws Exception {
        Set<String> undeclared = new java.util.TreeSet<>();
        for (String k : documentedKeys()) {
            boolean family = SettingsCatalog.all().stream().anyMatch(s -> s.pattern().equals(k));
            if (!family && !SettingsCatalog.isDeclared(k)) {
                undeclared.add(k);
            }
        }
        assertThat(undeclared).isEmpty();
        assertThat(documentedKeys()).contains("cdc.source.host", "cdc.carol.staging.<schema>.<table>");
    }

    /** The sink pages keep their own tables (keys in context): where a row shows a plain default, it is the catalog's. */
    @Test
    void theSinkPagesShowTheCatalogsDefaults() throws Exception {
        Pattern row = Pattern.compile("(?m)^\\| `(cdc\\.[a-z0-9.-]+)` \\| `?([A-Za-z0-9_.-]+)`? \\|");
        int compared = 0;
        for (String page : java.util.List.of("docs/bigquery.md", "docs/carol.md", "docs/types.md")) {
            Matcher m = row.matcher(Files.readString(Path.of(page)));
            while (m.find()) {
                Setting<?> s = SettingsCatalog.find(m.group(1)).orElseThrow(() -> new AssertionError(m.group(1) + " is not declared"));
                if (s.defaultValue() != null) {
                    assertThat(m.group(2)).as("%s's default in %s", s, page).isEqualTo(formattedDefault(s));
                    compared++;
                }
            }
        }
        assertThat(compared).isGreaterThan(20);
    }

    private static <T> String formattedDefault(Setting<T> s) {
        return s.format(s.defaultValue());
    }

    /** The Dockerfile's stages by name ({@code FROM image AS name}), each with its FROM line first. */
    private static Map<String, String> stages(String dockerfile) {
        Map<String, String> stages = new java.util.LinkedHashMap<>();
        String name = null;
        StringBuilder text = new StringBuilder();
        for (String line : dockerfile.lines().toList()) {
            if (line.startsWith("FROM ")) {
                if (name != null) {
                    stages.put(name, text.toString());
                }
                String[] words = line.trim().split("\\s+");
                assertThat(words).as("every stage is named: %s", line).hasSize(4);
                assertThat(words[2]).isEqualToIgnoringCase("AS");
                name = words[3];
                text = new StringBuilder();
            }
            if (name != null) {
                text.append(line).append('\n');
            }
        }
        stages.put(name, text.toString());
        return stages;
    }

    /** The stage and the stages it is built FROM, as one text. */
    private static String withBases(Map<String, String> stages, String stage) {
        String text = stages.get(stage);
        String base = text.lines().findFirst().orElseThrow().split("\\s+")[1];
        return stages.containsKey(base) ? withBases(stages, base) + text : text;
    }

    @Test
    void dockerfileBuildsTheServerJarAndRunsItAsNonRoot() throws Exception {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        String pom = Files.readString(Path.of("pom.xml"));
        assertThat(pom).contains("<finalName>cdc-bridge</finalName>")
                .contains("<outputFile>${project.build.directory}/cdc-bridge-server.jar</outputFile>");
        Map<String, String> stages = stages(dockerfile);
        List<String> names = List.copyOf(stages.keySet());
        assertThat(names.get(names.size() - 1)).as("the default image is the last stage").isEqualTo("server");

        String build = stages.get("build");
        assertThat(build).startsWith("FROM maven:").contains("mvn -B -q package").contains("-Dcdc.demo-jar.skip=true");
        String server = withBases(stages, "server");
        assertThat(server).contains("FROM eclipse-temurin:17-jre")
                .contains("COPY --from=train /app/cdc-bridge-server.jar /app/cdc-bridge-server.jar")
                .contains("COPY --from=train /app/cdc-bridge-server.jsa /app/cdc-bridge-server.jsa")
                .contains("ENTRYPOINT [\"java\", \"-XX:SharedArchiveFile=/app/cdc-bridge-server.jsa\", \"-jar\", \"/app/cdc-bridge-server.jar\"]")
                .contains("RUN java -Xmx256m -Xshare:on -XX:SharedArchiveFile=/app/cdc-bridge-server.jsa -jar /app/cdc-bridge-server.jar version")
                .contains("USER cdc").doesNotContain("USER root")
                .contains("HEALTHCHECK").contains("/health/ready")
                .contains("JDK_JAVA_OPTIONS=\"-XX:InitialRAMPercentage=75 -XX:MaxRAMPercentage=75 -XX:+UseParallelGC\"")
                .as("tiered compilation by default (its choice explained in the Dockerfile)").doesNotContain("TieredStopAtLevel=1\"");
        assertThat(server).as("no Maven, no sources in the runtime image").doesNotContain("maven").doesNotContain("COPY . ");
        // the class-data archive is trained on the runtime image itself (same JRE) with the jar at its final path,
        // and the server copies that very jar: the JVM uses an archive only with the jar and JDK it was written for
        String train = stages.get("train");
        assertThat(train).startsWith("FROM runtime AS train")
                .contains("COPY --from=build /build/target/cdc-bridge-server.jar /app/cdc-bridge-server.jar")
                .contains("cds-train.sh /app/cdc-bridge-server.jar /tmp/cdc-bridge.jar /app/cdc-bridge-server.jsa");
        assertThat(withBases(stages, "demo")).contains("/target/cdc-bridge.jar /app/cdc-bridge.jar").contains("USER cdc");

        // what the stages copy from the build context exists (COPY --from copies from another stage)
        for (String l : dockerfile.lines().filter(l -> l.startsWith("COPY ") && !l.startsWith("COPY --from=")).toList()) {
            assertThat(Path.of(l.split("\\s+")[1])).as(l).exists();
        }
        // the build context leaves local build output out, so the image never ships a stale jar from target/
        assertThat(Files.readAllLines(Path.of(".dockerignore"))).contains("target");
    }

    /** The bookstore generator is demo code: the stack that asks for it must run the image that has it. */
    @Test
    @SuppressWarnings("unchecked")
    void composeRunsTheDemoStageWhereItAsksForTheBookstore() throws Exception {
        Map<String, Object> bridge = (Map<String, Object>) ((Map<String, Object>) compose().get("services")).get("cdc-bridge");
        assertThat(((Map<String, Object>) bridge.get("environment")).get("CDC_DEMO_BOOKSTORE")).isEqualTo("true");
        assertThat(((Map<String, Object>) bridge.get("build")).get("target")).isEqualTo("demo");
        assertThat(stages(Files.readString(Path.of("Dockerfile")))).containsKey("demo");
    }
}
