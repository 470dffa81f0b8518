package io.cdcbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Reader;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * The kustomize base in deploy/kubernetes, read as the API server would get it: every manifest parses; the Deployment
 * runs 2+ replicas of a pinned image as non-root with a read-only root, probes on the ops port's health paths,
 * requests and limits; RBAC grants exactly what the Lease election needs; secrets appear only by reference; the
 * settings file and the route files are mounted where the bridge reads them, and name only declared settings.
 */
class KubernetesManifestsTest {

    private static final Path BASE = Path.of("deploy/kubernetes");
    private static Map<String, Object> kustomization;
    /** kind/name → the object, for every manifest the kustomization lists. */
    private static final Map<String, Map<String, Object>> OBJECTS = new LinkedHashMap<>();

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void parse() throws Exception {
        kustomization = (Map<String, Object>) load(BASE.resolve("kustomization.yaml")).get(0);
        List<String> resources = (List<String>) kustomization.get("resources");
        try (Stream<Path> files = Files.list(BASE)) {
            List<String> onDisk = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).sorted().toList();
            assertThat(resources).as("every manifest in the base is a resource of the kustomization").containsExactlyInAnyOrderElementsOf(onDisk);
        }
        for (String r : resources) {
            for (Object doc : load(BASE.resolve(r))) {
                Map<String, Object> o = (Map<String, Object>) doc;
                assertThat(o).as(r).containsKeys("apiVersion", "kind", "metadata");
                OBJECTS.put(o.get("kind") + "/" + map(o, "metadata").get("name"), o);
            }
        }
    }

    private static List<Object> load(Path file) throws Exception {
        try (Reader r = Files.newBufferedReader(file)) {
            List<Object> docs = new ArrayList<>();
            new Load(LoadSettings.builder().build()).loadAllFromReader(r).forEach(d -> {
                if (d != null) {
                    docs.add(d);
                }
            });
            return docs;
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Map<String, Object> o, String... path) {
        Map<String, Object> m = o;
        for (String p : path) {
            m = (Map<String, Object>) m.get(p);
            assertThat(m).as(String.join(".", path)).isNotNull();
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> list(Map<String, Object> o, String key) {
        List<Map<String, Object>> l = (List<Map<String, Object>>) o.get(key);
        return l == null ? List.of() : l;
    }

    private static Map<String, Object> object(String kindAndName) {
        assertThat(OBJECTS).containsKey(kindAndName);
        return OBJECTS.get(kindAndName);
    }

    private static Map<String, Object> podSpec() {
        return map(object("Deployment/cdc-bridge"), "spec", "template", "spec");
    }

    private static Map<String, Object> container() {
        List<Map<String, Object>> containers = list(podSpec(), "containers");
        assertThat(containers).hasSize(1);
        return containers.get(0);
    }

    /** The shipped properties of the base, as the bridge reads them. */
    private static Properties properties() throws Exception {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(BASE.resolve("application.properties"))));
        return p;
    }

    @Test
    void theDeploymentRunsTwoReplicasOfAPinnedImage() {
        Map<String, Object> spec = map(object("Deployment/cdc-bridge"), "spec");
        assertThat((Integer) spec.get("replicas")).isGreaterThanOrEqualTo(2);
        assertThat(map(spec, "selector", "matchLabels")).isEqualTo(map(spec, "template", "metadata", "labels"));
        String image = String.valueOf(container().get("image"));
        assertThat(image).matches("[^:]+:[^:]+").doesNotEndWith(":latest");
        @SuppressWarnings("unchecked")
        Map<String, Object> pinned = ((List<Map<String, Object>>) kustomization.get("images")).get(0);
        assertThat(String.valueOf(pinned.get("newTag"))).isNotBlank().isNotEqualTo("latest");
        assertThat(image).startsWith(pinned.get("name") + ":");
    }

    @Test
    void probesAskTheOpsPortForLivenessAndReadiness() throws Exception {
        Map<String, Object> c = container();
        List<Map<String, Object>> ports = list(c, "ports");
        int port = Integer.parseInt(properties().getProperty(OpsSettings.HTTP_PORT.key(), String.valueOf(OpsSettings.HTTP_PORT.defaultValue())));
        assertThat(ports).anySatisfy(p -> {
            assertThat(p.get("name")).isEqualTo("http");
            assertThat(p.get("containerPort")).isEqualTo(port);
        });
        assertThat(map(c, "livenessProbe", "httpGet")).containsEntry("path", "/health/live").containsEntry("port", "http");
        assertThat(map(c, "readinessProbe", "httpGet")).containsEntry("path", "/health/ready").containsEntry("port", "http");
        assertThat(map(c, "startupProbe", "httpGet")).containsEntry("path", "/health/live");
        // the probes come from the kubelet, not from loopback
        assertThat(properties().getProperty(OpsSettings.HTTP_HOST.key())).isEqualTo("0.0.0.0");
        Map<String, Object> service = map(object("Service/cdc-bridge"), "spec");
        assertThat(list(service, "ports")).anySatisfy(p -> assertThat(p.get("targetPort")).isEqualTo("http"));
        assertThat(map(service, "selector")).isEqualTo(map(object("Deployment/cdc-bridge"), "spec", "selector", "matchLabels"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void itRunsAsNonRootWithAReadOnlyRootNoPrivilegesAndBoundedResources() {
        assertThat(map(podSpec(), "securityContext")).containsEntry("runAsNonRoot", true);
        assertThat((Integer) map(podSpec(), "securityContext").get("runAsUser")).isPositive();
        Map<String, Object> sc = map(container(), "securityContext");
        assertThat(sc).containsEntry("allowPrivilegeEscalation", false).containsEntry("readOnlyRootFilesystem", true);
        assertThat((List<String>) map(sc, "capabilities").get("drop")).containsExactly("ALL");
        assertThat(map(sc, "capabilities")).doesNotContainKey("add");
        assertThat(sc).doesNotContainKey("privileged");
        Map<String, Object> resources = map(container(), "resources");
        assertThat(map(resources, "requests")).containsKeys("cpu", "memory");
        assertThat(map(resources, "limits")).containsKeys("cpu", "memory");
        // what the JVM and the bridge write goes to emptyDirs: the data directory and /tmp
        Map<String, String> mounts = mounts();
        assertThat(mounts).containsEntry("/app/data", "data").containsEntry("/tmp", "tmp");
        Map<String, Map<String, Object>> volumes = volumes();
        assertThat(volumes.get("data")).containsKey("emptyDir");
        assertThat(volumes.get("tmp")).containsKey("emptyDir");
        assertThat(OpsSettings.DATA_DIR.defaultValue()).hasToString("data"); // relative to the image's WORKDIR /app
    }

    private static Map<String, String> mounts() {
        return list(container(), "volumeMounts").stream()
                .collect(Collectors.toMap(m -> String.valueOf(m.get("mountPath")), m -> String.valueOf(m.get("name"))));
    }

    private static Map<String, Map<String, Object>> volumes() {
        return list(podSpec(), "volumes").stream().collect(Collectors.toMap(v -> String.valueOf(v.get("name")), v -> v));
    }

    @Test
    @SuppressWarnings("unchecked")
    void rbacGrantsTheLeaseElectionAndNothingElse() {
        List<Map<String, Object>> rules = list(object("Role/cdc-bridge-capture-lease"), "rules");
        assertThat(rules).hasSize(1);
        assertThat((List<String>) rules.get(0).get("apiGroups")).containsExactly("coordination.k8s.io");
        assertThat((List<String>) rules.get(0).get("resources")).containsExactly("leases");
        assertThat((List<String>) rules.get(0).get("verbs")).containsExactlyInAnyOrder("get", "create", "update");
        assertThat(OBJECTS.keySet()).noneMatch(k -> k.startsWith("ClusterRole"));

        Map<String, Object> binding = object("RoleBinding/cdc-bridge-capture-lease");
        assertThat(map(binding, "roleRef")).containsEntry("kind", "Role").containsEntry("name", "cdc-bridge-capture-lease");
        assertThat(list(binding, "subjects")).singleElement().satisfies(s -> {
            assertThat(s.get("kind")).isEqualTo("ServiceAccount");
            assertThat(s.get("name")).isEqualTo(podSpec().get("serviceAccountName"));
        });
        assertThat(OBJECTS).containsKey("ServiceAccount/" + podSpec().get("serviceAccountName"));
    }

    @Test
    void captureIsElectedByTheLeaseAndTheOffsetsAreShared() throws Exception {
        // without the secret-file keys: their files exist only in the pod
        Settings s = Settings.of(properties().entrySet().stream().filter(e -> !((String) e.getKey()).endsWith(".file"))
                .collect(Collectors.toMap(e -> (String) e.getKey(), e -> (String) e.getValue())));
        assertThat(s.get(CaptureSettings.ELECTION)).isEqualTo("kubernetes");
        assertThat(s.get(OffsetSettings.STORE)).isEqualTo("kafka");
        assertThat(s.get(OpsSettings.ROUTES_RELOAD)).isFalse();
        assertThat(s.get(KafkaSettings.PARTITIONS)).isGreaterThanOrEqualTo((Integer) map(object("Deployment/cdc-bridge"), "spec").get("replicas"));
        Map<String, Object> pdb = map(object("PodDisruptionBudget/cdc-bridge"), "spec");
        assertThat(map(pdb, "selector", "matchLabels")).isEqualTo(map(object("Deployment/cdc-bridge"), "spec", "selector", "matchLabels"));
        assertThat((Integer) pdb.get("minAvailable")).isPositive().isLessThan((Integer) map(object("Deployment/cdc-bridge"), "spec").get("replicas"));
    }

    @Test
    void secretsAppearOnlyByReference() throws Exception {
        assertThat(OBJECTS.keySet()).as("the base carries no Secret").noneMatch(k -> k.startsWith("Secret/"));
        assertThat(kustomization).doesNotContainKey("secretGenerator");
        // environment: a secret setting only from a secretKeyRef, never a literal value
        for (Map<String, Object> e : list(container(), "env")) {
            String name = String.valueOf(e.get("name"));
            if (name.startsWith("CDC_")) {
                String key = Settings.keyForEnv(name, SettingsCatalog.keys());
                assertThat(SettingsCatalog.isDeclared(key)).as("%s names a declared setting", name).isTrue();
                if (SettingsCatalog.isSecret(key) && !key.endsWith(".file")) {
                    assertThat(e).as(name).doesNotContainKey("value");
                    assertThat(map(e, "valueFrom")).containsKey("secretKeyRef");
                }
            }
        }
        // the settings file: secret keys only as <key>.file, into the mounted Secret
        Properties p = properties();
        String secretsDir = mounts().entrySet().stream().filter(m -> m.getValue().equals("secrets")).map(Map.Entry::getKey)
                .findFirst().orElseThrow();
        assertThat(volumes().get("secrets")).containsKey("secret");
        for (String key : p.stringPropertyNames()) {
            assertThat(SettingsCatalog.isDeclared(key)).as("%s is a declared setting", key).isTrue();
            if (SettingsCatalog.isSecret(key)) {
                assertThat(key).as("a secret in the ConfigMap").endsWith(".file");
                assertThat(p.getProperty(key)).startsWith(secretsDir + "/");
            }
        }
        assertThat(p.stringPropertyNames()).contains("cdc.source.password.file", "cdc.console.token.file");
        // and the commented examples name declared keys too
        for (String line : Files.readAllLines(BASE.resolve("application.properties"))) {
            if (line.startsWith("#cdc.")) {
                String key = line.substring(1, line.indexOf('='));
                assertThat(SettingsCatalog.isDeclared(key)).as(line).isTrue();
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void theSettingsFileAndTheRoutesAreMountedWhereTheBridgeReadsThem() throws Exception {
        List<Map<String, Object>> generators = (List<Map<String, Object>>) kustomization.get("configMapGenerator");
        Map<String, List<String>> files = generators.stream().collect(Collectors.toMap(g -> String.valueOf(g.get("name")),
                g -> (List<String>) g.get("files")));
        assertThat(files.get("cdc-bridge-config")).containsExactly("application.properties");

        // CDC_CONFIG names the file inside the config volume
        String config = list(container(), "env").stream().filter(e -> "CDC_CONFIG".equals(e.get("name")))
                .map(e -> String.valueOf(e.get("value"))).findFirst().orElseThrow();
        Path configPath = Path.of(config);
        assertThat(mounts()).containsEntry(configPath.getParent().toString(), "config");
        assertThat(configPath.getFileName()).hasToString("application.properties");
        assertThat(map(volumes().get("config"), "configMap")).containsEntry("name", "cdc-bridge-config");

        // the routes directory: cdc.routes.dir, relative to the image's working directory
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        assertThat(dockerfile).contains("WORKDIR /app");
        String routesDir = properties().getProperty(OpsSettings.ROUTES_DIR.key(), OpsSettings.ROUTES_DIR.defaultValue().toString());
        assertThat(mounts()).containsEntry(Path.of("/app").resolve(routesDir).toString(), "routes");
        assertThat(map(volumes().get("routes"), "configMap")).containsEntry("name", "cdc-bridge-routes");

        // the route files are the repository's, unchanged, every one of them
        List<String> shipped;
        try (Stream<Path> r = Files.list(Path.of("routes"))) {
            shipped = r.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".camel.yaml")).sorted().toList();
        }
        assertThat(files.get("cdc-bridge-routes").stream().map(f -> Path.of(f).getFileName().toString()).sorted().toList())
                .isEqualTo(shipped);
        for (String f : files.get("cdc-bridge-routes")) {
            assertThat(BASE.resolve(f)).as("%s is a copy of routes/", f).hasSameTextualContentAs(Path.of("routes").resolve(Path.of(f).getFileName()));
        }
    }
}
