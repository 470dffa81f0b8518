package io.cdcbridge.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@code cdc.*} settings as set (docs/architecture.md §3): read them typed with {@link #get(Setting)} and the
 * settings declared in this package ({@link SettingsCatalog} lists them, docs/configuration.md documents them).
 *
 * <p>Sources, later ones win: the {@code application.properties} shipped in the jar, an {@code application.properties}
 * in the working directory (or the file named by {@code -Dcdc.config=...}), environment variables ({@code
 * CDC_SOURCE_HOST} for {@code cdc.source.host}) and JVM system properties. A secret can also be read from a file:
 * {@code cdc.carol.password.file=/run/secrets/carol} fills {@code cdc.carol.password}.
 *
 * <p>Values of secret keys ({@link SettingsCatalog#isSecret}) are never part of a message this class produces.
 *
 * <p>There are no getters by key text: a setting is read through its declaration, which holds its one default and
 * its checks.
 */
public final class Settings {

    private final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = Collections.unmodifiableMap(values);
    }

    /** Settings from the given map only (tests, sub-commands). */
    public static Settings of(Map<String, String> values) {
        return new Settings(resolveSecretFiles(new TreeMap<>(values)));
    }

    /** The application's settings: shipped defaults, working-directory file, environment, system properties. */
    public static Settings load(Map<String, String> env, Properties system) {
        Map<String, String> merged = new TreeMap<>();
        try (InputStream in = Settings.class.getClassLoader().getResourceAsStream("application.properties")) {
            if (in != null) {
                putAll(merged, read(in));
            }
        } catch (IOException e) {
            throw new ConfigException(OpsSettings.CONFIG.key(), "cannot read the shipped application.properties: " + e.getMessage());
        }
        String configKey = OpsSettings.CONFIG.key();
        String configEnv = envName(configKey);
        String file = system.getProperty(configKey, env.getOrDefault(configEnv, OpsSettings.CONFIG.defaultValue().toString()));
        Path path = Path.of(file);
        if (Files.isRegularFile(path)) {
            try (InputStream in = Files.newInputStream(path)) {
                putAll(merged, read(in));
            } catch (IOException e) {
                throw new ConfigException(configKey, "cannot read " + path + ": " + e.getMessage());
            }
        } else if (system.getProperty(configKey) != null || env.containsKey(configEnv)) {
            throw new ConfigException(configKey, "file not found: " + path.toAbsolutePath());
        }
        // the environment rule (docs/configuration.md): a variable named like the key sets it as is; the upper-case
        // spelling reaches the keys that have one (declared keys, those the files set, property families)
        Set<String> known = new java.util.LinkedHashSet<>(SettingsCatalog.keys());
        known.addAll(merged.keySet());
        new TreeMap<>(env).forEach((name, value) -> {
            if (name.startsWith("cdc.") && !name.equals(configKey)) {
                merged.put(name, value);
            } else if (name.startsWith("CDC_") && !name.equals(configEnv)) {
                merged.put(keyForEnv(name, known), value);
            }
        });
        system.stringPropertyNames().stream()
                .filter(k -> k.startsWith("cdc.") && !k.equals(configKey) && !k.startsWith("cdc.test."))
                .forEach(k -> merged.put(k, system.getProperty(k)));
        return new Settings(resolveSecretFiles(merged));
    }

    private static Properties read(InputStream in) throws IOException {
        Properties p = new Properties();
        try (Reader r = new java.io.InputStreamReader(in, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    private static void putAll(Map<String, String> target, Properties p) {
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith("cdc.")) {
                target.put(k, p.getProperty(k).trim());
            }
        }
    }

    /**
     * The key an upper-case variable sets: the one known key (declared, or set by a file) it spells
     * ({@code CDC_CAROL_BATCH_SIZE} → {@code cdc.carol.batch-size}), else a property family's key with the property
     * lower case and dotted, as Kafka's and Debezium's properties are ({@code CDC_KAFKA_CLIENT_SASL_MECHANISM} →
     * {@code cdc.kafka.client.sasl.mechanism}). Anything else stops start-up naming the variable: a per-table key
     * cannot be spelt in upper case without guessing the table's case and underscores ({@code public.Order_Items}),
     * so it is set by a variable named like the key itself, or in the settings file.
     */
    static String keyForEnv(String envName, Set<String> known) {
        List<String> spelt = known.stream().filter(k -> envName(k).equals(envName)).distinct().toList();
        if (spelt.size() == 1) {
            return spelt.get(0);
        }
        if (spelt.size() > 1) {
            throw new ConfigException(envName, "spells several keys (" + String.join(", ", spelt)
                    + "): name the variable like the key itself, e.g. " + spelt.get(0) + "=…");
        }
        for (Setting<?> family : SettingsCatalog.prefixes()) {
            String start = envName(family.key());
            String end = envName(family.suffix());
            if (!envName.startsWith(start) || !envName.endsWith(end) || envName.length() <= start.length() + end.length()) {
                continue;
            }
            String part = envName.substring(start.length(), envName.length() - end.length());
            if (family.isPropertyFamily()) {
                return family.key(part.toLowerCase(Locale.ROOT).replace('_', '.'));
            }
            throw new ConfigException(envName, "is a " + family.pattern() + " key, whose names keep their case and "
                    + "underscores: name the variable like the key itself (e.g. " + family.key("public.Order_Items")
                    + "=…) or set it in the settings file");
        }
        String guess = envName.toLowerCase(Locale.ROOT).replace('_', '.');
        String near = SettingsCatalog.suggest(guess);
        throw new ConfigException(envName, "names no setting" + (near == null ? "" : " (did you mean " + envName(near) + "?)")
                + "; the settings are listed in docs/configuration.md");
    }

    /** The environment variable that overrides a key: upper case, dots and dashes as underscores. */
    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static Map<String, String> resolveSecretFiles(Map<String, String> values) {
        for (String k : Set.copyOf(values.keySet())) {
            if (k.endsWith(".file") && isSecret(k.substring(0, k.length() - 5)) && !values.get(k).isBlank()) {
                String target = k.substring(0, k.length() - 5);
                try {
                    values.put(target, Files.readString(Path.of(values.get(k))).strip());
                } catch (IOException e) {
                    throw new ConfigException(k, "cannot read secret file " + values.get(k) + " (" + e.getClass().getSimpleName() + ")");
                }
            }
        }
        return values;
    }

    /** Whether the key's value is a secret ({@link SettingsCatalog#isSecret}: the declared flag, else by its name). */
    public static boolean isSecret(String key) {
        return SettingsCatalog.isSecret(key);
    }

    /** All values, for handing to Camel's property placeholders. */
    public Map<String, String> asMap() {
        return values;
    }

    private boolean has(String key) {
        String v = values.get(key);
        return v != null && !v.isBlank();
    }

    // ---------------------------------------------------------------- typed

    /** Whether the setting is set (not blank); its default does not count. */
    public boolean has(Setting<?> setting) {
        return has(setting.key());
    }

    /**
     * The setting's value, typed and checked; its default (fixed, or worked out from other settings) when it is not
     * set; null when it has neither. A bad value throws {@link ConfigException} naming the key (a secret's value masked).
     */
    public <T> T get(Setting<T> setting) {
        if (setting.isPrefix()) {
            throw new IllegalArgumentException(setting.pattern() + " is a family of keys: read it with under()");
        }
        String key = setting.key();
        if (!has(key)) {
            return setting.defaultFor(this);
        }
        return setting.parse(key, values.get(key).trim(), shown(setting, key));
    }

    /** The setting's value, which must be there (set, or a default): else {@link ConfigException} naming the key. */
    public <T> T require(Setting<T> setting) {
        T value = get(setting);
        if (value == null) {
            throw new ConfigException(setting.key(), "is required but not set (property " + setting.key() + " or environment "
                    + envName(setting.key()) + ")");
        }
        return value;
    }

    /**
     * A prefix setting's set keys, by their free part ({@code cdc.carol.staging.public.Users=users} gives
     * {@code public.Users → users}), typed and checked; blank values are left out.
     */
    public <T> Map<String, T> under(Setting<T> family) {
        if (!family.isPrefix()) {
            throw new IllegalArgumentException(family.pattern() + " is one key: read it with get()");
        }
        Map<String, T> out = new TreeMap<>();
        values.forEach((k, v) -> {
            if (family.matches(k) && !v.isBlank()) {
                out.put(family.part(k), family.parse(k, v.trim(), shown(family, k)));
            }
        });
        return out;
    }

    private String shown(Setting<?> setting, String key) {
        return setting.isSecret() ? "****" : shown(key);
    }

    /** The value as it may appear in a message: secrets are masked. */
    public String shown(String key) {
        return isSecret(key) ? "****" : values.get(key);
    }

    /** A copy with some values replaced (used by the demo to point at its embedded servers). */
    public Settings with(Map<String, String> overrides) {
        Map<String, String> copy = new TreeMap<>(values);
        copy.putAll(overrides);
        return new Settings(copy);
    }
}
