package io.cdcbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
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
 * stack, the Dockerfile copies the jar the build makes, and every CDC_* variable names a documented setting.
 */
class DeploymentFilesTest {

    @SuppressWarnings("unchecked")
    private static Map<String, Object> compose() throws Exception {
        try (Reader r = Files.newBufferedReader(Path.of("docker-compose.yml"))) {
            return (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromReader(r);
        }
    }

    /** The documented settings: application.properties and the keys in README/docs tables. */
    static Set<String> documentedKeys() throws Exception {
        Set<String> keys = new HashSet<>();
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of("application.properties"))) {
            p.load(r);
        }
        keys.addAll(p.stringPropertyNames());
        Pattern key = Pattern.compile("`(cdc\\.[a-z0-9.-]+)`");
        try (var docs = Files.walk(Path.of("docs"))) {
            for (Path f : java.util.stream.Stream.concat(java.util.stream.Stream.of(Path.of("README.md")),
                    docs.filter(d -> d.toString().endsWith(".md"))).toList()) {
                Matcher m = key.matcher(Files.readString(f));
                while (m.find()) {
                    keys.add(m.group(1));
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

        Set<String> known = documentedKeys();
        for (Object service : services.values()) {
            Object env = ((Map<String, Object>) service).get("environment");
            if (!(env instanceof Map<?, ?> vars)) {
                continue;
            }
            for (Object name : vars.keySet()) {
                String n = name.toString();
                if (n.startsWith("CDC_")) {
                    String setting = Settings.keyForEnv(n, known);
                    assertThat(known).as("%s names a documented setting (got %s)", n, setting).contains(setting);
                }
            }
        }
    }

    /**
     * An environment variable finds a dashed key only if the key is in the shipped file ({@code CDC_A_B_C} could be
     * {@code cdc.a-b.c} or {@code cdc.a.b-c}): so every documented dashed key must be there.
     */
    @Test
    void everyDocumentedDashedKeyIsInTheShippedFileSoEnvironmentVariablesFindIt() throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of("application.properties"))) {
            p.load(r);
        }
        Set<String> shipped = p.stringPropertyNames();
        Set<String> missing = new java.util.TreeSet<>();
        for (String k : documentedKeys()) {
            if (k.contains("-") && !k.contains("<") && !shipped.contains(k) && !k.matches(".*\\.(table|staging|field|passthrough)\\..*")) {
                missing.add(k);
            }
        }
        assertThat(missing).isEmpty();
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
