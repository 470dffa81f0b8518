package io.cdcbridge.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Every declared setting, by area: what {@code cdc.*} keys exist, their types and defaults, which are secrets. From
 * it come the typed reads ({@link Settings#get(Setting)}), the start-up refusal of keys nobody reads
 * ({@link #refuseUnknown}), the values published to Camel's property placeholders ({@link #effective}) and
 * docs/configuration.md ({@link #reference}).
 */
public final class SettingsCatalog {

    /**
     * Secrets among keys the catalog cannot flag one by one (a {@code cdc.kafka.client.*}, {@code cdc.kafka.producer.*}
     * or {@code cdc.capture.debezium.*} property, an undeclared key): anything whose name says it holds a credential
     * ({@code sasl.jaas.config}, {@code ssl.*.password}, {@code ssl.keystore.key}: a PEM private key).
     */
    private static final Pattern SECRET_NAME = Pattern.compile(
            ".*(password|passwd|secret|token|api-key|apikey|api_key|jaas\\.config|credentials|keystore\\.key).*");

    private static final String FILE = ".file";

    private static final List<SettingsArea> AREAS = List.of(SourceSettings.AREA, KafkaSettings.AREA, OffsetSettings.AREA,
            CaptureSettings.AREA, SinkSettings.AREA, BigQuerySettings.AREA, CarolSettings.AREA, OpsSettings.AREA,
            DemoSettings.AREA);

    private static final Map<String, Setting<?>> BY_KEY = new LinkedHashMap<>();
    private static final List<Setting<?>> PREFIXES = new ArrayList<>();

    static {
        Set<String> patterns = new LinkedHashSet<>();
        for (SettingsArea area : AREAS) {
            for (Setting<?> s : area.settings()) {
                if (!patterns.add(s.pattern())) {
                    throw new IllegalStateException(s.pattern() + " is declared twice");
                }
                if (s.isPrefix()) {
                    PREFIXES.add(s);
                } else {
                    BY_KEY.put(s.key(), s);
                }
            }
        }
    }

    /** A {@code cdc.*} key nobody reads, and the declared key it is probably a typo of (or null). */
    public record Unknown(String key, String suggestion) {
        @Override
        public String toString() {
            return suggestion == null ? key : key + " (did you mean " + suggestion + "?)";
        }
    }

    private SettingsCatalog() {
    }

    public static List<SettingsArea> areas() {
        return AREAS;
    }

    /** Every declared setting, area by area, in declaration order. */
    public static List<Setting<?>> all() {
        return AREAS.stream().flatMap(a -> a.settings().stream()).toList();
    }

    /** The setting a concrete key is: declared as such, or one of a prefix setting's family. */
    public static Optional<Setting<?>> find(String key) {
        Setting<?> s = BY_KEY.get(key);
        if (s != null) {
            return Optional.of(s);
        }
        Setting<?> best = null;
        for (Setting<?> p : PREFIXES) {
            if (p.matches(key) && (best == null || p.key().length() > best.key().length())) {
                best = p;
            }
        }
        return Optional.ofNullable(best);
    }

    /** Whether the bridge reads this key: a declared one, one of a prefix's family, or {@code <secret key>.file}. */
    public static boolean isDeclared(String key) {
        if (find(key).isPresent()) {
            return true;
        }
        if (key.endsWith(FILE)) {
            String target = key.substring(0, key.length() - FILE.length());
            return find(target).isPresent() && isSecret(target);
        }
        return false;
    }

    /**
     * Whether the key's value is a secret: the declared flag for a declared key; for a prefix family's key, an
     * undeclared key or a {@code <key>.file}, also by its name ({@link #SECRET_NAME}), so a tuning property like
     * {@code cdc.kafka.producer.ssl.key.password} is not shown either.
     */
    public static boolean isSecret(String key) {
        Setting<?> exact = BY_KEY.get(key);
        if (exact != null) {
            return exact.isSecret();
        }
        if (key.endsWith(FILE) && isSecret(key.substring(0, key.length() - FILE.length()))) {
            return true;
        }
        Optional<Setting<?>> family = find(key);
        return family.map(Setting::isSecret).orElse(false) || SECRET_NAME.matcher(key.toLowerCase(Locale.ROOT)).matches();
    }

    /** The declared concrete keys and their {@code .file} forms for secrets: what an environment variable can name. */
    public static Set<String> keys() {
        Set<String> out = new LinkedHashSet<>();
        for (Setting<?> s : BY_KEY.values()) {
            out.add(s.key());
            if (s.isSecret()) {
                out.add(s.key() + FILE);
            }
        }
        return out;
    }

    static List<Setting<?>> prefixes() {
        return Collections.unmodifiableList(PREFIXES);
    }

    // ---------------------------------------------------------------- unknown keys

    /** Set keys starting with {@code cdc.} that the bridge does not read, each with a suggestion when one is close. */
    public static List<Unknown> unknown(Settings settings) {
        List<Unknown> out = new ArrayList<>();
        for (String key : new TreeMap<>(settings.asMap()).keySet()) {
            if (key.startsWith("cdc.") && !isDeclared(key)) {
                out.add(new Unknown(key, suggest(key)));
            }
        }
        return out;
    }

    /**
     * Stops start-up on {@link #unknown} keys: a misspelt key would otherwise leave its setting at the default without a
     * word. {@code cdc.carol.batchsize: no such setting (did you mean cdc.carol.batch-size?) ...}.
     */
    public static void refuseUnknown(Settings settings) {
        List<Unknown> unknown = unknown(settings);
        if (unknown.isEmpty()) {
            return;
        }
        Unknown first = unknown.get(0);
        String others = unknown.size() == 1 ? "" : "; also unknown: "
                + unknown.stream().skip(1).map(Unknown::toString).collect(Collectors.joining(", "));
        throw new ConfigException(first.key(), "no such setting" + (first.suggestion() == null ? ""
                : " (did you mean " + first.suggestion() + "?)") + others + "; the settings are listed in docs/configuration.md");
    }

    /** The declared key nearest to an unknown one (a few typing mistakes away), or null. */
    public static String suggest(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        int limit = Math.min(3, Math.max(1, k.length() / 8));
        String best = null;
        int bestDistance = limit + 1;
        for (String candidate : BY_KEY.keySet()) {
            int d = distance(k, candidate.toLowerCase(Locale.ROOT), bestDistance);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        // cdc.kafka.produce.acks → cdc.kafka.producer.acks: the prefix mistyped, the free part kept
        for (Setting<?> p : PREFIXES) {
            String prefix = p.key().toLowerCase(Locale.ROOT);
            for (int cut = Math.max(1, prefix.length() - limit); cut <= Math.min(k.length() - 1, prefix.length() + limit); cut++) {
                String rest = key.substring(cut);
                String candidate = p.key() + (p.suffix().isEmpty() || rest.endsWith(p.suffix()) ? rest
                        : rest.contains(".") ? rest.substring(0, rest.lastIndexOf('.')) + p.suffix() : rest + p.suffix());
                if (!p.matches(candidate)) {
                    continue;
                }
                int d = distance(k, candidate.toLowerCase(Locale.ROOT), bestDistance);
                if (d < bestDistance) {
                    best = candidate;
                    bestDistance = d;
                }
            }
        }
        return best;
    }

    /** Edit distance with transpositions (optimal string alignment); stops early, answering {@code cap}, beyond it. */
    static int distance(String a, String b, int cap) {
        if (Math.abs(a.length() - b.length()) >= cap) {
            return cap;
        }
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int rowMin = Integer.MAX_VALUE;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                int v = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    v = Math.min(v, d[i - 2][j - 2] + 1);
                }
                d[i][j] = v;
                rowMin = Math.min(rowMin, v);
            }
            if (rowMin >= cap) {
                return cap;
            }
        }
        return Math.min(cap, d[a.length()][b.length()]);
    }

    // ---------------------------------------------------------------- effective values

    /**
     * Every declared key with its effective value (the set one, else the default, fixed or worked out), as settings
     * text: for Camel's property placeholders, so the routes need no {@code {{key:default}}}. Secrets are left out, and
     * so are keys with neither a value nor a default. The set keys of prefix families are included (not the secret
     * ones). Every value is validated: a bad one throws {@link ConfigException} naming its key.
     */
    /**
     * Reads every declared setting whose key starts with {@code keyPrefix} ({@code cdc.bigquery.}), so that a part
     * checks its own settings when it installs: a bad value stops start-up there, naming its key.
     */
    public static void check(Settings settings, String keyPrefix) {
        for (Setting<?> s : all()) {
            if (s.key().startsWith(keyPrefix)) {
                if (s.isPrefix()) {
                    settings.under(s);
                } else {
                    settings.get(s);
                }
            }
        }
    }

    public static Map<String, String> effective(Settings settings) {
        Map<String, String> out = new TreeMap<>();
        for (Setting<?> s : all()) {
            if (s.isSecret()) {
                continue;
            }
            if (s.isPrefix()) {
                putFamily(out, settings, s);
            } else {
                putValue(out, settings, s);
            }
        }
        return out;
    }

    private static <T> void putValue(Map<String, String> out, Settings settings, Setting<T> s) {
        T value = settings.get(s);
        if (value != null) {
            out.put(s.key(), s.format(value));
        }
    }

    private static <T> void putFamily(Map<String, String> out, Settings settings, Setting<T> s) {
        settings.under(s).forEach((part, value) -> {
            String key = s.key(part);
            if (!isSecret(key) && find(key).orElse(null) == s) {
                out.put(key, s.format(value));
            }
        });
    }

    // ---------------------------------------------------------------- docs/configuration.md

    /** docs/configuration.md: the areas' tables, generated (ConfigurationReferenceTest keeps the file in step). */
    public static String reference() {
        StringBuilder b = new StringBuilder();
        b.append("# Configuration reference\n\n");
        b.append("<!-- Generated from the settings declared in src/main/java/io/cdcbridge/config (SettingsCatalog): do not edit.\n");
        b.append("     ConfigurationReferenceTest fails when this file is stale; it rewrites it when run with\n");
        b.append("     mvn -q -o test -Dtest=ConfigurationReferenceTest -Dcdc.docs.update=true -->\n\n");
        b.append("""
                Every setting is a `cdc.*` key. Sources, later ones win: the `application.properties` shipped in the jar,
                an `application.properties` in the working directory (or the file named by `-Dcdc.config=` /
                `CDC_CONFIG`), environment variables, then `-D` system properties. A blank value is the same as no value: the
                default applies.

                Environment variables: a variable named like the key sets it as is, whatever the key
                (`cdc.carol.staging.public.Order_Items=orderitems`; Docker, Compose and Kubernetes accept such names, a
                shell through `env`). The upper-case spelling, dots and dashes as underscores, also reaches every listed
                key (`cdc.source.host` → `CDC_SOURCE_HOST`) and the `<property>` families, whose properties are lower
                case and dotted (`CDC_KAFKA_CLIENT_SASL_MECHANISM` → `cdc.kafka.client.sasl.mechanism`). A per-table
                key cannot be spelt in upper case (a table's name keeps its case and underscores): an upper-case
                variable for one, or one that names no setting, stops start-up with one line naming it.

                A setting marked *secret* can be read from a file, `<key>.file=/run/secrets/…`
                (`cdc.source.password.file`); its value never appears in logs, errors, JMX or Camel's properties.
                Durations are whole numbers in the unit the key ends with (`-ms`, `-s`); lists are comma-separated.
                A bad value stops start-up with one line naming the key, and so does a `cdc.*` key that is not listed
                here, from any source (exit code 2), with the nearest listed key.

                The shipped `application.properties` sets only what the shipped demo runs with differently.
                """);
        for (SettingsArea area : AREAS) {
            b.append("\n## ").append(area.title()).append("\n\n").append(area.summary()).append("\n\n");
            b.append("| key | type | default | description | secret |\n|---|---|---|---|---|\n");
            for (Setting<?> s : area.settings()) {
                b.append("| `").append(s.pattern()).append("` | ").append(cell(typeText(s))).append(" | ")
                        .append(cell(defaultText(s))).append(" | ").append(cell(s.description())).append(" | ")
                        .append(s.isSecret() ? "secret" : "").append(" |\n");
            }
        }
        return b.toString();
    }

    private static String typeText(Setting<?> s) {
        if (s.type().equals("choice")) {
            return "one of " + s.constraint().replaceAll("([a-z_][a-z0-9_-]*)", "`$1`");
        }
        return s.constraint() == null ? s.type() : s.type() + ", " + s.constraint();
    }

    private static String defaultText(Setting<?> s) {
        String d = s.defaultDescription();
        if (d.isEmpty()) {
            d = "—";
        }
        return s.requiredWhen() == null ? d : d + " (required when " + s.requiredWhen() + ")";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ");
    }
}
