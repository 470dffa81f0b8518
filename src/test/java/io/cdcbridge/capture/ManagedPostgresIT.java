package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.KafkaTestConsumer.Rec;
import io.cdcbridge.support.LogCapture;
import io.cdcbridge.support.TestInfra;
import io.cdcbridge.support.TestInfra.TlsRole;
import io.cdcbridge.support.TestTls;
import org.junit.jupiter.api.Test;

/**
 * Capture set up the way a managed Postgres is handed over (docs/postgres.md): TLS required and verified, a
 * least-privilege role (REPLICATION, SELECT through a group, neither superuser nor owner of anything) and a
 * publication the DBA made. Against the shared embedded Postgres, whose pg_hba.conf lets {@link TestInfra#tlsRole}
 * roles in only over TLS with their password; the refusals are the server's, each one line naming the setting.
 */
class ManagedPostgresIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    /** A database with three tables and rows, a group that may read two of them, and the DBA's publication of those two. */
    private record Dba(CaptureFixture f, String readers, String publication) {
    }

    private static Dba dbaSetup(String hint) {
        CaptureFixture f = CaptureFixture.create(hint,
                "CREATE TABLE \"Users\" (\"UserId\" int PRIMARY KEY, \"UserName\" text)",
                "CREATE TABLE \"Books\" (\"BookId\" int PRIMARY KEY, \"Title\" text)",
                "CREATE TABLE \"Salaries\" (\"UserId\" int PRIMARY KEY, \"Amount\" numeric)",
                "INSERT INTO \"Users\" VALUES (1, 'Ana'), (2, 'João')",
                "INSERT INTO \"Books\" VALUES (1, 'Dom Casmurro')",
                "INSERT INTO \"Salaries\" VALUES (1, 1000)");
        String readers = "readers_" + f.database;
        String publication = "dba_pub_" + f.database;
        // as the DBA (the superuser postgres): the tables stay the superuser's; the bridge gets only what it needs
        f.sql("CREATE ROLE " + readers + " NOLOGIN",
                "GRANT SELECT ON \"Users\", \"Books\" TO " + readers,
                "CREATE PUBLICATION " + publication + " FOR TABLE \"Users\", \"Books\"");
        return new Dba(f, readers, publication);
    }

    private static TlsRole bridgeRole(Dba dba) {
        TlsRole role = TestInfra.tlsRole("bridge", "REPLICATION");
        dba.f().sql("GRANT " + dba.readers() + " TO " + role.user());
        return role;
    }

    private static Map<String, String> settings(Dba dba, TlsRole role, String tables) {
        Map<String, String> m = new HashMap<>(dba.f().settingsMap());
        m.putAll(role.sourceSettings());
        m.put("cdc.source.publication", dba.publication());
        m.put("cdc.source.tables", tables);
        return m;
    }

    private static SourcePreflight.Report inspect(Map<String, String> m) {
        return SourcePreflight.inspect(SourceConfig.from(io.cdcbridge.config.Settings.of(m)), false);
    }

    @Test
    void aLeastPrivilegeRoleOverVerifiedTlsCapturesThroughTheDbasPublication() throws Exception {
        Dba dba = dbaSetup("managed");
        TlsRole role = bridgeRole(dba);
        CaptureFixture f = dba.f();
        assertThat(queryOne(f.database, "SELECT (rolsuper OR rolcreatedb OR rolcreaterole)::text FROM pg_roles WHERE rolname = '"
                + role.user() + "'")).isEqualTo("false");
        Map<String, String> m = settings(dba, role, "public.Users,public.Books");
        try (LogCapture logs = LogCapture.start()) {
            try (Bridge bridge = Bridge.start(io.cdcbridge.config.Settings.of(m))) {
                bridge.awaitStreaming(WAIT);
                List<Rec> users = KafkaTestConsumer.read(f.topic("Users"), 2, WAIT);
                assertThat(users).extracting(r -> read(r.value()).get("after").get("UserName").asText()).containsExactly("Ana", "João");
                assertThat(read(users.get(0).value()).get("op").asText()).isEqualTo("r");
                assertThat(KafkaTestConsumer.read(f.topic("Books"), 1, WAIT)).hasSize(1);

                f.sql("INSERT INTO \"Users\" VALUES (3, 'Zé')", "UPDATE \"Books\" SET \"Title\" = 'Memórias' WHERE \"BookId\" = 1");
                List<Rec> after = KafkaTestConsumer.read(f.topic("Users"), 3, WAIT);
                assertThat(read(after.get(2).value()).get("op").asText()).isEqualTo("c");
                assertThat(read(after.get(2).value()).get("after").get("UserName").asText()).isEqualTo("Zé");
                List<Rec> books = KafkaTestConsumer.read(f.topic("Books"), 2, WAIT);
                assertThat(read(books.get(1).value()).get("after").get("Title").asText()).isEqualTo("Memórias");

                // the replication stream itself runs over TLS, as the bridge's role
                assertThat(queryOne(f.database, "SELECT bool_and(s.ssl)::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                        + "WHERE a.usename = '" + role.user() + "' AND a.backend_type = 'walsender'")).isEqualTo("true");
            }
            // the DBA's publication is as the DBA made it: the bridge neither altered nor replaced it
            assertThat(queryOne(f.database, "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables WHERE pubname = '"
                    + dba.publication() + "'")).isEqualTo("Books,Users");
            assertThat(queryOne(f.database, "SELECT pg_get_userbyid(pubowner) FROM pg_publication WHERE pubname = '" + dba.publication() + "'"))
                    .isEqualTo("postgres");
            assertThat(logs.lines()).isNotEmpty().noneSatisfy(l -> assertThat(l).contains(role.password()));
        }
    }

    @Test
    void aPlainConnectionIsRefusedWhenTheServerRequiresTls() {
        Dba dba = dbaSetup("plain");
        TlsRole role = bridgeRole(dba);
        Map<String, String> m = settings(dba, role, "public.Users");
        m.put("cdc.source.ssl-mode", "disable");
        m.remove("cdc.source.ssl-root-cert");
        SourcePreflight.Report r = inspect(m);
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.key()).isEqualTo("cdc.source.ssl-mode");
            assertThat(p.line()).contains("without TLS").contains("no encryption").doesNotContain(role.password()).doesNotContain("\n");
        });
    }

    @Test
    void verifyFullRefusesAServerWhoseCertificateAnotherCaSignedOrThatItReachesByAnotherName() {
        Dba dba = dbaSetup("wrongca");
        TlsRole role = bridgeRole(dba);
        Map<String, String> wrongCa = settings(dba, role, "public.Users");
        wrongCa.put("cdc.source.ssl-root-cert", TestInfra.tls().otherCaCert.toString());
        assertThat(inspect(wrongCa).problems()).singleElement().satisfies(p -> {
            assertThat(p.key()).isEqualTo("cdc.source.ssl-root-cert");
            assertThat(p.line()).contains("is not signed by a CA in " + TestInfra.tls().otherCaCert).doesNotContain("\n");
        });

        Map<String, String> jvmTrust = settings(dba, role, "public.Users");
        jvmTrust.remove("cdc.source.ssl-root-cert");
        assertThat(inspect(jvmTrust).problems()).singleElement().satisfies(p -> {
            assertThat(p.key()).isEqualTo("cdc.source.ssl-root-cert");
            assertThat(p.line()).contains("the JVM's trust store");
        });

        Map<String, String> otherName = settings(dba, role, "public.Users");
        otherName.put("cdc.source.host", TestTls.OTHER_HOST);
        assertThat(inspect(otherName).problems()).singleElement().satisfies(p -> {
            assertThat(p.key()).isEqualTo("cdc.source.ssl-mode");
            assertThat(p.line()).contains("does not name '" + TestTls.OTHER_HOST + "'").contains("cdc.source.host").doesNotContain("\n");
        });

        // verify-ca checks the signer, not the name: the same host name passes
        otherName.put("cdc.source.ssl-mode", "verify-ca");
        assertThat(inspect(otherName).problems()).isEmpty();
    }

    @Test
    void aRoleTheServerDoesNotLetReplicateIsRefusedInTheServersWords() {
        Dba dba = dbaSetup("norepl");
        // vanilla Postgres does not pass the REPLICATION attribute on through membership (RDS's rds_replication is
        // that platform's own rule): the server refuses this role, and the preflight says so with the server's words
        String replicators = "replicators_" + dba.f().database;
        dba.f().sql("CREATE ROLE " + replicators + " NOLOGIN REPLICATION");
        TlsRole role = TestInfra.tlsRole("norepl");
        dba.f().sql("GRANT " + dba.readers() + ", " + replicators + " TO " + role.user());
        SourcePreflight.Report r = inspect(settings(dba, role, "public.Users"));
        assertThat(r.problems()).singleElement().satisfies(p -> {
            assertThat(p.key()).isEqualTo("cdc.source.user");
            assertThat(p.line()).contains("refuses user '" + role.user() + "' a replication connection")
                    .contains("permission denied to start WAL sender").contains("ALTER ROLE " + role.user() + " WITH REPLICATION")
                    .contains("rds_replication").doesNotContain(role.password()).doesNotContain("\n");
        });
    }

    @Test
    void aConfiguredTableTheDbasPublicationLacksStopsStartUpWithTheSqlTheDbaMustRun() throws Exception {
        Dba dba = dbaSetup("notinpub");
        TlsRole role = bridgeRole(dba);
        dba.f().sql("GRANT SELECT ON \"Salaries\" TO " + dba.readers());
        Map<String, String> m = settings(dba, role, "public.Users,public.Salaries");
        try (LogCapture logs = LogCapture.start()) {
            assertThatThrownBy(() -> Bridge.start(io.cdcbridge.config.Settings.of(m)).close())
                    .isInstanceOf(ConfigException.class)
                    .hasMessage("cdc.source.publication: public.Salaries is in cdc.source.tables but not in publication '" + dba.publication()
                            + "' (owner postgres), which user '" + role.user() + "' may not change: ask its owner to run ALTER PUBLICATION "
                            + dba.publication() + " ADD TABLE public.\"Salaries\";");
            assertThat(logs.lines()).noneSatisfy(l -> assertThat(l).contains(role.password()));
        }
        // stopped before Debezium: no slot was made
        assertThat(queryOne(dba.f().database, "SELECT count(*)::text FROM pg_replication_slots WHERE slot_name = '" + dba.f().database + "'"))
                .isEqualTo("0");
    }

    @Test
    void everyOtherProblemIsItsOwnLineNamingItsSetting() {
        Dba dba = dbaSetup("problems");
        TlsRole role = TestInfra.tlsRole("plain"); // no REPLICATION, reads nothing
        Map<String, String> m = settings(dba, role, "public.Users,public.Nope");
        m.put("cdc.source.publication", "missing_" + dba.f().database);
        SourcePreflight.Report r = inspect(m);
        List<String> keys = new ArrayList<>();
        r.problems().forEach(p -> keys.add(p.key()));
        assertThat(keys).containsExactly("cdc.source.user", "cdc.source.tables", "cdc.source.tables", "cdc.source.publication");
        assertThat(r.problems().get(1).line()).contains("no table public.Nope");
        assertThat(r.problems().get(2).line()).contains("may not read public.Users").contains("GRANT SELECT ON public.\"Users\" TO " + role.user());
        assertThat(r.problems().get(3).line()).contains("does not exist").contains("may not create it")
                .contains("CREATE PUBLICATION missing_" + dba.f().database + " FOR TABLE public.\"Users\"");
        // check() puts them in one exception, one line each
        assertThatThrownBy(() -> SourcePreflight.check(SourceConfig.from(io.cdcbridge.config.Settings.of(m))))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> assertThat(e.getMessage().lines().toList()).hasSize(4)
                        .allSatisfy(l -> assertThat(l).startsWith("cdc.source.").doesNotContain(role.password())));
    }

    @Test
    void aPublicationTheUserMayChangeIsKeptInStepAndAMissingOneIsCreatedByASuperuser() {
        Dba dba = dbaSetup("own");
        Map<String, String> m = new HashMap<>(dba.f().settingsMap());
        m.put("cdc.source.tables", "public.Users");
        m.put("cdc.source.publication", dba.publication());
        SourcePreflight.Report existing = inspect(m);
        assertThat(existing.problems()).isEmpty();
        assertThat(existing.publicationExists()).isTrue();
        assertThat(existing.published()).containsExactlyInAnyOrder("public.Users", "public.Books");
        assertThat(existing.publicationMode()).isEqualTo(SourcePreflight.CREATE_OR_SYNC);

        m.put("cdc.source.publication", "fresh_" + dba.f().database);
        SourcePreflight.Report missing = inspect(m);
        assertThat(missing.problems()).isEmpty();
        assertThat(missing.publicationExists()).isFalse();
        assertThat(missing.publicationMode()).isEqualTo(SourcePreflight.CREATE_OR_SYNC);

        // FOR ALL TABLES cannot be narrowed by Debezium: it is used as it is, even by a superuser
        dba.f().sql("CREATE PUBLICATION all_" + dba.f().database + " FOR ALL TABLES");
        m.put("cdc.source.publication", "all_" + dba.f().database);
        assertThat(inspect(m).publicationMode()).isEqualTo(SourcePreflight.USE_AS_IS);
    }

    private static String queryOne(String database, String sql) throws Exception {
        try (Connection c = TestInfra.postgres().connect(database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
