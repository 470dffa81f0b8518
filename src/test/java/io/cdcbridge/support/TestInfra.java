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
