package io.cdcbridge.carol;

import java.net.URI;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SinkSettings;

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

    public static final int MAX_RECORDS = CarolSettings.MAX_RECORDS;
    public static final long MAX_BYTES = CarolSettings.MAX_REQUEST_BYTES_LIMIT;

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
        return new CarolConfig(url, s.require(CarolSettings.CONNECTOR_ID), auth, user, password, tenant, org, apiKey,
                s.get(CarolSettings.AUTH_SCHEME), s.get(CarolSettings.TOKEN_REFRESH_AHEAD).toMillis(),
                new TreeSet<>(s.get(CarolSettings.TABLES)), new TreeSet<>(s.get(CarolSettings.EXCLUDE)), stagings, fields,
                batch, bytes, s.get(CarolSettings.TIMEOUT).toMillis(), s.get(CarolSettings.NUMERIC_AS).equals("number"),
                s.get(SinkSettings.TIMESTAMP_ZONE));
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
