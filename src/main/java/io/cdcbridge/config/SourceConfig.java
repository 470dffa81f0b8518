package io.cdcbridge.config;

/** Where capture reads from ({@link SourceSettings}, and the engine's {@link CaptureSettings}), validated. */
public record SourceConfig(String host, int port, String database, String user, String password, String tables,
                           String slot, String publication, String snapshotMode, long pollIntervalMs,
                           long reconnectDelayMs, long heartbeatIntervalMs, java.util.Map<String, String> debezium) {

    public static SourceConfig from(Settings s) {
        // the names first: a bad slot or table list is the likelier mistake, and reported before a missing host
        String slot = s.get(SourceSettings.SLOT);
        String tables = String.join(",", s.get(SourceSettings.TABLES));
        String password = s.get(SourceSettings.PASSWORD);
        return new SourceConfig(s.require(SourceSettings.HOST), s.get(SourceSettings.PORT), s.get(SourceSettings.DATABASE),
                s.get(SourceSettings.USER), password == null ? "" : password, tables,
                slot, s.get(SourceSettings.PUBLICATION), s.get(SourceSettings.SNAPSHOT_MODE),
                s.get(CaptureSettings.POLL_INTERVAL).toMillis(), s.get(CaptureSettings.RECONNECT_DELAY).toMillis(),
                s.get(CaptureSettings.HEARTBEAT_INTERVAL).toMillis(), s.under(CaptureSettings.DEBEZIUM));
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
