package io.cdcbridge.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/** Where capture reads from ({@link SourceSettings}, and the engine's {@link CaptureSettings}), validated. */
public record SourceConfig(String host, int port, String database, String user, String password, String tables,
                           String slot, String publication, String snapshotMode, long pollIntervalMs,
                           long reconnectDelayMs, long heartbeatIntervalMs, java.util.Map<String, String> debezium,
                           String sslMode, String sslRootCert) {

    /**
     * pgjdbc's socket factory that trusts what the JVM trusts: used for {@code verify-ca}/{@code verify-full} without
     * {@code cdc.source.ssl-root-cert}, where pgjdbc's own default would be a {@code ~/.postgresql/root.crt} that a
     * container does not have.
     */
    public static final String JVM_TRUST_FACTORY = "org.postgresql.ssl.DefaultJavaSSLFactory";

    public static SourceConfig from(Settings s) {
        // the names first: a bad slot or table list is the likelier mistake, and reported before a missing host
        String slot = s.get(SourceSettings.SLOT);
        String tables = String.join(",", s.get(SourceSettings.TABLES));
        String password = s.get(SourceSettings.PASSWORD);
        String sslMode = s.get(SourceSettings.SSL_MODE);
        Path rootCert = s.get(SourceSettings.SSL_ROOT_CERT);
        if (rootCert != null) {
            if (!verifies(sslMode)) {
                // pgjdbc ignores the file in these modes: refusing it is better than a check the user thinks is made
                throw new ConfigException(SourceSettings.SSL_ROOT_CERT.key(), "is only used with "
                        + SourceSettings.SSL_MODE.key() + "=verify-ca or verify-full (it is " + sslMode + ", which checks no certificate)");
            }
            if (!Files.isReadable(rootCert) || Files.isDirectory(rootCert)) {
                throw new ConfigException(SourceSettings.SSL_ROOT_CERT.key(), "cannot read the file " + rootCert.toAbsolutePath());
            }
        }
        // Debezium properties capture hands to camel's typed options (capture/CaptureRoute): a value those cannot take
        // is refused here, not replaced by a default without a word
        Map<String, String> debezium = s.under(CaptureSettings.DEBEZIUM);
        for (String property : List.of("snapshot.fetch.size", "incremental.snapshot.chunk.size")) {
            String v = debezium.get(property);
            if (v != null && !v.trim().matches("[1-9][0-9]{0,8}")) {
                throw new ConfigException("cdc.capture.debezium." + property, "must be a whole number above 0 (it is '" + v + "')");
            }
        }
        return new SourceConfig(s.require(SourceSettings.HOST), s.get(SourceSettings.PORT), s.get(SourceSettings.DATABASE),
                s.get(SourceSettings.USER), password == null ? "" : password, tables,
                slot, s.get(SourceSettings.PUBLICATION), s.get(SourceSettings.SNAPSHOT_MODE),
                s.get(CaptureSettings.POLL_INTERVAL).toMillis(), s.get(CaptureSettings.RECONNECT_DELAY).toMillis(),
                s.get(CaptureSettings.HEARTBEAT_INTERVAL).toMillis(), s.under(CaptureSettings.DEBEZIUM),
                sslMode, rootCert == null ? "" : rootCert.toAbsolutePath().toString());
    }

    private static boolean verifies(String sslMode) {
        return sslMode.equals("verify-ca") || sslMode.equals("verify-full");
    }

    /** Whether the server's certificate is checked ({@code verify-ca}, {@code verify-full}). */
    public boolean verifiesCertificate() {
        return verifies(sslMode);
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /**
     * The driver properties of every JDBC connection the bridge opens to the source (user, password, TLS); Debezium's
     * own connections get the same TLS settings as {@code database.ssl*} (capture/CaptureRoute).
     */
    public Properties jdbcProperties() {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslmode", sslMode);
        if (!sslRootCert.isEmpty()) {
            p.setProperty("sslrootcert", sslRootCert);
        } else if (verifiesCertificate()) {
            p.setProperty("sslfactory", JVM_TRUST_FACTORY);
        }
        return p;
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
        return "SourceConfig[" + user + "@" + host + ":" + port + "/" + database + ", slot=" + slot + ", ssl-mode=" + sslMode + "]";
    }
}
