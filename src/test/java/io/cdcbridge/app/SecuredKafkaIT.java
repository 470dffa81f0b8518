package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import ch.qos.logback.classic.Level;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaClients;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.DeadLetterReplay;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.LogCapture;
import io.cdcbridge.support.TestInfra;
import io.cdcbridge.support.TestInfra.TlsRole;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole bridge against a broker set up as managed clusters are (issue 17): it talks to Kafka only over SASL
 * SCRAM-SHA-256 with {@code cdc.kafka.client.*} (the JAAS line from a secret file), and the broker creates no topic on
 * first use, so every topic used here is one the bridge made. Capture (offsets in a Kafka topic), both sinks, their
 * dead letters and replay all go through the login. In the main test Postgres is handed over as a managed one is too
 * (docs/postgres.md): TLS verified against the test CA, a least-privilege replication role, the DBA's publication; and
 * none of the three passwords (Postgres, Kafka, Carol) shows in a log line, a dead letter, a JMX attribute or the
 * console's answers.
 */
class SecuredKafkaIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    static FakeBigQuery bigQuery;

    @BeforeAll
    static void start() {
        bigQuery = FakeBigQuery.start();
        TestInfra.securedKafka();
    }

    @AfterAll
    static void stop() {
        bigQuery.close();
    }

    @Test
    void overSaslAndVerifiedTlsALeastPrivilegeBridgeDeliversBothSinksReplaysAndLeaksNoPassword() throws Exception {
        CaptureFixture f = CaptureFixture.create("secured", "CREATE TABLE \"Users\" (\"UserId\" int PRIMARY KEY, \"UserName\" text)",
                "INSERT INTO \"Users\" VALUES (1, 'Ana'), (2, 'João'), (3, 'Márcia')");
        // as the DBA (the superuser postgres), beforehand: the table stays the superuser's, the bridge's role may only
        // read it (through a group) and replicate, over TLS with its password (TestInfra.tlsRole), through the DBA's publication
        String readers = "readers_" + f.database;
        String publication = "dba_pub_" + f.database;
        f.sql("CREATE ROLE " + readers + " NOLOGIN", "GRANT SELECT ON \"Users\" TO " + readers,
                "CREATE PUBLICATION " + publication + " FOR TABLE \"Users\"");
        TlsRole role = TestInfra.tlsRole("secured", "REPLICATION");
        f.sql("GRANT " + readers + " TO " + role.user());
        assertThat(queryOne(f.database, "SELECT (rolsuper OR rolcreatedb OR rolcreaterole)::text FROM pg_roles WHERE rolname = '"
                + role.user() + "'")).isEqualTo("false");
        assertThat(queryOne(f.database, "SELECT count(*)::text FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner WHERE r.rolname = '"
                + role.user() + "'")).isEqualTo("0");
        List<String> passwords = List.of(role.password(), TestInfra.KAFKA_PASSWORD, FakeCarol.PASSWORD);

        try (FakeCarol carol = FakeCarol.start(Clock.systemUTC()); LogCapture log = LogCapture.start().verbose("org.apache.kafka.clients",
                "org.apache.kafka.connect", "org.apache.kafka.common.config", "io.debezium", "org.apache.camel.component.kafka",
                "org.apache.camel.component.debezium")) {
            Map<String, String> s = new HashMap<>(f.settingsWithSinks(bigQuery, carol).asMap());
            s.putAll(role.sourceSettings());
            s.put("cdc.source.publication", publication);
            s.put("cdc.source.tables", "public.Users");
            s.putAll(TestInfra.securedKafkaSettings(f.dir, TestInfra.KAFKA_PASSWORD));
            s.put("cdc.offsets.store", "kafka");
            s.put("cdc.offsets.topic", f.prefix + "-offsets");
            s.put("cdc.delivery.max-retries", "1");
            s.put("cdc.delivery.retry-delay-ms", "50");
            s.put("cdc.delivery.max-retry-delay-ms", "100");
            Settings settings = Settings.of(s);
            String users = f.prefix + "_public_Users";
            String dataset = "ds_" + f.prefix;
            try (Bridge bridge = Bridge.start(settings)) {
                bridge.awaitStreaming(WAIT);
                await("snapshot in both sinks").atMost(WAIT)
                        .until(() -> bigQuery.rows("p", dataset, users).size() == 3 && carol.records("users").size() == 3);
                f.sql("INSERT INTO \"Users\" VALUES (4, 'Zé')");
                await("a new row in both sinks").atMost(WAIT)
                        .until(() -> bigQuery.rows("p", dataset, users).size() == 4 && carol.records("users").size() == 4);

                // the replication stream itself runs over TLS, as the bridge's least-privilege role
                assertThat(queryOne(f.database, "SELECT bool_and(s.ssl)::text FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
                        + "WHERE a.usename = '" + role.user() + "' AND a.backend_type = 'walsender'")).isEqualTo("true");

                // every topic the bridge uses exists because it made it (the broker does not auto-create)
                try (Admin admin = plainAdmin()) {
                    Set<String> topics = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                    assertThat(topics).contains(f.topic("Users"), f.prefix + ".dlq.bigquery", f.prefix + ".dlq.carol",
                            f.prefix + ".dlq.capture", f.prefix + "-offsets");
                    ConfigResource offsets = new ConfigResource(ConfigResource.Type.TOPIC, f.prefix + "-offsets");
                    assertThat(admin.describeConfigs(List.of(offsets)).all().get(30, TimeUnit.SECONDS).get(offsets)
                            .get("cleanup.policy").value()).isEqualTo("compact");
                }

                // BigQuery down past the retry budget: the row is dead-lettered (over SASL), Carol has it anyway
                bigQuery.failWritesFor(503, Duration.ofSeconds(60));
                f.sql("INSERT INTO \"Users\" VALUES (5, 'Bia')");
                await("the dead letter").atMost(WAIT).until(() -> endOffset(f.prefix + ".dlq.bigquery") == 1);
                await("Carol").atMost(WAIT).until(() -> carol.records("users").size() == 5);
                bigQuery.failNext(503, 0, "");
                bigQuery.failFor(503, Duration.ZERO, "");
                bigQuery.failWritesFor(503, Duration.ZERO);

                // the dead letter carries the failure (BigQuery's answer) in its headers, and no password
                List<KafkaTestConsumer.Rec> dead = KafkaTestConsumer.readAll(TestInfra.securedKafka().bootstrapServers(),
                        f.prefix + ".dlq.bigquery");
                assertThat(dead).singleElement().satisfies(r -> passwords.forEach(pw -> assertThat(r.toString()).doesNotContain(pw)));

                // replay, with the bridge's own Kafka settings: over SASL too
                var result = new DeadLetterReplay(KafkaConfig.from(settings).clients(), f.prefix).replay("bigquery", null, false);
                assertThat(result.toString()).isEqualTo("replayed=1 skipped=0 failed=0");
                await("the replayed row in BigQuery").atMost(WAIT)
                        .until(() -> bigQuery.rows("p", dataset, users).size() == 5);
                assertThat(bigQuery.rows("p", dataset, users)).extracting(r -> r.path("UserId").asInt())
                        .containsExactlyInAnyOrder(1, 2, 3, 4, 5);
                assertThat(carol.records("users")).hasSize(5);

                // no password in what the bridge shows while running: JMX (every attribute of every MBean, the bridge's,
                // Camel's, the Kafka clients' and Debezium's among them), the console's status, readiness
                MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
                for (String domain : List.of("io.cdcbridge:*", "org.apache.camel:*", "kafka.*:*", "debezium*:*")) {
                    assertThat(jmx.queryNames(new ObjectName(domain), null)).as("MBeans " + domain).isNotEmpty();
                }
                assertThat(jmxAttributesContaining(passwords)).as("MBean attributes holding a password").isEmpty();
                var http = java.net.http.HttpClient.newHttpClient();
                for (var expect : Map.of("/api/status", "public.Users", "/health/ready", "\"status\":\"UP\"").entrySet()) {
                    String path = expect.getKey();
                    var answer = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + bridge.httpPort()
                            + path)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(answer.statusCode()).as(path).isEqualTo(200);
                    assertThat(answer.body()).as(path).contains(expect.getValue());
                    passwords.forEach(pw -> assertThat(answer.body()).as(path).doesNotContain(pw));
                }
            }
            // the clients' configuration dumps were logged (so the check below saw them), the JAAS line masked
            List<String> lines = log.lines();
            // and Debezium's dump of its connector configuration (it holds the Postgres password), masked too
            assertThat(lines).anyMatch(l -> l.contains("sasl.jaas.config = [hidden]"))
                    .anyMatch(l -> l.contains("database.user = " + role.user()) && l.contains("database.password = ********"));
            for (String pw : passwords) {
                assertThat(lines).as("log lines holding a password").noneMatch(l -> l.contains(pw));
            }
        }
        // the DBA's publication is as the DBA made it
        assertThat(queryOne(f.database, "SELECT string_agg(tablename, ',') FROM pg_publication_tables WHERE pubname = '"
                + publication + "'")).isEqualTo("Users");
    }

    @Test
    void aWrongPasswordStopsStartUpWithOneClearLine() throws Exception {
        CaptureFixture f = CaptureFixture.create("securedpw", "CREATE TABLE \"Items\" (\"Id\" int PRIMARY KEY)");
        String wrong = "Wrong-Pw-" + Long.toHexString(System.nanoTime());
        try (FakeCarol carol = FakeCarol.start(Clock.systemUTC()); LogCapture log = LogCapture.start()) {
            Map<String, String> s = new HashMap<>(f.settingsWithSinks(bigQuery, carol).asMap());
            s.putAll(TestInfra.securedKafkaSettings(f.dir, wrong));
            assertThatThrownBy(() -> Bridge.start(Settings.of(s)).close())
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("cdc.kafka.client.sasl.jaas.config: Kafka refused the login")
                    .hasMessageContaining("SCRAM-SHA-256")
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain(wrong).doesNotContain("\n"));
            assertThat(log.lines()).noneMatch(l -> l.contains(wrong));
            // Kafka's client says it once; nothing else of the bridge started, so nothing retries
            assertThat(log.events()).filteredOn(e -> e.getLevel().isGreaterOrEqual(Level.ERROR)).hasSizeLessThanOrEqualTo(2)
                    .allSatisfy(e -> assertThat(e.getThrowableProxy()).isNull());
        }
        // no slot was made: nothing touched the database
        try (var c = TestInfra.postgres().connect(f.database); var st = c.createStatement();
             var rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + f.database + "'")) {
            rs.next();
            assertThat(rs.getInt(1)).isZero();
        }
    }

    @Test
    void aTableTopicWhoseCreationFailedIsCreatedOnceKafkaIsBack() throws Exception {
        CaptureFixture f = CaptureFixture.create("securedtopic", "CREATE TABLE \"T\" (\"Id\" int PRIMARY KEY)");
        Map<String, String> s = new HashMap<>(f.settingsMap());
        s.putAll(TestInfra.securedKafkaSettings(f.dir, TestInfra.KAFKA_PASSWORD));
        s.put("cdc.capture.kafka-timeout-ms", "4000");
        try (LogCapture log = LogCapture.start(); Bridge bridge = Bridge.start(Settings.of(s))) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            TestInfra.securedKafka().stop();
            try {
                // the table's first event: its topic cannot be made now, and the send times out, so capture stops
                f.sql("INSERT INTO \"T\" VALUES (1)");
                await("capture stopped").atMost(Duration.ofSeconds(90)).until(() ->
                        bridge.camel().getRouteController().getRouteStatus(io.cdcbridge.capture.CaptureRoute.ROUTE_ID).isStopped());
                assertThat(log.events()).filteredOn(e -> e.getLevel() == Level.ERROR)
                        .anySatisfy(e -> assertThat(e.getFormattedMessage()).startsWith("cannot create Kafka topic " + f.topic("T")));
            } finally {
                TestInfra.securedKafka().start();
            }
            // the failure was not taken for a topic made: once Kafka is back, the bridge creates it (the broker would not)
            await("the row on its topic").atMost(Duration.ofSeconds(120)).ignoreExceptions()
                    .until(() -> endOffset(f.topic("T")) == 1);
        }
    }

    @Test
    void aTopicTheBridgeMayNotCreateIsOneLineNamingTheAclAndStartUpGoesOn() throws Exception {
        String prefix = TestInfra.newPrefix("securedacl");
        try (FakeCarol carol = FakeCarol.start(Clock.systemUTC()); LogCapture log = LogCapture.start()) {
            Map<String, String> s = TestInfra.deliverySettings(prefix, TestInfra.newDir("securedacl"), carol);
            s.putAll(TestInfra.securedKafkaSettings(TestInfra.newDir("securedacl"), TestInfra.limitedKafkaUser(), TestInfra.KAFKA_PASSWORD));
            try (Bridge bridge = Bridge.start(Settings.of(s))) {
                String dlq = prefix + ".dlq.carol";
                assertThat(log.events()).filteredOn(e -> e.getLevel() == Level.ERROR && e.getFormattedMessage().contains(dlq))
                        .singleElement().satisfies(e -> {
                            assertThat(e.getFormattedMessage()).startsWith("cannot create Kafka topic " + dlq + ": not authorized")
                                    .contains("--operation Create").contains("--topic " + dlq).doesNotContain("\n");
                            assertThat(e.getThrowableProxy()).isNull();
                        });
                assertThat(bridge.camel().getRouteController().getRouteStatus("carol-delivery").isStarted()).isTrue();
            }
        }
    }

    private static String queryOne(String database, String sql) throws Exception {
        try (var c = TestInfra.postgres().connect(database); var st = c.createStatement(); var rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static Admin plainAdmin() {
        return Admin.create(KafkaClients.of(TestInfra.securedKafka().bootstrapServers()).admin("test", Duration.ofSeconds(30)));
    }

    private static long endOffset(String topic) throws Exception {
        try (Admin admin = plainAdmin()) {
            if (!admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(topic)) {
                return -1;
            }
            TopicPartition tp = new TopicPartition(topic, 0);
            return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(30, TimeUnit.SECONDS).offset();
        }
    }

    /** Every readable attribute of every MBean of this JVM whose text contains one of {@code secrets}. */
    private static List<String> jmxAttributesContaining(List<String> secrets) throws Exception {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        List<String> found = new java.util.ArrayList<>();
        for (ObjectName name : server.queryNames(null, null)) {
            MBeanAttributeInfo[] attributes;
            try {
                attributes = server.getMBeanInfo(name).getAttributes();
            } catch (javax.management.InstanceNotFoundException gone) {
                continue; // unregistered since the query (a client closed): it shows nothing any more
            }
            for (MBeanAttributeInfo a : attributes) {
                if (!a.isReadable()) {
                    continue;
                }
                Object v;
                try {
                    v = server.getAttribute(name, a.getName());
                } catch (Exception | Error e) {
                    continue; // an attribute that cannot be read shows nothing
                }
                String text = v == null ? "" : deepToString(v);
                if (secrets.stream().anyMatch(text::contains)) {
                    found.add(name + " " + a.getName());
                }
            }
        }
        return found;
    }

    private static String deepToString(Object v) {
        if (v instanceof Object[] arr) {
            return java.util.Arrays.deepToString(arr);
        }
        if (v instanceof javax.management.openmbean.CompositeData cd) {
            return cd.values().toString();
        }
        if (v instanceof javax.management.openmbean.TabularData td) {
            return td.values().toString();
        }
        return String.valueOf(v);
    }
}
