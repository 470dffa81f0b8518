package io.cdcbridge.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The {@code cdc.*} settings, one name per setting (docs/architecture.md §3).
 *
 * <p>Sources, later ones win: the {@code application.properties} shipped in the jar, an {@code application.properties}
 * in the working directory (or the file named by {@code -Dcdc.config=...}), environment variables ({@code
 * CDC_SOURCE_HOST} for {@code cdc.source.host}) and JVM system properties. A secret can also be read from a file:
 * {@code cdc.carol.password.file=/run/secrets/carol} fills {@code cdc.carol.password}.
 *
 * <p>Values of secret keys are never part of a message this class produces.
 */
public final class Settings {

    private static final Pattern SECRET = Pattern.compile(".*(password|api-key|secret|token).*");

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
            throw new ConfigException("cdc.config", "cannot read the shipped application.properties: " + e.getMessage());
        }
        String file = system.getProperty("cdc.config", env.getOrDefault("CDC_CONFIG", "application.properties"));
        Path path = Path.of(file);
        if (Files.isRegularFile(path)) {
            try (InputStream in = Files.newInputStream(path)) {
                putAll(merged, read(in));
            } catch (IOException e) {
                throw new ConfigException("cdc.config", "cannot read " + path + ": " + e.getMessage());
            }
        } else if (system.getProperty("cdc.config") != null || env.containsKey("CDC_CONFIG")) {
            throw new ConfigException("cdc.config", "file not found: " + path.toAbsolutePath());
        }
        env.forEach((name, value) -> {
            if (name.startsWith("CDC_") && !name.equals("CDC_CONFIG")) {
                merged.put(keyForEnv(name, merged.keySet()), value);
            }
        });
        system.stringPropertyNames().stream()
                .filter(k -> k.startsWith("cdc.") && !k.equals("cdc.config") && !k.startsWith("cdc.test."))
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

    /** {@code CDC_CAROL_STAGING_PUBLIC_USERS} matches a known key case-insensitively, else becomes lower-case dotted. */
    static String keyForEnv(String envName, Set<String> known) {
        for (String k : known) {
            if (envName(k).equals(envName)) {
                return k;
            }
        }
        return envName.toLowerCase(Locale.ROOT).replace('_', '.');
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

    public static boolean isSecret(String key) {
        return SECRET.matcher(key.toLowerCase(Locale.ROOT)).matches();
    }

    /** All values, for handing to Camel's property placeholders. */
    public Map<String, String> asMap() {
        return values;
    }

    /** Keys under a prefix, with the prefix removed ({@code cdc.carol.staging.} gives {@code public.Users -> users}). */
    public Map<String, String> under(String prefix) {
        Map<String, String> out = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix) && k.length() > prefix.length()) {
                out.put(k.substring(prefix.length()), v);
            }
        });
        return out;
    }

    public boolean has(String key) {
        String v = values.get(key);
        return v != null && !v.isBlank();
    }

    public String get(String key, String def) {
        return has(key) ? values.get(key).trim() : def;
    }

    /** A value that must be present. */
    public String require(String key) {
        if (!has(key)) {
            throw new ConfigException(key, "is required but not set (property " + key + " or environment " + envName(key) + ")");
        }
        return values.get(key).trim();
    }

    public int getInt(String key, int def) {
        if (!has(key)) {
            return def;
        }
        try {
            return Integer.parseInt(values.get(key).trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "must be a whole number, got '" + shown(key) + "'");
        }
    }

    /** A whole number within [min, max]; outside, start-up stops naming the key and the bounds. */
    public int getInt(String key, int def, int min, int max) {
        return (int) getLong(key, def, min, max);
    }

    /** A whole number within [min, max]; outside, start-up stops naming the key and the bounds. */
    public long getLong(String key, long def, long min, long max) {
        long n = getLong(key, def);
        if (n < min || n > max) {
            throw new ConfigException(key, "must be between " + min + " and " + max + ", got " + n);
        }
        return n;
    }

    public int getPort(String key, int def) {
        int port = getInt(key, def);
        if (port < 0 || port > 65535) {
            throw new ConfigException(key, "must be a port between 0 and 65535, got " + port);
        }
        return port;
    }

    public long getLong(String key, long def) {
        if (!has(key)) {
            return def;
        }
        try {
            return Long.parseLong(values.get(key).trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, "must be a whole number, got '" + shown(key) + "'");
        }
    }

    public boolean getBool(String key, boolean def) {
        if (!has(key)) {
            return def;
        }
        String v = values.get(key).trim().toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw new ConfigException(key, "must be true or false, got '" + shown(key) + "'");
        };
    }

    /** One of the allowed words (case-insensitive), returned lower-case. */
    public String getChoice(String key, String def, String... allowed) {
        String v = get(key, def).toLowerCase(Locale.ROOT);
        for (String a : allowed) {
            if (a.equals(v)) {
                return v;
            }
        }
        throw new ConfigException(key, "must be one of " + String.join(", ", allowed) + ", got '" + shown(key) + "'");
    }

    /** A time zone id ({@code UTC}, {@code America/Sao_Paulo}) or null when the key is not set. */
    public java.time.ZoneId getZone(String key) {
        if (!has(key)) {
            return null;
        }
        try {
            return java.time.ZoneId.of(get(key, ""));
        } catch (java.time.DateTimeException e) {
            throw new ConfigException(key, "is not a time zone id (UTC, America/Sao_Paulo, ...), got '" + shown(key) + "'");
        }
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
