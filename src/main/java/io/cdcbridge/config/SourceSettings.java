package io.cdcbridge.config;

import java.util.List;

/** Where capture reads from: {@code cdc.source.*}. Validated as a whole by {@link SourceConfig}. */
public final class SourceSettings {

    public static final SettingsArea AREA = new SettingsArea("Source database (`cdc.source.*`)",
            "The Postgres database capture reads. It needs `wal_level=logical` and a user with the `REPLICATION` attribute.");

    public static final Setting<String> HOST = AREA.declare(Setting.string("cdc.source.host")
            .defaultText("*(empty: the embedded demo Postgres)*")
            .describe("Postgres host to capture; empty runs the embedded demo Postgres with the bookstore and a sales generator"));

    public static final Setting<Integer> PORT = AREA.declare(Setting.port("cdc.source.port", 5432)
            .describe("Postgres port"));

    public static final Setting<String> DATABASE = AREA.declare(Setting.string("cdc.source.database", "postgres")
            .describe("database to capture"));

    public static final Setting<String> USER = AREA.declare(Setting.string("cdc.source.user", "postgres")
            .describe("Postgres user: needs the REPLICATION attribute (or superuser) and read access to the captured tables"));

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
            .describe("publication, created for the captured tables if missing"));

    public static final Setting<String> SNAPSHOT_MODE = AREA.declare(Setting.choice("cdc.source.snapshot-mode", "initial",
                    "initial", "always", "no_data", "never", "when_needed", "initial_only", "recovery")
            .describe("Debezium snapshot mode: what is read before streaming starts"));

    private SourceSettings() {
    }
}
