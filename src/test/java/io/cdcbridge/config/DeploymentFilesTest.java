package io.cdcbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * What CI can check of the container deployment without a Docker engine: docker-compose.yml parses and has the
 * stack, the Dockerfile copies the jar the build makes, and every CDC_* variable names a declared setting.
 */
class DeploymentFilesTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> compose() throws Exception {
        try (Reader r = Files.newBufferedReader(Path.of("docker-compose.yml"))) {
            return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromReader(r);
        }
    }

    /** Names in backticks that start with {@code cdc.} but are Kafka headers, not settings (README, docs/*.md). */
    private static final Pattern HEADER = Pattern.compile("cdc\\.(types|sink|error\\..*|origin\\..*|replay\\..*)");

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

    @Test
    void dockerfileCopiesTheJarTheBuildMakes() throws Exception {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        String pom = Files.readString(Path.of("pom.xml"));
        assertThat(pom).contains("<finalName>cdc-bridge</finalName>");
        assertThat(dockerfile).contains("COPY target/cdc-bridge.jar ").contains("USER cdc").doesNotContain("USER root");
        List<String> lines = dockerfile.lines().filter(l -> l.startsWith("COPY ")).toList();
        for (String l : lines) {
            assertThat(Path.of(l.split("\\s+")[1])).as(l).satisfiesAnyOf(
                    path -> assertThat(path.toString()).isEqualTo("target/cdc-bridge.jar"),
                    path -> assertThat(Files.exists(path)).isTrue());
        }
    }
}
