package io.cdcbridge.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import io.cdcbridge.demo.EmbeddedKafkaBroker;
import io.cdcbridge.demo.EmbeddedPostgresServer;

/**
 * The real servers every integration test shares: one embedded Postgres (logical decoding on) and one in-process
 * KRaft broker, started once per test JVM. Tests isolate themselves with a fresh database and a fresh topic prefix
 * ({@link #newDatabase(String)}, {@link #newPrefix(String)}), never by restarting the servers, except tests that
 * restart them on purpose (fault injection), which restart them in place.
 */
public final class TestInfra {

    private static final AtomicInteger SEQ = new AtomicInteger();
    private static EmbeddedPostgresServer postgres;
    private static EmbeddedKafkaBroker kafka;
    private static EmbeddedKafkaBroker securedKafka;
    /** The SCRAM user of {@link #securedKafka()}. */
    public static final String KAFKA_USER = "cdc-bridge";
    /** Its password: distinctive, so a test can prove it appears in no log line. */
    public static final String KAFKA_PASSWORD = "Kafka-Pw-" + Long.toHexString(System.nanoTime()) + "-x7Q";
    private static Path root;
    private static TestTls tls;
    private static org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer;

    private TestInfra() {
    }

    public static synchronized Path root() {
        if (root == null) {
            try {
                root = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "it-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return root;
    }

    /**
     * The shared Postgres. It offers TLS too (a certificate of {@link #tls()}'s CA, for 127.0.0.1): roles in the group
     * {@value #TLS_ONLY} ({@link #tlsRole}) must use TLS and their password, on plain and replication connections alike;
     * every other role connects as always (trust on loopback, TLS if the client asks).
     */
    public static synchronized EmbeddedPostgresServer postgres() {
        if (postgres == null) {
            List<String> hba = new ArrayList<>();
            // a logical replication connection (Debezium's, the preflight's) matches the database column like any
            // other: "all" covers it ("replication" there means physical replication only)
            for (String net : List.of("127.0.0.1/32", "::1/128")) {
                hba.add("hostssl all +" + TLS_ONLY + " " + net + " scram-sha-256");
                hba.add("host all +" + TLS_ONLY + " " + net + " reject");
            }
            postgres = new EmbeddedPostgresServer(root().resolve("postgres"), 0)
                    .withTls(tls().serverCert, tls().serverKey, hba).start();
            Runtime.getRuntime().addShutdownHook(new Thread(postgres::stop));
        }
        return postgres;
    }

    /** The group whose members the shared Postgres lets in only over TLS, with their password (pg_hba.conf). */
    public static final String TLS_ONLY = "tls_only";

    /** The test CA and certificates the shared Postgres uses (made once per test JVM). */
    public static synchronized TestTls tls() {
        if (tls == null) {
            tls = TestTls.create(root().resolve("tls"));
        }
        return tls;
    }

    /** A login role of the shared Postgres that must connect with TLS and its password: where and how to reach it. */
    public record TlsRole(String host, int port, String user, String password, Path caCert) {
        /** Settings for capture as this role with {@code verify-full} against the test CA (a map to extend). */
        public java.util.Map<String, String> sourceSettings() {
            java.util.Map<String, String> m = new java.util.HashMap<>();
            m.put("cdc.source.host", host);
            m.put("cdc.source.port", String.valueOf(port));
            m.put("cdc.source.user", user);
            m.put("cdc.source.password", password);
            m.put("cdc.source.ssl-mode", "verify-full");
            m.put("cdc.source.ssl-root-cert", caCert.toString());
            return m;
        }
    }

    /**
     * Creates a login role (name from the hint, unique) with a random password, in {@link #TLS_ONLY}, with the given
     * extra role options (e.g. {@code REPLICATION}); no superuser, owns nothing, may read nothing until the test grants it.
     */
    public static TlsRole tlsRole(String hint, String... options) {
        String name = (hint + "_" + SEQ.incrementAndGet()).toLowerCase();
        String password = "pw-" + java.util.UUID.randomUUID();
        sql("postgres", "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + TLS_ONLY + "') THEN CREATE ROLE "
                        + TLS_ONLY + " NOLOGIN; END IF; END$$",
                "CREATE ROLE " + name + " LOGIN PASSWORD '" + password + "' " + String.join(" ", options) + " IN ROLE " + TLS_ONLY);
        return new TlsRole(TestTls.SERVER_HOST, postgres().port(), name, password, tls().caCert);
    }

    public static synchronized EmbeddedKafkaBroker kafka() {
        if (kafka == null) {
            kafka = new EmbeddedKafkaBroker(root().resolve("kafka"), 0).start();
            Runtime.getRuntime().addShutdownHook(new Thread(kafka::stop));
        }
        return kafka;
    }

    /**
     * A second broker, as managed clusters are handed over: clients log in with SASL SCRAM-SHA-256 as
     * {@link #KAFKA_USER} on {@link EmbeddedKafkaBroker#saslBootstrapServers()}, and topics are not created on first
     * use (auto-creation off), so only what the bridge creates exists. ACLs are enforced: {@link #KAFKA_USER} is a super
     * user, {@link #limitedKafkaUser()} may use topics and groups but not create topics. Its PLAINTEXT listener is for the tests' own
     * checks ({@link EmbeddedKafkaBroker#bootstrapServers()}); a bridge under test is given only the SASL one
     * ({@link #securedKafkaSettings}). Started once per test JVM, on first use.
     */
    public static synchronized EmbeddedKafkaBroker securedKafka() {
        if (securedKafka == null) {
            securedKafka = new EmbeddedKafkaBroker(root().resolve("kafka-secured"), 0).autoCreateTopics(false)
                    .withScramUser(KAFKA_USER, KAFKA_PASSWORD).withAuthorizer().start();
            Runtime.getRuntime().addShutdownHook(new Thread(securedKafka::stop));
        }
        return securedKafka;
    }

    /**
     * Settings that point a bridge at {@link #securedKafka()} over SASL only: {@code cdc.kafka.brokers} the SASL
     * listener, {@code cdc.kafka.client.*} the login, its JAAS line (with the password) read from a secret file in
     * {@code dir} ({@code cdc.kafka.client.sasl.jaas.config.file}), as a deployment mounts it.
     */
    public static java.util.Map<String, String> securedKafkaSettings(Path dir, String password) {
        return securedKafkaSettings(dir, KAFKA_USER, password);
    }

    /** {@link #securedKafkaSettings(Path, String)} logging in as another SCRAM user. */
    public static java.util.Map<String, String> securedKafkaSettings(Path dir, String user, String password) {
        Path jaas = dir.resolve("kafka-jaas.conf");
        try {
            Files.writeString(jaas, "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                    + user + "\" password=\"" + password + "\";\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        java.util.Map<String, String> s = new java.util.HashMap<>();
        s.put("cdc.kafka.brokers", securedKafka().saslBootstrapServers());
        s.put("cdc.kafka.client.security.protocol", "SASL_PLAINTEXT");
        s.put("cdc.kafka.client.sasl.mechanism", "SCRAM-SHA-256");
        s.put("cdc.kafka.client.sasl.jaas.config.file", jaas.toString());
        return s;
    }

    /** A SCRAM user of {@link #securedKafka()} without the right to create topics; its password is {@link #KAFKA_PASSWORD}. */
    public static final String KAFKA_LIMITED_USER = "cdc-limited";
    private static boolean limitedUser;

    /**
     * Makes (once) {@link #KAFKA_LIMITED_USER} on {@link #securedKafka()}: read, write, describe on every topic and group,
     * as an operator grants a client, but no CREATE.
     */
    public static synchronized String limitedKafkaUser() {
        if (!limitedUser) {
            securedKafka().addScramUser(KAFKA_LIMITED_USER, KAFKA_PASSWORD);
            String principal = "User:" + KAFKA_LIMITED_USER;
            java.util.List<org.apache.kafka.common.acl.AclBinding> acls = new java.util.ArrayList<>();
            for (var op : java.util.List.of(org.apache.kafka.common.acl.AclOperation.READ, org.apache.kafka.common.acl.AclOperation.WRITE,
                    org.apache.kafka.common.acl.AclOperation.DESCRIBE, org.apache.kafka.common.acl.AclOperation.DESCRIBE_CONFIGS)) {
                acls.add(acl(org.apache.kafka.common.resource.ResourceType.TOPIC, principal, op));
            }
            acls.add(acl(org.apache.kafka.common.resource.ResourceType.GROUP, principal, org.apache.kafka.common.acl.AclOperation.READ));
            acls.add(acl(org.apache.kafka.common.resource.ResourceType.GROUP, principal, org.apache.kafka.common.acl.AclOperation.DESCRIBE));
            try (var admin = org.apache.kafka.clients.admin.Admin.create(io.cdcbridge.config.KafkaClients.of(
                    securedKafka().bootstrapServers()).admin("test-acls", java.time.Duration.ofSeconds(30)))) {
                admin.createAcls(acls).all().get(30, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("could not grant " + principal + ": " + e, e);
            }
            limitedUser = true;
        }
        return KAFKA_LIMITED_USER;
    }

    private static org.apache.kafka.common.acl.AclBinding acl(org.apache.kafka.common.resource.ResourceType type, String principal,
                                                              org.apache.kafka.common.acl.AclOperation op) {
        return new org.apache.kafka.common.acl.AclBinding(
                new org.apache.kafka.common.resource.ResourcePattern(type, "*", org.apache.kafka.common.resource.PatternType.LITERAL),
                new org.apache.kafka.common.acl.AccessControlEntry(principal, "*", op, org.apache.kafka.common.acl.AclPermissionType.ALLOW));
    }

    /** A new, empty database on the shared server; its name starts with the given hint. */
    public static String newDatabase(String hint) {
        String name = (hint + "_" + SEQ.incrementAndGet() + "_" + System.nanoTime() % 100000).toLowerCase();
        postgres().createDatabase(name);
        return name;
    }

    /** A topic prefix no other test uses. */
    public static String newPrefix(String hint) {
        return hint.toLowerCase() + SEQ.incrementAndGet();
    }

    /** A directory for one test's files (offsets, dry-run output). */
    public static Path newDir(String hint) {
        try {
            return Files.createDirectories(root().resolve(hint + "-" + SEQ.incrementAndGet()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs SQL statements in one transaction on the given database. */
    public static void sql(String database, String... statements) {
        try (Connection c = postgres().connect(database)) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                for (String s : statements) {
                    st.execute(s);
                }
            }
            c.commit();
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
    }

    /** Produces one record to the shared broker and waits for the ack. Headers: name, value, name, value... */
    public static void produce(String topic, String key, String value, String... headers) {
        var r = new org.apache.kafka.clients.producer.ProducerRecord<>(topic, null,
                key == null ? null : key.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            r.headers().add(headers[i], headers[i + 1].getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        try {
            producer().send(r).get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("produce to " + topic + " failed: " + e, e);
        }
    }

    private static synchronized org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            producer = new org.apache.kafka.clients.producer.KafkaProducer<>(java.util.Map.of(
                    "bootstrap.servers", kafka().bootstrapServers(), "acks", "all", "linger.ms", "0",
                    "key.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName(),
                    "value.serializer", org.apache.kafka.common.serialization.ByteArraySerializer.class.getName()));
        }
        return producer;
    }

    /**
     * Settings for a bridge that only delivers (capture off) on the shared broker, with topic prefix {@code prefix},
     * Carol on the fake (its own consumer group, short batches), no hot reload, a random HTTP port. Mutable: tests add
     * their own keys.
     */
    public static java.util.Map<String, String> deliverySettings(String prefix, Path dir, FakeCarol carol) {
        java.util.Map<String, String> s = new java.util.HashMap<>(carol.settings());
        s.put("cdc.capture.enabled", "false");
        s.put("cdc.source.host", postgres().host()); // not the demo; capture is off
        s.put("cdc.kafka.brokers", kafka().bootstrapServers());
        s.put("cdc.kafka.topic-prefix", prefix);
        s.put("cdc.carol.group-id", "carol-" + prefix);
        s.put("cdc.carol.batch-timeout-ms", "50");
        s.put("cdc.routes.reload", "false");
        s.put("cdc.http.port", "0");
        s.put("cdc.data-dir", dir.toString());
        return s;
    }
}
