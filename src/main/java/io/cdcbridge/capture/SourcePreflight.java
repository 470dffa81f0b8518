package io.cdcbridge.capture;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.config.SourceSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before capture starts, what would otherwise fail deep inside Debezium with a wall of stack trace: the
 * database is reachable, {@code wal_level=logical}, the user may replicate. Each problem becomes one
 * {@link ConfigException} naming the setting to fix. Also warns about tables whose updates and deletes would arrive
 * without a before-image (no primary key and no {@code REPLICA IDENTITY FULL}) and, when the Carol sink runs, about
 * tables whose updates may leave an unchanged TOAST value out of Carol's records (no {@code REPLICA IDENTITY FULL}).
 */
public final class SourcePreflight {

    private static final Logger LOG = LoggerFactory.getLogger(SourcePreflight.class);

    private SourcePreflight() {
    }

    public static void check(SourceConfig src) {
        check(src, false);
    }

    /**
     * @param carol whether the Carol sink runs: then also warns about tables whose updates can leave a large value out
     *              (TOAST), which Carol's whole-record-per-key staging would lose (docs/carol.md, "Records")
     */
    public static void check(SourceConfig src, boolean carol) {
        Properties p = new Properties();
        p.setProperty("user", src.user());
        p.setProperty("password", src.password());
        p.setProperty("connectTimeout", "10");
        p.setProperty("loginTimeout", "10");
        try (Connection c = DriverManager.getConnection(src.jdbcUrl(), p); Statement st = c.createStatement()) {
            String wal = one(st, "SHOW wal_level");
            if (!"logical".equals(wal)) {
                throw new ConfigException(SourceSettings.HOST.key(), "Postgres at " + src.host() + ":" + src.port()
                        + " has wal_level=" + wal + "; capture needs wal_level=logical (ALTER SYSTEM SET wal_level = logical; then restart Postgres)");
            }
            String canReplicate = one(st, "SELECT (rolreplication OR rolsuper)::text FROM pg_roles WHERE rolname = current_user");
            if (!"true".equals(canReplicate)) {
                throw new ConfigException(SourceSettings.USER.key(), "user '" + src.user()
                        + "' may not use replication (ALTER ROLE \"" + src.user() + "\" WITH REPLICATION)");
            }
            warnTablesWithoutKey(st, src);
            if (carol) {
                warnToastWithoutFullIdentity(st, src);
            }
        } catch (SQLException e) {
            throw translate(src, e);
        }
    }

    private static void warnTablesWithoutKey(Statement st, SourceConfig src) throws SQLException {
        List<String> bad = new ArrayList<>();
        try (ResultSet rs = st.executeQuery("""
                SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema')
                  AND n.nspname NOT LIKE 'pg_toast%' AND c.relreplident <> 'f'
                  AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND (i.indisprimary OR i.indisreplident))
                ORDER BY 1, 2""")) {
            while (rs.next()) {
                String name = rs.getString(1) + "." + rs.getString(2);
                if (included(src, name)) {
                    bad.add(name);
                }
            }
        }
        if (!bad.isEmpty()) {
            LOG.warn("Tables without a primary key and without REPLICA IDENTITY FULL: {}. Their inserts are captured, "
                    + "but updates and deletes carry no before-image (and Postgres refuses UPDATE/DELETE on them once "
                    + "they are in the publication). Fix: ALTER TABLE <table> REPLICA IDENTITY FULL", String.join(", ", bad));
        }
    }

    /**
     * Tables with a column Postgres may store out of line (TOAST: any type whose storage is not plain, e.g. text,
     * varchar, bytea, json, jsonb, numeric, arrays) and without REPLICA IDENTITY FULL. An update that leaves such a
     * value unchanged does not carry it, and only a whole before-image lets the Carol sink fill it in.
     */
    static final String TOASTABLE_WITHOUT_FULL_IDENTITY = """
            SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema')
              AND n.nspname NOT LIKE 'pg_toast%' AND c.relreplident <> 'f'
              AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                          AND a.attstorage <> 'p')
            ORDER BY 1, 2""";

    private static void warnToastWithoutFullIdentity(Statement st, SourceConfig src) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (ResultSet rs = st.executeQuery(TOASTABLE_WITHOUT_FULL_IDENTITY)) {
            while (rs.next()) {
                String name = rs.getString(1) + "." + rs.getString(2);
                if (included(src, name)) {
                    tables.add(name);
                }
            }
        }
        if (!tables.isEmpty()) {
            String names = tables.size() <= 20 ? String.join(", ", tables)
                    : String.join(", ", tables.subList(0, 20)) + " and " + (tables.size() - 20) + " more";
            LOG.warn("Tables with TOAST-able columns (text, bytea, json, numeric, arrays, …) and without REPLICA IDENTITY FULL: {}. "
                    + "An update that leaves a large value unchanged does not carry it, so their Carol records then lack it "
                    + "(Carol keeps the whole last record per key). Fix: ALTER TABLE <table> REPLICA IDENTITY FULL "
                    + "(each update and delete then logs the whole old row)", names);
        }
    }

    private static boolean included(SourceConfig src, String table) {
        if (src.tables().isBlank()) {
            return true;
        }
        for (String t : src.tables().split(",")) {
            if (t.trim().equals(table)) {
                return true;
            }
        }
        return false;
    }

    private static String one(Statement st, String sql) throws SQLException {
        try (ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static ConfigException translate(SourceConfig src, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = src.host() + ":" + src.port() + "/" + src.database();
        if (state.equals("28P01") || state.equals("28000")) {
            return new ConfigException(SourceSettings.PASSWORD.key(), "Postgres at " + where + " refused user '" + src.user() + "' (authentication failed)");
        }
        if (state.equals("3D000")) {
            return new ConfigException(SourceSettings.DATABASE.key(), "database '" + src.database() + "' does not exist at " + src.host() + ":" + src.port());
        }
        if (state.startsWith("08")) {
            return new ConfigException(SourceSettings.HOST.key(), "cannot reach Postgres at " + where + " (" + firstLine(e.getMessage()) + ")");
        }
        return new ConfigException(SourceSettings.HOST.key(), "Postgres at " + where + ": " + firstLine(e.getMessage()));
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
