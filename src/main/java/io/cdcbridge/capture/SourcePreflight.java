package io.cdcbridge.capture;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.config.SourceSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, before capture starts, what would otherwise fail deep inside Debezium with a wall of stack trace, by asking
 * the server rather than reading catalog flags: it logs in (with the TLS of {@code cdc.source.ssl-mode}), reads
 * {@code wal_level}, opens a replication connection as Debezium will (so a right that comes from role membership,
 * as {@code rds_replication} on Amazon RDS, counts, and a refusal is reported in the server's words), asks
 * {@code has_table_privilege} for each captured table, and looks at the publication: one that exists is used as it is
 * when the user may not change it (a DBA's), and must then cover the configured tables; a missing one must be one the
 * user may create. Each problem is one line naming the setting to fix ({@link Problem}); {@link #check} stops start-up
 * with all of them in one {@link ConfigException}. Also warns about tables whose updates and deletes would arrive
 * without a before-image (no primary key and no {@code REPLICA IDENTITY FULL}) and, when the Carol sink runs, about
 * tables whose updates may leave an unchanged TOAST value out of Carol's records (no {@code REPLICA IDENTITY FULL}).
 * Recipes per platform: docs/postgres.md.
 */
public final class SourcePreflight {

    private static final Logger LOG = LoggerFactory.getLogger(SourcePreflight.class);

    /** Debezium's {@code publication.autocreate.mode} values the preflight picks between. */
    public static final String USE_AS_IS = "disabled";
    public static final String CREATE_OR_SYNC = "filtered";
    /**
     * Creates a missing publication {@code FOR ALL TABLES} (Debezium uses an existing one as it is): a table created
     * later is in it at once, so it streams from its first row without a restart (issue 21 item 1).
     */
    public static final String ALL_TABLES = "all_tables";

    private SourcePreflight() {
    }

    /** One thing to fix: the setting it concerns and one line saying what is wrong and what to do. Never a secret. */
    public record Problem(String key, String line) {
        @Override
        public String toString() {
            return key + ": " + line;
        }
    }

    /**
     * What the preflight found.
     *
     * @param publicationMode Debezium's {@code publication.autocreate.mode}: {@link #USE_AS_IS} for an existing
     *                        publication the user may not change, {@link #ALL_TABLES} to create a missing one for all
     *                        tables (every table captured, by a superuser), else {@link #CREATE_OR_SYNC}
     * @param published       the tables ({@code schema.table}) the existing publication covers; empty when it is missing
     */
    public record Report(List<Problem> problems, String publicationMode, boolean publicationExists, Set<String> published,
                         Map<String, String> leftOut) {
        public Report(List<Problem> problems, String publicationMode, boolean publicationExists, Set<String> published) {
            this(problems, publicationMode, publicationExists, published, Map.of());
        }

        public boolean ok() {
            return problems.isEmpty();
        }
    }

    public static Report check(SourceConfig src) {
        return check(src, false);
    }

    /**
     * {@link #inspect}, and a {@link ConfigException} (one line per problem, the first one's key) if anything is wrong.
     *
     * @param carol whether the Carol sink runs: then also warns about tables whose updates can leave a large value out
     *              (TOAST), which Carol's whole-record-per-key staging would lose (docs/carol.md, "Records")
     */
    public static Report check(SourceConfig src, boolean carol) {
        Report r = inspect(src, carol);
        if (!r.ok()) {
            StringBuilder text = new StringBuilder(r.problems().get(0).line());
            for (Problem p : r.problems().subList(1, r.problems().size())) {
                text.append('\n').append(p);
            }
            throw new ConfigException(r.problems().get(0).key(), text.toString());
        }
        return r;
    }

    /** Asks the server everything {@link #check} checks; returns the problems rather than throwing them. */
    public static Report inspect(SourceConfig src, boolean carol) {
        List<Problem> problems = new ArrayList<>();
        Properties p = src.jdbcProperties();
        p.setProperty("connectTimeout", "10");
        p.setProperty("loginTimeout", "10");
        p.setProperty("ApplicationName", "cdc-bridge-preflight");
        try (Connection c = DriverManager.getConnection(src.jdbcUrl(), p)) {
            String wal = one(c, "SHOW wal_level");
            if (!"logical".equals(wal)) {
                problems.add(new Problem(SourceSettings.HOST.key(), "Postgres at " + src.host() + ":" + src.port()
                        + " has wal_level=" + wal + "; capture needs wal_level=logical (self-managed: ALTER SYSTEM SET wal_level = logical, "
                        + "then restart; RDS/Aurora: rds.logical_replication=1; Cloud SQL: cloudsql.logical_decoding=on; AlloyDB: "
                        + "alloydb.logical_decoding=on; Azure: wal_level=logical; see docs/postgres.md)"));
            }
            replicationRight(src, problems);
            boolean superuser = "on".equals(one(c, "SELECT current_setting('is_superuser')"));
            String runsAs = one(c, "SELECT current_user");
            Publication pub = publication(c, src.publication());
            List<String> targets = targets(c, src, pub);
            List<String> readable = readable(c, src, targets, problems);
            String mode = CREATE_OR_SYNC;
            if (pub != null) {
                boolean mayChange = !pub.allTables && (superuser || (pub.ownedByUser && ownsAll(c, readable)));
                mode = mayChange ? CREATE_OR_SYNC : USE_AS_IS;
                if (!pub.insert || !pub.update || !pub.delete) {
                    LOG.warn("Publication '{}' does not publish every change (insert={}, update={}, delete={}): capture misses the "
                            + "others. Fix (the DBA): ALTER PUBLICATION {} SET (publish = 'insert, update, delete')",
                            src.publication(), pub.insert, pub.update, pub.delete, ident(src.publication()));
                }
                if (mayChange) {
                    LOG.info("Publication '{}' exists; its tables are kept equal to {}", src.publication(),
                            src.tables().isBlank() ? "all tables" : SourceSettings.TABLES.key());
                } else {
                    List<String> missing = new ArrayList<>();
                    if (!pub.allTables && !src.tables().isBlank()) {
                        for (String t : configured(src)) {
                            if (!pub.tables.contains(t)) {
                                missing.add(t);
                            }
                        }
                    }
                    if (!missing.isEmpty()) {
                        problems.add(new Problem(SourceSettings.PUBLICATION.key(), String.join(", ", missing)
                                + (missing.size() == 1 ? " is" : " are") + " in " + SourceSettings.TABLES.key() + " but not in publication '"
                                + src.publication() + "' (owner " + pub.owner + "), which user '" + src.user() + "' may not change: "
                                + "ask its owner to run ALTER PUBLICATION " + ident(src.publication()) + " ADD TABLE "
                                + qualified(missing) + ";"));
                    } else {
                        LOG.info("Publication '{}' (owner {}) is used as it is: {}", src.publication(), pub.owner,
                                pub.allTables ? "FOR ALL TABLES" : "tables " + String.join(", ", pub.tables));
                    }
                }
            } else if (!superuser && !mayCreate(c, readable.isEmpty() ? targets : readable)) {
                problems.add(new Problem(SourceSettings.PUBLICATION.key(), "publication '" + src.publication()
                        + "' does not exist in database " + src.database() + ", and user '" + src.user() + "'"
                        + (src.user().equals(runsAs) ? "" : " (running as '" + runsAs + "')")
                        + " may not create it (that needs a superuser, or CREATE on the database and ownership of the tables): "
                        + "ask the DBA to run CREATE PUBLICATION " + ident(src.publication())
                        + (targets.isEmpty() ? " FOR ALL TABLES" : " FOR TABLE " + qualified(targets)) + ";"));
            }
            try (Statement st = c.createStatement()) {
                warnTablesWithoutKey(st, src);
                if (carol) {
                    warnToastWithoutFullIdentity(st, src);
                }
            }
            Map<String, String> leftOut = uncapturable(c, readable);
            leftOut.forEach((table, why) -> LOG.error("Table {} is left out of capture: {}; every other table is captured", table, why));
            if (pub == null && src.tables().isBlank() && superuser && leftOut.isEmpty()) {
                // capturing every table: FOR ALL TABLES (only a superuser may create one) takes in tables created later
                // too. Not while a table is left out: in such a publication Debezium would still decode its changes, and
                // refuse them; the publication is then FOR TABLE the others, and a new table waits for a restart.
                mode = ALL_TABLES;
            } else if (pub == null && src.tables().isBlank()) {
                LOG.info("Publication '{}' will list the tables that exist now: a table created later is captured after a restart{}",
                        src.publication(), superuser ? "" : " (a publication FOR ALL TABLES, which takes them in at once, needs a superuser)");
            }
            if (!leftOut.isEmpty() && !src.tables().isBlank() && leftOut.keySet().containsAll(readable)) {
                problems.add(new Problem(SourceSettings.TABLES.key(), "every table it names is left out of capture ("
                        + String.join("; ", leftOut.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList()) + ")"));
            }
            return new Report(List.copyOf(problems), mode, pub != null, pub == null ? Set.of() : Set.copyOf(pub.tables),
                    Map.copyOf(leftOut));
        } catch (SQLException e) {
            problems.add(translate(src, e));
            return new Report(List.copyOf(problems), CREATE_OR_SYNC, false, Set.of());
        }
    }

    /**
     * Opens a replication connection, as Debezium's streaming does, and runs {@code IDENTIFY_SYSTEM}: whether the user may
     * replicate is the server's answer, whatever grants it (the REPLICATION attribute, {@code rds_replication}, …).
     */
    private static void replicationRight(SourceConfig src, List<Problem> problems) {
        Properties p = src.jdbcProperties();
        p.setProperty("connectTimeout", "10");
        p.setProperty("loginTimeout", "10");
        p.setProperty("ApplicationName", "cdc-bridge-preflight");
        p.setProperty("replication", "database");
        p.setProperty("assumeMinServerVersion", "10");
        p.setProperty("preferQueryMode", "simple");
        try (Connection r = DriverManager.getConnection(src.jdbcUrl(), p); Statement st = r.createStatement();
             ResultSet rs = st.executeQuery("IDENTIFY_SYSTEM")) {
            rs.next();
        } catch (SQLException e) {
            problems.add(new Problem(SourceSettings.USER.key(), "Postgres at " + src.host() + ":" + src.port()
                    + " refuses user '" + src.user() + "' a replication connection (" + serverWords(e) + "); grant it: ALTER ROLE "
                    + ident(src.user()) + " WITH REPLICATION (Amazon RDS/Aurora: GRANT rds_replication TO " + ident(src.user())
                    + "; docs/postgres.md)"));
        }
    }

    private record Publication(boolean allTables, String owner, boolean ownedByUser, boolean insert, boolean update,
                               boolean delete, List<String> tables) {
    }

    private static Publication publication(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT puballtables, pg_get_userbyid(pubowner), pg_has_role(pubowner, 'USAGE'), "
                + "pubinsert, pubupdate, pubdelete FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                List<String> tables = new ArrayList<>();
                try (PreparedStatement t = c.prepareStatement(
                        "SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ? ORDER BY 1, 2")) {
                    t.setString(1, name);
                    try (ResultSet trs = t.executeQuery()) {
                        while (trs.next()) {
                            tables.add(trs.getString(1) + "." + trs.getString(2));
                        }
                    }
                }
                return new Publication(rs.getBoolean(1), rs.getString(2), rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5),
                        rs.getBoolean(6), tables);
            }
        }
    }

    /** The tables capture will read: the configured ones; else those of an existing publication; else every table. */
    /**
     * Tables Debezium refuses to capture, and why: one such table would stop capture of every table (Debezium fails the
     * whole snapshot or stream), so they are left out and named instead (docs/postgres.md, "Tables left out"). Today
     * that is a table with columns whose names differ only by case ({@code "Name"} and {@code name}), which Debezium
     * refuses as a source of data corruption.
     */
    static Map<String, String> uncapturable(Connection c, List<String> tables) throws SQLException {
        Map<String, String> out = new java.util.TreeMap<>();
        try (PreparedStatement ps = c.prepareStatement("""
                SELECT string_agg(quote_ident(a.attname), ' and ' ORDER BY a.attnum)
                FROM pg_attribute a WHERE a.attrelid = to_regclass(quote_ident(?) || '.' || quote_ident(?))
                  AND a.attnum > 0 AND NOT a.attisdropped
                GROUP BY lower(a.attname) HAVING count(*) > 1""")) {
            for (String t : tables) {
                int dot = t.indexOf('.');
                ps.setString(1, t.substring(0, dot));
                ps.setString(2, t.substring(dot + 1));
                List<String> clashes = new ArrayList<>();
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        clashes.add(rs.getString(1));
                    }
                }
                if (!clashes.isEmpty()) {
                    out.put(t, "its columns " + String.join(", ", clashes) + " differ only by case, which Debezium does not "
                            + "capture; rename one of them (ALTER TABLE " + ident(t.substring(0, dot)) + "." + ident(t.substring(dot + 1))
                            + " RENAME COLUMN ... TO ...) and restart; see docs/postgres.md, Tables left out");
                }
            }
        }
        return out;
    }

    private static List<String> targets(Connection c, SourceConfig src, Publication pub) throws SQLException {
        if (!src.tables().isBlank()) {
            return configured(src);
        }
        if (pub != null && !pub.allTables) {
            return pub.tables;
        }
        List<String> all = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("""
                SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r','p') AND NOT c.relispartition AND n.nspname NOT IN ('pg_catalog','information_schema')
                  AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%' ORDER BY 1, 2""")) {
            while (rs.next()) {
                all.add(rs.getString(1) + "." + rs.getString(2));
            }
        }
        return all;
    }

    /** The targets that exist and the user may SELECT; each one that does not, or may not, is a problem. */
    private static List<String> readable(Connection c, SourceConfig src, List<String> targets, List<Problem> problems) throws SQLException {
        List<String> ok = new ArrayList<>();
        List<String> absent = new ArrayList<>();
        List<String> unreadable = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT r, r IS NOT NULL AND has_table_privilege(r, 'SELECT') "
                + "FROM (SELECT to_regclass(quote_ident(?) || '.' || quote_ident(?)) AS r) x")) {
            for (String t : targets) {
                int dot = t.indexOf('.');
                ps.setString(1, t.substring(0, dot));
                ps.setString(2, t.substring(dot + 1));
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getString(1) == null) {
                        absent.add(t);
                    } else if (!rs.getBoolean(2)) {
                        unreadable.add(t);
                    } else {
                        ok.add(t);
                    }
                }
            }
        }
        if (!absent.isEmpty()) {
            problems.add(new Problem(SourceSettings.TABLES.key(), "no table " + String.join(", ", absent) + " in database "
                    + src.database() + " (names are case-sensitive, schema.table as in Postgres)"));
        }
        if (!unreadable.isEmpty()) {
            problems.add(new Problem(SourceSettings.TABLES.key(), "user '" + src.user() + "' may not read " + String.join(", ", unreadable)
                    + " (the snapshot SELECTs them): GRANT SELECT ON " + qualified(unreadable) + " TO " + ident(src.user()) + ";"));
        }
        return ok;
    }

    private static boolean ownsAll(Connection c, List<String> tables) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_has_role(c.relowner, 'USAGE') FROM pg_class c "
                + "WHERE c.oid = to_regclass(quote_ident(?) || '.' || quote_ident(?))")) {
            for (String t : tables) {
                int dot = t.indexOf('.');
                ps.setString(1, t.substring(0, dot));
                ps.setString(2, t.substring(dot + 1));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || !rs.getBoolean(1)) {
                        return false;
                    }
                }
            }
        }
        return true;
    }

    /** CREATE PUBLICATION … FOR TABLE needs CREATE on the database and ownership of each table (Postgres docs). */
    private static boolean mayCreate(Connection c, List<String> tables) throws SQLException {
        return "true".equals(one(c, "SELECT has_database_privilege(current_database(), 'CREATE')::text")) && ownsAll(c, tables);
    }

    private static List<String> configured(SourceConfig src) {
        List<String> out = new ArrayList<>();
        for (String t : src.tables().split(",")) {
            if (!t.isBlank()) {
                out.add(t.trim());
            }
        }
        return out;
    }

    /** An identifier as SQL needs it: bare when Postgres would keep it as it is, else double-quoted. */
    static String ident(String name) {
        return name.matches("[a-z_][a-z0-9_$]*") ? name : "\"" + name.replace("\"", "\"\"") + "\"";
    }

    private static String qualified(List<String> tables) {
        List<String> out = new ArrayList<>();
        for (String t : tables) {
            int dot = t.indexOf('.');
            out.add(ident(t.substring(0, dot)) + "." + ident(t.substring(dot + 1)));
        }
        return String.join(", ", out);
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
                    + "(each update and delete then logs the whole old row), or cdc.capture.reselect-unchanged=true", names);
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

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static Problem translate(SourceConfig src, SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String where = src.host() + ":" + src.port() + "/" + src.database();
        String words = serverWords(e);
        String ssl = SourceSettings.SSL_MODE.key();
        if (words.contains("could not be verified by hostnameverifier")) {
            return new Problem(ssl, "the certificate of Postgres at " + src.host() + ":" + src.port() + " does not name '" + src.host()
                    + "' (" + ssl + "=" + src.sslMode() + " checks the host name): set " + SourceSettings.HOST.key()
                    + " to a name the certificate holds (" + words + ")");
        }
        if (tlsTrust(e)) {
            return new Problem(SourceSettings.SSL_ROOT_CERT.key(), "the certificate of Postgres at " + src.host() + ":" + src.port()
                    + " is not signed by a CA in " + (src.sslRootCert().isEmpty() ? "the JVM's trust store (" + SourceSettings.SSL_ROOT_CERT.key()
                    + " is not set)" : src.sslRootCert()) + ": point " + SourceSettings.SSL_ROOT_CERT.key()
                    + " at the CA file your provider publishes (docs/postgres.md) (" + words + ")");
        }
        if (words.contains("SSL root certificate") || words.contains("sslrootcert")) {
            return new Problem(SourceSettings.SSL_ROOT_CERT.key(), "cannot use " + src.sslRootCert() + " as CA file (" + words + ")");
        }
        if (words.contains("does not support SSL")) {
            return new Problem(ssl, "Postgres at " + src.host() + ":" + src.port() + " does not offer TLS, and " + ssl + "="
                    + src.sslMode() + " requires it");
        }
        if (state.equals("28000") && words.contains("no encryption")) {
            // pg_hba.conf has hostssl (or reject) for this user: the server wants TLS
            return new Problem(ssl, "Postgres at " + where + " refuses user '" + src.user() + "' without TLS (" + words + "): set " + ssl
                    + "=verify-full and " + SourceSettings.SSL_ROOT_CERT.key() + " (or at least " + ssl + "=require)");
        }
        if (state.equals("28P01") || state.equals("28000")) {
            return new Problem(SourceSettings.PASSWORD.key(), "Postgres at " + where + " refused user '" + src.user()
                    + "' (authentication failed: " + words + ")");
        }
        if (state.equals("3D000")) {
            return new Problem(SourceSettings.DATABASE.key(), "database '" + src.database() + "' does not exist at " + src.host() + ":" + src.port());
        }
        if (state.startsWith("08")) {
            return new Problem(SourceSettings.HOST.key(), "cannot reach Postgres at " + where + " (" + words + ")");
        }
        return new Problem(SourceSettings.HOST.key(), "Postgres at " + where + ": " + words);
    }

    /** Whether the TLS handshake failed on trust: a certificate no trusted CA signed (or expired, or revoked). */
    private static boolean tlsTrust(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException || t instanceof java.security.cert.CertPathValidatorException
                    || t.getClass().getName().endsWith("CertPathBuilderException")
                    || (t instanceof javax.net.ssl.SSLHandshakeException && String.valueOf(t.getMessage()).contains("PKIX"))) {
                return true;
            }
        }
        return false;
    }

    /** The server's (or the driver's) message on one line: its text and DETAIL, never a stack trace. */
    static String serverWords(SQLException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.replaceAll("\\s*\\R\\s*", "; ").replaceAll("\\s+", " ").trim();
    }
}
