package io.cdcbridge.carol;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SinkSettings;

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
 * @param ignoreTruncates {@code cdc.carol.truncate=ignore}: a TRUNCATE is logged and counted, not dead-lettered
 */
public record CarolConfig(URI url, String connectorId, String auth, String username, String password, String tenant,
                          String org, String apiKey, String authScheme, long refreshAheadMs, Set<String> tables,
                          Set<String> exclude, Map<String, String> stagings, Map<String, Map<String, String>> fields,
                          int batchSize, long maxRequestBytes, long timeoutMs, boolean numericAsNumber,
                          java.time.ZoneId timestampZone, String tokenPath, String intakePath, boolean manageSchemas,
                          Map<String, List<String>> crosswalks, boolean ignoreTruncates) {

    public static final int MAX_RECORDS = CarolSettings.MAX_RECORDS;
    public static final long MAX_BYTES = CarolSettings.MAX_REQUEST_BYTES_LIMIT;
    /** Where pycarol reads (GET), creates (POST) and overwrites (PUT) a staging's schema. */
    public static final String SCHEMA_PATH = "/api/v2/staging/tables/{staging}/schema";

    public static CarolConfig from(Settings s) {
        URI url = s.require(CarolSettings.URL);
        String auth = s.get(CarolSettings.AUTH);
        String user = null;
        String password = null;
        String tenant = null;
        String org = null;
        String apiKey = null;
        if (auth.equals("password")) {
            user = s.require(CarolSettings.USERNAME);
            password = s.require(CarolSettings.PASSWORD);
            tenant = s.require(CarolSettings.TENANT);
            org = s.get(CarolSettings.ORG);
        } else {
            apiKey = s.require(CarolSettings.API_KEY);
        }
        int batch = s.get(CarolSettings.BATCH_SIZE);
        long bytes = s.get(CarolSettings.MAX_REQUEST_BYTES);
        Map<String, String> stagings = new HashMap<>(s.under(CarolSettings.STAGING));
        Map<String, Map<String, String>> fields = new HashMap<>(s.under(CarolSettings.FIELDS));
        Map<String, List<String>> crosswalks = new HashMap<>();
        s.under(CarolSettings.CROSSWALK).forEach((table, columns) -> {
            if (!table.contains(".")) {
                throw new ConfigException(CarolSettings.CROSSWALK.key(table), "must be " + CarolSettings.CROSSWALK.pattern() + "=column,…");
            }
            crosswalks.put(table, columns);
        });
        return new CarolConfig(url, s.require(CarolSettings.CONNECTOR_ID), auth, user, password, tenant, org, apiKey,
                s.get(CarolSettings.AUTH_SCHEME), s.get(CarolSettings.TOKEN_REFRESH_AHEAD).toMillis(),
                new TreeSet<>(s.get(CarolSettings.TABLES)), new TreeSet<>(s.get(CarolSettings.EXCLUDE)), stagings, fields,
                batch, bytes, s.get(CarolSettings.TIMEOUT).toMillis(), s.get(CarolSettings.NUMERIC_AS).equals("number"),
                s.get(SinkSettings.TIMESTAMP_ZONE), s.get(CarolSettings.TOKEN_PATH), s.get(CarolSettings.INTAKE_PATH),
                s.get(CarolSettings.MANAGE_SCHEMAS), Map.copyOf(crosswalks),
                s.get(CarolSettings.TRUNCATE).equals(CarolSettings.TRUNCATE_IGNORE));
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
