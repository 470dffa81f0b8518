package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import io.cdcbridge.demo.EmbeddedKafkaBroker;
import io.cdcbridge.support.BridgeProcess;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.TestInfra;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Test;

/**
 * In the production jar ({@code cdc-bridge-server.jar}), a bad setting or an unusable database stops start-up with one
 * readable line naming the key, and a non-zero exit.
 */
class StartupValidationIT {

    private static String failure(Map<String, String> settings) throws Exception {
        Path dir = TestInfra.newDir("badstart");
        try (BridgeProcess p = BridgeProcess.startServer(dir, settings)) {
            assertThat(p.awaitExit(Duration.ofSeconds(60))).as(p.output()).isEqualTo(2);
            String out = p.output();
            assertThat(out).doesNotContain("\tat ").doesNotContain("Caused by");
            return out.lines().filter(l -> l.startsWith("cdc-bridge: configuration error:")).findFirst()
                    .orElseThrow(() -> new AssertionError("no configuration error line in:\n" + out));
        }
    }

    private static Map<String, String> settings(CaptureFixture f, String... kv) {
        Map<String, String> s = f.settingsMap();
        s.put("cdc.routes.reload", "false");
        s.put("cdc.http.port", "0");
        for (int i = 0; i < kv.length; i += 2) {
            s.put(kv[i], kv[i + 1]);
        }
        return s;
    }

    @Test
    void aMisspeltKeyStopsStartUpNamingItAndTheNearestKey() throws Exception {
        CaptureFixture f = CaptureFixture.create("typo");
        assertThat(failure(settings(f, "cdc.carol.batchsize", "10")))
                .isEqualTo("cdc-bridge: configuration error: cdc.carol.batchsize: no such setting (did you mean cdc.carol.batch-size?); "
                        + "the settings are listed in docs/configuration.md");
        assertThat(slots(f)).as("nothing touched the database").isZero();
    }

    @Test
    void malformedSettingNamesTheKey() throws Exception {
        CaptureFixture f = CaptureFixture.create("badport");
        assertThat(failure(settings(f, "cdc.source.port", "54x2"))).contains("cdc.source.port").contains("54x2");
        assertThat(failure(settings(f, "cdc.source.slot", "Not-A-Slot"))).contains("cdc.source.slot");
    }

    @Test
    void aRealDatabaseWithoutABrokerStopsBeforeTouchingIt() throws Exception {
        CaptureFixture f = CaptureFixture.create("nobroker");
        Map<String, String> s = settings(f);
        s.remove("cdc.kafka.brokers");
        String line = failure(s);
        assertThat(line).contains("cdc.kafka.brokers").contains("CDC_KAFKA_BROKERS");
        // no replication slot was made on the database: nothing touched it
        assertThat(slots(f)).isZero();
    }

    private static int slots(CaptureFixture f) throws Exception {
        try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://" + TestInfra.postgres().host() + ":"
                + TestInfra.postgres().port() + "/" + f.database, "postgres", "postgres");
             var rs = c.createStatement().executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + f.database + "'")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void unreachableDatabaseNamesTheHost() throws Exception {
        CaptureFixture f = CaptureFixture.create("unreach");
        String line = failure(settings(f, "cdc.source.port", String.valueOf(EmbeddedKafkaBroker.freePort())));
        assertThat(line).contains("cdc.source.host").contains("cannot reach Postgres");
    }

    @Test
    void userWithoutReplicationRightsNamesTheUser() throws Exception {
        CaptureFixture f = CaptureFixture.create("norepl");
        String role = "norepl_" + f.prefix;
        TestInfra.sql(f.database, "CREATE ROLE " + role + " LOGIN PASSWORD 'segredo-123'");
        String line = failure(settings(f, "cdc.source.user", role, "cdc.source.password", "segredo-123"));
        assertThat(line).contains("cdc.source.user").contains("REPLICATION").doesNotContain("segredo-123");
    }

    @Test
    void databaseWithoutLogicalDecodingSaysHowToFixIt() throws Exception {
        CaptureFixture f = CaptureFixture.create("replica");
        try (EmbeddedPostgres replicaOnly = EmbeddedPostgres.builder()
                .setDataDirectory(TestInfra.newDir("walreplica").resolve("pg"))
                .setServerConfig("wal_level", "replica").start()) {
            String line = failure(settings(f, "cdc.source.port", String.valueOf(replicaOnly.getPort()), "cdc.source.database", "postgres"));
            assertThat(line).contains("cdc.source.host").contains("wal_level=replica").contains("wal_level = logical");
        }
    }
}
