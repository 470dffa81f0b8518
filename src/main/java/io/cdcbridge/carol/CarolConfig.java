package io.cdcbridge.carol;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;

/**
 * The Carol sink's settings ({@code cdc.carol.*}, docs/architecture.md and docs/carol.md), validated: each problem
 * names its key.
 *
 * @param fields per staging, the fields sent and their names in Carol ({@code Source:target}); empty = all, as is
 * @param tokenPath the token endpoint's path ({@code cdc.carol.token-path}, {@code /api/v5/oauth2/token} as pycarol
 *                  2.56+ uses it)
 * @param intakePath the intake path with {@code {staging}} in it ({@code cdc.carol.intake-path})
 * @param manageSchemas whether the bridge creates and extends staging schemas ({@code cdc.carol.manage-schemas})
 * @param crosswalks per {@code schema.table}, the crosswalk columns set by {@code cdc.carol.crosswalk.<schema>.<table>}
 *                   (for a table without a primary key, or to use other columns than it)
 */
public record CarolConfig(URI url, String connectorId, String auth, String username, String password, String tenant,
                          String org, String apiKey, String authScheme, long refreshAheadMs, Set<String> tables,
                          Set<String> exclude, Map<String, String> stagings, Map<String, Map<String, String>> fields,
                          int batchSize, long maxRequestBytes, long timeoutMs, boolean numericAsNumber,
                          java.time.ZoneId timestampZone, String tokenPath, String intakePath, boolean manageSchemas,
                          Map<String, List<String>> crosswalks) {

    public static final int MAX_RECORDS = 500;
    public static final long MAX_BYTES = 10L * 1024 * 1024;
    public static final String TOKEN_PATH = "/api/v5/oauth2/token";
    public static final String INTAKE_PATH = "/api/v3/staging/intake/{staging}";
    /** Where pycarol reads (GET), creates (POST) and overwrites (PUT) a staging's schema. */
    public static final String SCHEMA_PATH = "/api/v2/staging/tables/{staging}/schema";

    public static CarolConfig from(Settings s) {
        String rawUrl = s.require("cdc.carol.url");
        URI url;
        try {
            url = URI.create(rawUrl.endsWith("/") ? rawUrl.substring(0, rawUrl.length() - 1) : rawUrl);
        } catch (IllegalArgumentException e) {
            throw new ConfigException("cdc.carol.url", "is not a URL: '" + rawUrl + "'");
        }
        boolean loopback = "localhost".equals(url.getHost()) || "127.0.0.1".equals(url.getHost()) || "[::1]".equals(url.getHost());
        if (!"https".equals(url.getScheme()) && !("http".equals(url.getScheme()) && loopback)) {
            throw new ConfigException("cdc.carol.url", "must be https:// (plain http only for a loopback host), got '" + rawUrl + "'");
        }
        String auth = s.getChoice("cdc.carol.auth", "password", "password", "apikey");
        String user = null;
        String password = null;
        String tenant = null;
        String org = null;
        String apiKey = null;
        if (auth.equals("password")) {
            user = s.require("cdc.carol.username");
            password = s.require("cdc.carol.password");
            tenant = s.require("cdc.carol.tenant");
            org = s.get("cdc.carol.org", tenant);
        } else {
            apiKey = s.require("cdc.carol.api-key");
        }
        int batch = s.getInt("cdc.carol.batch-size", MAX_RECORDS, 1, MAX_RECORDS);
        long bytes = s.getLong("cdc.carol.max-request-bytes", 9_000_000L, 1024, MAX_BYTES);
        Map<String, String> stagings = new HashMap<>();
        s.under("cdc.carol.staging.").forEach((table, staging) -> {
            if (!staging.matches("[A-Za-z0-9_]+")) {
                throw new ConfigException("cdc.carol.staging." + table, "must be a staging name (letters, digits, _), got '" + staging + "'");
            }
            stagings.put(table, staging);
        });
        Map<String, Map<String, String>> fields = new HashMap<>();
        s.under("cdc.carol.fields.").forEach((staging, spec) -> fields.put(staging, parseFields("cdc.carol.fields." + staging, spec)));
        Map<String, List<String>> crosswalks = new HashMap<>();
        s.under("cdc.carol.crosswalk.").forEach((table, columns) -> {
            List<String> keys = new ArrayList<>();
            for (String c : columns.split(",")) {
                if (!c.isBlank()) {
                    keys.add(c.trim());
                }
            }
            if (keys.isEmpty() || !table.contains(".")) {
                throw new ConfigException("cdc.carol.crosswalk." + table, "must be cdc.carol.crosswalk.<schema>.<table>=column,…, got '" + columns + "'");
            }
            crosswalks.put(table, List.copyOf(keys));
        });
        return new CarolConfig(url, s.require("cdc.carol.connector-id"), auth, user, password, tenant, org, apiKey,
                s.getChoice("cdc.carol.auth-scheme", "raw", "raw", "bearer"),
                s.getLong("cdc.carol.token-refresh-ahead-s", 60, 0, 86_400) * 1000, list(s.get("cdc.carol.tables", "")),
                list(s.get("cdc.carol.exclude", "")), stagings, fields, batch, bytes,
                s.getLong("cdc.carol.timeout-ms", 30_000),
                s.getChoice("cdc.carol.numeric-as", "number", "number", "string").equals("number"),
                s.getZone("cdc.sink.timestamp-zone"), path(s, "cdc.carol.token-path", TOKEN_PATH, false),
                path(s, "cdc.carol.intake-path", INTAKE_PATH, true), s.getBool("cdc.carol.manage-schemas", true), Map.copyOf(crosswalks));
    }

    /** A path under {@code cdc.carol.url}: starts with '/', no query (the connectorId is added), maybe {staging}. */
    private static String path(Settings s, String key, String def, boolean withStaging) {
        String p = s.get(key, def);
        if (!p.startsWith("/") || p.contains("?") || p.contains("#") || withStaging != p.contains("{staging}")) {
            throw new ConfigException(key, "must be a path starting with '/', without a query" + (withStaging ? ", with {staging} in it" : "")
                    + ", got '" + p + "'");
        }
        return p;
    }

    /** {@code UserId:userid,UserName} → UserId→userid, UserName→UserName (order kept). */
    static Map<String, String> parseFields(String key, String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            String[] st = p.split(":", 2);
            String target = st.length == 2 ? st[1].trim() : st[0].trim();
            if (st[0].isBlank() || target.isBlank()) {
                throw new ConfigException(key, "entries must be Source or Source:target, got '" + p + "'");
            }
            out.put(st[0].trim(), target);
        }
        return out;
    }

    /** {@code a, b,c} → {a, b, c}. */
    static Set<String> list(String csv) {
        Set<String> out = new TreeSet<>();
        for (String t : csv.split(",")) {
            if (!t.isBlank()) {
                out.add(t.trim());
            }
        }
        return out;
    }

    /** Whether changes of this table go to Carol. */
    public boolean delivers(String schema, String table) {
        String qualified = schema + "." + table;
        return (tables.isEmpty() || tables.contains(qualified)) && !exclude.contains(qualified);
    }

    /** The staging of a table: {@code cdc.carol.staging.<schema>.<table>}, else the table name in lower case. */
    public String staging(String schema, String table) {
        String own = stagings.get(schema + "." + table);
        return own != null ? own : table.toLowerCase(Locale.ROOT);
    }

    /**
     * The crosswalk of a table's staging: {@code cdc.carol.crosswalk.<schema>.<table>} if set, else its primary key
     * (empty for a table without one: a staging schema cannot be made for it).
     */
    public List<String> crosswalk(String schema, String table, List<String> primaryKey) {
        List<String> own = crosswalks.get(schema + "." + table);
        return own != null ? own : primaryKey == null ? List.of() : List.copyOf(primaryKey);
    }

    public URI intakeUri(String staging) {
        return URI.create(url + intakePath.replace("{staging}", segment(staging)) + "?connectorId=" + segment(connectorId));
    }

    /** GET / POST / PUT here read, create and overwrite the staging's schema. */
    public URI schemaUri(String staging) {
        return URI.create(url + SCHEMA_PATH.replace("{staging}", segment(staging)) + "?connectorId=" + segment(connectorId));
    }

    public URI tokenUri() {
        return URI.create(url + tokenPath);
    }

    /** A staging name as one URL path segment: the default staging is the table's name, which may hold any character. */
    static String segment(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return "CarolConfig[" + url + ", connector " + connectorId + ", auth " + auth + (username != null ? " as " + username : "") + "]";
    }
}
