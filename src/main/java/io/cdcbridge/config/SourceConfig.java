package io.cdcbridge.config;

/** Where capture reads from ({@code cdc.source.*}), validated. */
public record SourceConfig(String host, int port, String database, String user, String password, String tables,
                           String slot, String publication, String snapshotMode, long pollIntervalMs,
                           long reconnectDelayMs, long heartbeatIntervalMs, java.util.Map<String, String> debezium) {

    public static SourceConfig from(Settings s) {
        String slot = s.get("cdc.source.slot", "cdc_bridge");
        if (!slot.matches("[a-z0-9_]{1,63}")) {
            throw new ConfigException("cdc.source.slot", "must be 1-63 characters of lower-case letters, digits and _ (a Postgres replication slot name), got '" + slot + "'");
        }
        String tables = s.get("cdc.source.tables", "");
        for (String t : tables.split(",")) {
            if (!t.isBlank() && !t.trim().contains(".")) {
                throw new ConfigException("cdc.source.tables", "entries must be schema.table, got '" + t.trim() + "'");
            }
        }
        return new SourceConfig(s.require("cdc.source.host"), s.getPort("cdc.source.port", 5432),
                s.get("cdc.source.database", "postgres"), s.get("cdc.source.user", "postgres"),
                s.get("cdc.source.password", ""), tables, slot, s.get("cdc.source.publication", "cdc_bridge"),
                s.getChoice("cdc.source.snapshot-mode", "initial", "initial", "always", "no_data", "never",
                        "when_needed", "initial_only", "recovery"),
                positive(s, "cdc.capture.poll-interval-ms", 10),
                positive(s, "cdc.capture.reconnect-delay-ms", 2000),
                positive(s, "cdc.capture.heartbeat-interval-ms", 10_000),
                s.under("cdc.capture.debezium."));
    }

    private static long positive(Settings s, String key, long def) {
        long v = s.getLong(key, def);
        if (v < 1) {
            throw new ConfigException(key, "must be a positive number of milliseconds, got " + v);
        }
        return v;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** Debezium's table include list: {@code public.Users} → regex {@code public\.Users} (names are case-sensitive). */
    public String includeListRegex() {
        if (tables.isBlank()) {
            return "";
        }
        StringBuilder sb = new StringBuilder();
        for (String t : tables.split(",")) {
            if (!t.isBlank()) {
                sb.append(sb.isEmpty() ? "" : ",").append(t.trim().replace(".", "\\."));
            }
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "SourceConfig[" + user + "@" + host + ":" + port + "/" + database + ", slot=" + slot + "]";
    }
}
