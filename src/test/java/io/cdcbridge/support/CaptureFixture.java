package io.cdcbridge.support;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.cdcbridge.config.Settings;

/**
 * One test's isolated capture setup on the shared servers: its own database (with the given DDL), replication slot,
 * topic prefix and directory for offsets and output.
 */
public final class CaptureFixture {

    public final String database;
    public final String prefix;
    public final Path dir;

    private CaptureFixture(String database, String prefix, Path dir) {
        this.database = database;
        this.prefix = prefix;
        this.dir = dir;
    }

    public static CaptureFixture create(String hint, String... ddl) {
        String db = TestInfra.newDatabase(hint);
        if (ddl.length > 0) {
            TestInfra.sql(db, ddl);
        }
        return new CaptureFixture(db, TestInfra.newPrefix(hint), TestInfra.newDir(hint));
    }

    /** Settings for a bridge capturing this fixture's database into this fixture's topics. */
    public Map<String, String> settingsMap() {
        Map<String, String> m = new HashMap<>();
        m.put("cdc.source.host", TestInfra.postgres().host());
        m.put("cdc.source.port", String.valueOf(TestInfra.postgres().port()));
        m.put("cdc.source.database", database);
        m.put("cdc.source.user", "postgres");
        m.put("cdc.source.password", "postgres");
        m.put("cdc.source.slot", database);
        m.put("cdc.source.publication", database);
        m.put("cdc.kafka.brokers", TestInfra.kafka().bootstrapServers());
        m.put("cdc.kafka.topic-prefix", prefix);
        m.put("cdc.offsets.file", dir.resolve("offsets.dat").toString());
        m.put("cdc.data-dir", dir.toString());
        m.put("cdc.progress-interval-ms", "1000");
        m.put("cdc.http.port", "0");
        return m;
    }

    /**
     * Settings for a bridge capturing this fixture and delivering to both fakes (project {@code p}, dataset
     * {@code ds_<prefix>}, the fake Carol's tenant), each sink with its own consumer group and short batch timeouts.
     */
    public Settings settingsWithSinks(FakeBigQuery bq, FakeCarol carol) {
        Map<String, String> m = new HashMap<>(carol.settings());
        m.put("cdc.carol.group-id", "carol-" + prefix);
        m.put("cdc.carol.batch-timeout-ms", "50");
        m.put("cdc.bigquery.project", "p");
        m.put("cdc.bigquery.dataset", "ds_" + prefix);
        m.putAll(bq.bridgeSettings());
        m.put("cdc.bigquery.group-id", "bq-" + prefix);
        m.put("cdc.bigquery.batch-timeout-ms", "50");
        m.put("cdc.routes.reload", "false");
        return settings(m);
    }

    public Settings settings(Map<String, String> extra) {
        Map<String, String> m = settingsMap();
        m.putAll(extra);
        return Settings.of(m);
    }

    public Settings settings() {
        return settings(Map.of());
    }

    public String topic(String table) {
        return prefix + ".public." + table;
    }

    public void sql(String... statements) {
        TestInfra.sql(database, statements);
    }
}
