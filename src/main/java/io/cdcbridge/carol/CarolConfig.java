package io.cdcbridge.carol;

import java.net.URI;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;

/**
 * The Carol sink's settings ({@code cdc.carol.*}, DESIGN.md §2 and §5), validated: each problem names its key.
 *
 * @param fields per staging, the fields sent and their names in Carol ({@code Source:target}); empty = all, as is
 */
public record CarolConfig(URI url, String connectorId, String auth, String username, String password, String tenant,
                          String org, String apiKey, String authScheme, long refreshAheadMs, Set<String> tables,
                          Set<String> exclude, Map<String, String> stagings, Map<String, Map<String, String>> fields,
                          int batchSize, long maxRequestBytes, long timeoutMs, boolean numericAsNumber,
                          java.time.ZoneId timestampZone) {

    public static final int MAX_RECORDS = 500;
    public static final long MAX_BYTES = 10L * 1024 * 1024;

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
        return new CarolConfig(url, s.require("cdc.carol.connector-id"), auth, user, password, tenant, org, apiKey,
                s.getChoice("cdc.carol.auth-scheme", "raw", "raw", "bearer"),
                s.getLong("cdc.carol.token-refresh-ahead-s", 60) * 1000, list(s.get("cdc.carol.tables", "")),
                list(s.get("cdc.carol.exclude", "")), stagings, fields, batch, bytes,
                s.getLong("cdc.carol.timeout-ms", 30_000),
                s.getChoice("cdc.carol.numeric-as", "number", "number", "string").equals("number"),
                s.getZone("cdc.sink.timestamp-zone"));
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

    public URI intakeUri(String staging) {
        return URI.create(url + "/api/v3/staging/intake/" + staging + "?connectorId=" + connectorId);
    }

    public URI tokenUri() {
        return URI.create(url + "/api/v1/oauth2/token");
    }

    @Override
    public String toString() {
        return "CarolConfig[" + url + ", connector " + connectorId + ", auth " + auth + (username != null ? " as " + username : "") + "]";
    }
}
