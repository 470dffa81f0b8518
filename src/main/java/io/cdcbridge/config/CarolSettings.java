package io.cdcbridge.config;

import java.net.URI;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The Carol sink: {@code cdc.carol.*} (docs/carol.md). Validated as a whole by {@code carol.CarolConfig}. */
public final class CarolSettings {

    public static final SettingsArea AREA = new SettingsArea("Carol sink (`cdc.carol.*`)",
            "Records to Carol stagings through the intake API ([docs/carol.md](carol.md)).");

    /** Carol's intake limits: records and bytes per request. */
    public static final int MAX_RECORDS = 500;
    public static final long MAX_REQUEST_BYTES_LIMIT = 10L * 1024 * 1024;

    public static final Setting<URI> URL = AREA.declare(Setting.string("cdc.carol.url")
            .as("URL", CarolSettings::carolUrl, URI::toString)
            .requiredWhen("the sink is enabled")
            .describe("API root `https://<org>.carol.ai` (plain http only for a loopback host); setting it enables the sink"));

    public static final Setting<Boolean> ENABLED = AREA.declare(Setting.bool("cdc.carol.enabled")
            .defaultFrom(s -> s.has(URL), "`true` when `cdc.carol.url` is set")
            .describe("run the sink"));

    public static final Setting<String> CONNECTOR_ID = AREA.declare(Setting.string("cdc.carol.connector-id")
            .requiredWhen("the sink is enabled")
            .describe("the Carol connector the records are sent for"));

    public static final Setting<String> AUTH = AREA.declare(Setting.choice("cdc.carol.auth", "password", "password", "apikey")
            .describe("`password`: OAuth password grant; `apikey`: a connector API key"));

    public static final Setting<String> USERNAME = AREA.declare(Setting.string("cdc.carol.username")
            .requiredWhen("`cdc.carol.auth=password`")
            .describe("user of the password grant"));

    public static final Setting<String> PASSWORD = AREA.declare(Setting.string("cdc.carol.password")
            .secret().requiredWhen("`cdc.carol.auth=password`")
            .describe("password of the password grant (from the environment or `cdc.carol.password.file`)"));

    public static final Setting<String> TENANT = AREA.declare(Setting.string("cdc.carol.tenant")
            .requiredWhen("`cdc.carol.auth=password`")
            .describe("tenant subdomain for the password grant"));

    public static final Setting<String> ORG = AREA.declare(Setting.string("cdc.carol.org")
            .defaultFrom(s -> s.get(TENANT), "the tenant")
            .describe("organization subdomain for the password grant"));

    public static final Setting<String> API_KEY = AREA.declare(Setting.string("cdc.carol.api-key")
            .secret().requiredWhen("`cdc.carol.auth=apikey`")
            .describe("connector API key (from the environment or `cdc.carol.api-key.file`)"));

    public static final Setting<String> AUTH_SCHEME = AREA.declare(Setting.choice("cdc.carol.auth-scheme", "raw", "raw", "bearer")
            .describe("how the token goes in `Authorization`: `raw`, or `bearer` (`Bearer <token>`)"));

    public static final Setting<Duration> TOKEN_REFRESH_AHEAD = AREA.declare(Setting.seconds("cdc.carol.token-refresh-ahead-s", 60)
            .describe("renew the token this long before it expires"));

    public static final Setting<List<String>> TABLES = AREA.declare(SinkSettings.tableList("cdc.carol.tables",
            "include list `schema.table,…`; empty: all captured tables").defaultText("*(all)*"));

    public static final Setting<List<String>> EXCLUDE = AREA.declare(SinkSettings.tableList("cdc.carol.exclude",
            "exclude list `schema.table,…`"));

    public static final Setting<String> STAGING = AREA.declare(Setting.prefix("cdc.carol.staging.<schema>.<table>")
            .matching("[A-Za-z0-9_]+", "must be a staging name (letters, digits, _)")
            .defaultText("the table name in lower case")
            .describe("the staging of one source table"));

    public static final Setting<Map<String, String>> FIELDS = AREA.declare(Setting.prefix("cdc.carol.fields.<staging>")
            .describe("`Source:target,…` selects and renames the staging's fields")
            .as("list of Source[:target]", CarolSettings::fieldList, CarolSettings::formatFields)
            .defaultText("every column, as named"));

    public static final Setting<String> PASSTHROUGH_STAGING = AREA.declare(Setting.prefix("cdc.passthrough.<topic>.carol-staging")
            .matching("[A-Za-z0-9_]{1,1024}", "must be a staging or table name (letters, digits, _)")
            .describe("the topic's JSON records go to this staging as they are (README: passthrough)"));

    public static final Setting<String> NUMERIC_AS = AREA.declare(Setting.choice("cdc.carol.numeric-as", "number", "number", "string")
            .describe("`numeric` columns as exact JSON numbers, or as the decimal string"));

    public static final Setting<Integer> BATCH_SIZE = AREA.declare(Setting.integer("cdc.carol.batch-size", MAX_RECORDS)
            .range(1, MAX_RECORDS)
            .describe("records per Kafka batch and per request"));

    public static final Setting<Duration> BATCH_TIMEOUT = AREA.declare(Setting.millis("cdc.carol.batch-timeout-ms", 100).min(1)
            .describe("a smaller batch is sent after this long"));

    public static final Setting<Long> MAX_REQUEST_BYTES = AREA.declare(Setting.bytes("cdc.carol.max-request-bytes", 9_000_000L)
            .range(1024, MAX_REQUEST_BYTES_LIMIT)
            .describe("JSON bytes per request, before gzip"));

    public static final Setting<Duration> TIMEOUT = AREA.declare(Setting.millis("cdc.carol.timeout-ms", 30_000).min(1)
            .describe("connect and response timeout of Carol's token and intake calls"));

    public static final Setting<Integer> CONSUMERS = AREA.declare(Setting.integer("cdc.carol.consumers", 1).range(1, 64)
            .describe("Kafka consumers (threads) of the sink in this instance; useful up to the topics' partitions"));

    public static final Setting<String> GROUP_ID = AREA.declare(Setting.string("cdc.carol.group-id", "cdc-bridge-carol")
            .describe("Kafka consumer group"));

    public static final Setting<Duration> METADATA_MAX_AGE = AREA.declare(Setting.millis("cdc.carol.metadata-max-age-ms", 5000).min(1)
            .describe("how soon a new table's topic is picked up"));

    public static final Setting<Duration> MAX_POLL_INTERVAL = AREA.declare(Setting.millis("cdc.carol.max-poll-interval-ms", 900_000).min(1)
            .describe("longest a batch may take, retries included, before Kafka drops the consumer from its group"));

    public static final Setting<String> TOPIC_PATTERN = AREA.declare(SinkSettings.topicPattern("carol"));

    public static final Setting<String> TOKEN_PATH = AREA.declare(Setting.string("cdc.carol.token-path", "/api/v5/oauth2/token")
            .check(p -> p.startsWith("/") && !p.contains("?") && !p.contains("#"), "must be a path starting with '/', without a query")
            .describe("the token endpoint under `cdc.carol.url` (pycarol 2.56+ uses this one)"));

    public static final Setting<String> INTAKE_PATH = AREA.declare(Setting.string("cdc.carol.intake-path", "/api/v3/staging/intake/{staging}")
            .check(p -> p.startsWith("/") && !p.contains("?") && !p.contains("#") && p.contains("{staging}"),
                    "must be a path starting with '/', without a query, with {staging} in it")
            .describe("the intake endpoint under `cdc.carol.url`; `?connectorId=` is added"));

    public static final Setting<Boolean> MANAGE_SCHEMAS = AREA.declare(Setting.bool("cdc.carol.manage-schemas", true)
            .describe("the bridge creates each staging's schema from its table, and adds the columns a table gains"));

    /** What the sink does with a TRUNCATE (op t): Carol's intake has no operation that empties a staging. */
    public static final String TRUNCATE_DEAD_LETTER = "dead-letter";
    public static final String TRUNCATE_IGNORE = "ignore";

    public static final Setting<String> TRUNCATE = AREA.declare(Setting.choice("cdc.carol.truncate", TRUNCATE_DEAD_LETTER,
                    TRUNCATE_DEAD_LETTER, TRUNCATE_IGNORE)
            .describe("a TRUNCATE of a source table, which Carol cannot apply: `dead-letter` puts the truncate event in "
                    + "the sink's dead-letter topic, its cause saying so, for an operator to act on; `ignore` leaves the "
                    + "staging as it is, with a warning naming the table (docs/carol.md, \"TRUNCATE\")"));

    public static final Setting<List<String>> CROSSWALK = AREA.declare(Setting.prefix("cdc.carol.crosswalk.<schema>.<table>")
            .as("list of columns", v -> {
                List<String> keys = new java.util.ArrayList<>();
                for (String c : v.split(",")) {
                    if (!c.isBlank()) {
                        keys.add(c.trim());
                    }
                }
                if (keys.isEmpty()) {
                    throw new IllegalArgumentException("must list the columns that identify a record");
                }
                return List.copyOf(keys);
            }, v -> String.join(",", v))
            .defaultText("the table's primary key")
            .describe("the columns that identify a record of the table's staging (its crosswalk)"));

    public static final SinkSettings.Keys KEYS = new SinkSettings.Keys("carol", ENABLED, TABLES, EXCLUDE, BATCH_SIZE,
            BATCH_TIMEOUT, MAX_REQUEST_BYTES, CONSUMERS, GROUP_ID, MAX_POLL_INTERVAL, METADATA_MAX_AGE, TOPIC_PATTERN,
            null, null);

    private CarolSettings() {
    }

    /** https, or http for a loopback host (tests, fakes); without a trailing slash. */
    private static URI carolUrl(String raw) {
        URI url;
        try {
            url = URI.create(raw.endsWith("/") ? raw.substring(0, raw.length() - 1) : raw);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("is not a URL");
        }
        String host = url.getHost();
        boolean loopback = "localhost".equals(host) || "127.0.0.1".equals(host) || "[::1]".equals(host);
        if (!"https".equals(url.getScheme()) && !("http".equals(url.getScheme()) && loopback)) {
            throw new IllegalArgumentException("must be https:// (plain http only for a loopback host)");
        }
        return url;
    }

    /** {@code UserId:userid,UserName} → UserId→userid, UserName→UserName (order kept). */
    private static Map<String, String> fieldList(String spec) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String part : spec.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            String[] st = p.split(":", 2);
            String target = st.length == 2 ? st[1].trim() : st[0].trim();
            if (st[0].isBlank() || target.isBlank()) {
                throw new IllegalArgumentException("entries must be Source or Source:target (in '" + p + "')");
            }
            out.put(st[0].trim(), target);
        }
        return Collections.unmodifiableMap(out);
    }

    private static String formatFields(Map<String, String> fields) {
        return fields.entrySet().stream()
                .map(e -> e.getKey().equals(e.getValue()) ? e.getKey() : e.getKey() + ":" + e.getValue())
                .collect(Collectors.joining(","));
    }
}
