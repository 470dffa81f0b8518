package io.cdcbridge.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import io.cdcbridge.config.KafkaClients;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node KRaft Kafka broker in this JVM: the demo's broker, and the tests' shared one.
 * Its data directory survives a restart (the same cluster id is kept), so {@link #stop()} then {@link #start()} is a
 * broker restart.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private final Path dataDir;
    private final int port;
    private final int controllerPort;
    private boolean autoCreateTopics = true;
    private int saslPort = -1;
    private String saslUser;
    private String saslPassword;
    private boolean authorizer;
    private KafkaRaftServer server;

    public EmbeddedKafkaBroker(Path dataDir, int port) {
        this.dataDir = dataDir;
        this.port = port == 0 ? freePort() : port;
        this.controllerPort = freePort();
    }

    /**
     * Whether the broker creates a topic on first use ({@code auto.create.topics.enable}; on for the demo). Off, as
     * managed clusters run, only what the bridge creates exists. Before {@link #start()}.
     */
    public EmbeddedKafkaBroker autoCreateTopics(boolean on) {
        this.autoCreateTopics = on;
        return this;
    }

    /**
     * Beside PLAINTEXT, a SASL_PLAINTEXT listener with SCRAM-SHA-256 ({@link #saslBootstrapServers()}), and this user
     * made at start (through {@code Admin.alterUserScramCredentials}; KRaft keeps SCRAM credentials in its metadata).
     * Before {@link #start()}.
     */
    public EmbeddedKafkaBroker withScramUser(String user, String password) {
        this.saslPort = freePort();
        this.saslUser = user;
        this.saslPassword = password;
        return this;
    }

    /**
     * A stand-alone broker for scripts ({@code bench/}): {@code java -cp cdc-bridge.jar
     * io.cdcbridge.demo.EmbeddedKafkaBroker DATA_DIR PORT}; runs until killed.
     */
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: EmbeddedKafkaBroker DATA_DIR PORT");
            System.exit(64);
        }
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(Path.of(args[0]), Integer.parseInt(args[1])).start();
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close));
        System.out.println("Kafka broker started on " + broker.bootstrapServers());
        Thread.currentThread().join();
    }

    /**
     * ACLs enforced (KRaft's StandardAuthorizer, nothing allowed without an ACL): the PLAINTEXT listener's anonymous
     * principal and the {@link #withScramUser} user are super users; other SCRAM users ({@link #addScramUser}) get only
     * the ACLs made for them. Before {@link #start()}.
     */
    public EmbeddedKafkaBroker withAuthorizer() {
        this.authorizer = true;
        return this;
    }

    public synchronized EmbeddedKafkaBroker start() {
        if (server != null) {
            return this;
        }
        long t0 = System.nanoTime();
        Map<String, String> props = brokerProperties();
        try {
            Files.createDirectories(dataDir);
            if (!Files.exists(dataDir.resolve("meta.properties"))) {
                format(props);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server = new KafkaRaftServer(new KafkaConfig(props, false), Time.SYSTEM);
        server.startup();
        if (saslPort > 0) {
            addScramUser(saslUser, saslPassword);
        }
        LOG.info("Embedded Kafka broker on {} ({} ms, data in {})", bootstrapServers(), (System.nanoTime() - t0) / 1_000_000, dataDir);
        return this;
    }

    private void format(Map<String, String> props) throws IOException {
        Path config = Files.createTempFile("kraft", ".properties");
        try {
            Properties p = new Properties();
            p.putAll(props);
            try (var out = Files.newOutputStream(config)) {
                p.store(out, null);
            }
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            int rc = StorageTool.execute(new String[] {"format", "-t", clusterId(), "-c", config.toString(), "--ignore-formatted"},
                    new PrintStream(buf, true, StandardCharsets.UTF_8));
            if (rc != 0) {
                throw new IllegalStateException("Kafka storage format failed: " + buf.toString(StandardCharsets.UTF_8));
            }
        } finally {
            Files.deleteIfExists(config);
        }
    }

    private static String clusterId() {
        return org.apache.kafka.common.Uuid.randomUuid().toString();
    }

    /**
     * Adds (or updates) a SCRAM-SHA-256 user; returns once the SASL listener accepts its login. SCRAM credentials live
     * in the cluster metadata: made through the PLAINTEXT listener, then awaited on the SASL one (the broker applies the
     * metadata record shortly after the controller commits it).
     */
    public void addScramUser(String user, String password) {
        try (Admin admin = Admin.create(KafkaClients.of(bootstrapServers()).admin("embedded-broker-setup", Duration.ofSeconds(30)))) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_256, 4096), password))).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("could not create the SCRAM user " + user + ": " + e, e);
        }
        long deadline = System.currentTimeMillis() + 30_000;
        Map<String, Object> sasl = KafkaClients.of(saslBootstrapServers()).admin("embedded-broker-setup", Duration.ofSeconds(2));
        sasl.putAll(saslClientProperties(user, password));
        while (true) {
            try (Admin admin = Admin.create(sasl)) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                if (System.currentTimeMillis() > deadline) {
                    throw new IllegalStateException("the SASL listener did not accept " + user + " within 30 s: " + e.getClass().getSimpleName());
                }
                try {
                    Thread.sleep(100); // polling interval of a condition checked above, not a synchronisation
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", ie);
                }
            }
        }
    }

    /** The client properties that log in as the SCRAM user (with its password: for tests and scripts). */
    public Map<String, String> saslClientProperties() {
        return saslClientProperties(saslUser, saslPassword);
    }

    /** The client properties that log in as this SCRAM user. */
    public Map<String, String> saslClientProperties(String user, String password) {
        if (saslPort < 0) {
            throw new IllegalStateException("no SASL listener: withScramUser was not called");
        }
        return Map.of("security.protocol", "SASL_PLAINTEXT", "sasl.mechanism", "SCRAM-SHA-256",
                "sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                        + user + "\" password=\"" + password + "\";");
    }

    /** The SASL_PLAINTEXT listener's address, {@code 127.0.0.1:port}. */
    public String saslBootstrapServers() {
        if (saslPort < 0) {
            throw new IllegalStateException("no SASL listener: withScramUser was not called");
        }
        return "127.0.0.1:" + saslPort;
    }

    private Map<String, String> brokerProperties() {
        Map<String, String> p = new java.util.HashMap<>(baseProperties());
        if (saslPort > 0) {
            p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort
                    + ",CONTROLLER://127.0.0.1:" + controllerPort);
            p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port + ",SASL_PLAINTEXT://127.0.0.1:" + saslPort);
            p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT");
            p.put("sasl.enabled.mechanisms", "SCRAM-SHA-256");
            p.put("listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config",
                    "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        }
        if (authorizer) {
            p.put("authorizer.class.name", "org.apache.kafka.metadata.authorizer.StandardAuthorizer");
            p.put("super.users", "User:ANONYMOUS" + (saslUser == null ? "" : ";User:" + saslUser));
            p.put("allow.everyone.if.no.acl.found", "false");
        }
        p.put("auto.create.topics.enable", String.valueOf(autoCreateTopics));
        return p;
    }

    private Map<String, String> baseProperties() {
        return Map.ofEntries(
                Map.entry("process.roles", "broker,controller"),
                Map.entry("node.id", "1"),
                Map.entry("controller.quorum.voters", "1@127.0.0.1:" + controllerPort),
                Map.entry("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort),
                Map.entry("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port),
                Map.entry("controller.listener.names", "CONTROLLER"),
                Map.entry("inter.broker.listener.name", "PLAINTEXT"),
                Map.entry("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT"),
                Map.entry("log.dirs", dataDir.toAbsolutePath().toString()),
                Map.entry("num.partitions", "1"),
                Map.entry("offsets.topic.replication.factor", "1"),
                Map.entry("offsets.topic.num.partitions", "5"),
                Map.entry("transaction.state.log.replication.factor", "1"),
                Map.entry("transaction.state.log.min.isr", "1"),
                Map.entry("share.coordinator.state.topic.replication.factor", "1"),
                Map.entry("share.coordinator.state.topic.min.isr", "1"),
                Map.entry("group.initial.rebalance.delay.ms", "0"),
                // small footprint for a demo/test broker
                Map.entry("num.network.threads", "2"),
                Map.entry("num.io.threads", "2"),
                Map.entry("log.segment.bytes", String.valueOf(64 * 1024 * 1024)));
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
            LOG.info("Embedded Kafka broker stopped");
        }
    }

    public synchronized boolean running() {
        return server != null;
    }

    @Override
    public void close() {
        stop();
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
