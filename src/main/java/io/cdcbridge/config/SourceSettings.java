package io.cdcbridge.config;

import java.nio.file.Path;
import java.util.List;

/** Where capture reads from: {@code cdc.source.*}. Validated as a whole by {@link SourceConfig}. */
public final class SourceSettings {

    public static final SettingsArea AREA = new SettingsArea("Source database (`cdc.source.*`)",
            "The Postgres database capture reads. It needs `wal_level=logical`, a user the server lets replicate and read the "
                    + "tables, and a publication; recipes for managed services: [docs/postgres.md](postgres.md).");

    public static final Setting<String> HOST = AREA.declare(Setting.string("cdc.source.host")
            .defaultText("*(empty: the embedded demo Postgres)*")
            .describe("Postgres host to capture; empty runs the embedded demo Postgres with the bookstore and a sales generator"));

    public static final Setting<Integer> PORT = AREA.declare(Setting.port("cdc.source.port", 5432)
            .describe("Postgres port"));

    public static final Setting<String> DATABASE = AREA.declare(Setting.string("cdc.source.database", "postgres")
            .describe("database to capture"));

    public static final Setting<String> USER = AREA.declare(Setting.string("cdc.source.user", "postgres")
            .describe("Postgres user: the server must let it replicate (the REPLICATION attribute; `rds_replication` on RDS/Aurora) "
                    + "and read (SELECT) the captured tables; superuser and table ownership are not needed (docs/postgres.md)"));

    public static final Setting<String> PASSWORD = AREA.declare(Setting.string("cdc.source.password")
            .secret().describe("the user's password (or from a file: `cdc.source.password.file`)"));

    public static final Setting<List<String>> TABLES = AREA.declare(Setting.list("cdc.source.tables")
            .matching("[^.]+\\..+", "entries must be schema.table")
            .defaultText("*(all tables)*")
            .describe("include list `schema.table,…` (case-sensitive, as in Postgres)"));

    public static final Setting<String> SLOT = AREA.declare(Setting.string("cdc.source.slot", "cdc_bridge")
            .matching("[a-z0-9_]{1,63}", "must be 1-63 characters of lower-case letters, digits and _ (a Postgres replication slot name)")
            .describe("replication slot, created if missing; one capturing instance per slot"));

    public static final Setting<String> PUBLICATION = AREA.declare(Setting.string("cdc.source.publication", "cdc_bridge")
            .describe("publication: one that exists (e.g. made by the DBA) is used as it is, unless the user may change it "
                    + "(superuser, or owner of it and of the tables: then Debezium keeps its table list equal to "
                    + "`cdc.source.tables`); a missing one is created for the captured tables, which needs a superuser or "
                    + "the tables' owner (docs/postgres.md)"));

    /**
     * The modes both pgjdbc ({@code sslmode}) and Debezium ({@code database.sslmode}) accept, all six of libpq's. The
     * default is theirs, {@code prefer}, so a bridge that ran before this setting existed connects exactly as it did;
     * {@code prefer} (and {@code allow}, {@code require}) check no certificate, which docs/postgres.md says plainly.
     */
    public static final Setting<String> SSL_MODE = AREA.declare(Setting.choice("cdc.source.ssl-mode", "prefer",
                    "disable", "allow", "prefer", "require", "verify-ca", "verify-full")
            .describe("TLS to Postgres, for every connection the bridge opens to it (capture, preflight, progress): "
                    + "`disable` plain only; `allow` plain, TLS if the server insists; `prefer` (pgjdbc's and Debezium's "
                    + "default) TLS if the server offers it, else plain; `require` TLS, no certificate check; `verify-ca` "
                    + "TLS and the server's certificate signed by `cdc.source.ssl-root-cert`; `verify-full` that, and the "
                    + "certificate names `cdc.source.host`. Managed services: `verify-full` (docs/postgres.md)"));

    public static final Setting<Path> SSL_ROOT_CERT = AREA.declare(Setting.path("cdc.source.ssl-root-cert")
            .defaultText("*(empty: the JVM's trusted CAs)*")
            .describe("PEM file of the CA(s) that sign the server's certificate (the RDS bundle, Cloud SQL's server CA, …), "
                    + "for `verify-ca` and `verify-full`; empty: the JVM's trust store (enough for a public CA, e.g. Azure's)"));

    public static final Setting<String> SNAPSHOT_MODE = AREA.declare(Setting.choice("cdc.source.snapshot-mode", "initial",
                    "initial", "always", "no_data", "never", "when_needed", "initial_only", "recovery")
            .describe("Debezium snapshot mode: what is read before streaming starts"));

    private SourceSettings() {
    }
}
