package io.cdcbridge;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.cdcbridge.app.Bridge;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.DemoSettings;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.KafkaSettings;
import io.cdcbridge.config.OpsSettings;
import io.cdcbridge.config.Settings;

/**
 * {@code java -jar cdc-bridge.jar [run]}: runs the bridge. With the shipped settings (no database, no broker)
 * {@code cdc-bridge.jar} runs the embedded demo; the production {@code cdc-bridge-server.jar} has no demo and stops,
 * naming the setting to fill ({@link io.cdcbridge.app.Demo}). Start-up problems end the process with one readable line
 * and a non-zero exit code.
 */
public final class Main {

    /** The {@code routes} command's JMX port when {@code cdc.jmx.port} is not set (remote JMX is off by default). */
    private static final int ROUTES_JMX_PORT = 1099;

    /**
     * camel-headersmap's map (cedarsoftware java-util) logs through java.util.logging in a console format of its own: its
     * INFO start-up line broke the log's one format (and a JSON log's one object per line). Held here because
     * java.util.logging keeps its loggers only weakly, and a level set on a collected one is lost.
     */
    private static final java.util.logging.Logger JAVA_UTIL_LIBRARY_LOG = java.util.logging.Logger.getLogger("com.cedarsoftware");

    static {
        JAVA_UTIL_LIBRARY_LOG.setLevel(java.util.logging.Level.WARNING);
    }

    /** The status the process ends with, also when a shutdown hook ends it. */
    private static volatile int exitStatus;

    private Main() {
    }

    public static void main(String[] args) {
        String command = args.length == 0 ? "run" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        int code;
        try {
            if (command.equals("--version") || command.equals("version")) {
                System.exit(version()); // needs no settings: it answers on a machine not yet configured
            }
            Settings settings = Settings.load(System.getenv(), System.getProperties());
            // logback.xml reads the format as a system property of the same name
            System.setProperty(OpsSettings.LOG_FORMAT.key(), settings.get(OpsSettings.LOG_FORMAT));
            code = switch (command) {
                case "run" -> run(settings);
                case "replay" -> replay(settings, rest);
                case "routes" -> routes(settings, rest);
                case "check" -> check(settings);
                case "resync" -> resync(settings, rest);
                case "backfill" -> backfill(settings, rest);
                case "version", "--version" -> version();
                case "help", "--help", "-h" -> usage(0);
                default -> usage(2);
            };
        } catch (ConfigException e) {
            System.err.println("cdc-bridge: configuration error: " + e.getMessage());
            code = 2;
        } catch (Exception | Error e) {
            System.err.println("cdc-bridge: failed to start: " + ConfigException.rootMessage(e));
            code = 1;
        }
        exitStatus = code;
        System.exit(code);
    }

    private static int run(Settings settings) throws Exception {
        // On SIGTERM the JVM only waits for shutdown hooks, not for this thread: this hook holds the exit until the
        // bridge has stopped capture, drained and committed, then exits 0 (a requested stop is not a failure).
        CountDownLatch closed = new CountDownLatch(1);
        long timeoutS = settings.get(OpsSettings.SHUTDOWN_TIMEOUT).toSeconds() + 15;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (closed.await(timeoutS, TimeUnit.SECONDS)) {
                    Runtime.getRuntime().halt(exitStatus);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cdc-bridge-shutdown"));
        try (Bridge bridge = Bridge.create(settings)) {
            bridge.runUntilShutdown();
        } finally {
            closed.countDown();
        }
        return 0;
    }

    private static int usage(int code) {
        System.out.println("""
                usage: java -jar cdc-bridge.jar [command]
                  run      capture Postgres changes and deliver them (default)
                  replay --sink bigquery|carol [--table schema.table] [--dry-run]
                           move the sink's dead letters back to their topics, to be delivered again
                  routes list | suspend ID | resume ID [--jmx host:port]
                           the routes of a running instance, over JMX (it needs cdc.jmx.port)
                  check    validate the settings and reach Postgres, Kafka, BigQuery, Carol: one line per part,
                           exit 0 only when all pass (creates nothing)
                  backfill --table schema.table [--where SQL] [--jmx host:port]
                           read a captured table's current rows again (those WHERE selects) while streaming goes on,
                           as op r events, on a running instance over JMX (docs/operations.md, Backfill)
                  resync [--force]
                           with the bridge stopped, after a lost replication slot: remove the stored offsets, so the
                           next start makes a new slot and snapshots every table again (docs/operations.md, Lost slot)
                  --version
                  help     this text
                Settings: application.properties, environment variables or -Dcdc.* (docs/configuration.md).""");
        return code;
    }

    /** {@code check}: {@link io.cdcbridge.app.Check}, one line per part on stdout. */
    private static int check(Settings settings) {
        boolean all = true;
        for (var r : io.cdcbridge.app.Check.run(settings)) {
            System.out.println(r);
            all &= r.ok();
        }
        return all ? 0 : 1;
    }

    /** {@code resync [--force]}: {@link io.cdcbridge.app.Resync}, one line. */
    private static int resync(Settings settings, String[] args) {
        boolean force = args.length == 1 && args[0].equals("--force");
        if (args.length > 1 || (args.length == 1 && !force)) {
            System.err.println("usage: resync [--force]");
            return 2;
        }
        try {
            System.out.println(io.cdcbridge.app.Resync.run(settings, force));
            return 0;
        } catch (IllegalStateException e) {
            System.err.println("cdc-bridge resync: " + e.getMessage());
            return 1;
        }
    }

    /** {@code --version}: the version Maven stamped into the jar's manifest, and the runtime. */
    private static int version() {
        String v = Main.class.getPackage().getImplementationVersion();
        String camel = null;
        try (var in = Main.class.getResourceAsStream("/META-INF/MANIFEST.MF")) {
            camel = in == null ? null : new java.util.jar.Manifest(in).getMainAttributes().getValue("Camel-Version");
        } catch (java.io.IOException ignored) {
            // the version line goes without it
        }
        System.out.println("cdc-bridge " + (v == null ? "(development build, not from the jar)" : v) + ", Java " + Runtime.version()
                + (camel == null ? "" : ", Camel " + camel) + ", Debezium " + io.debezium.connector.postgresql.Module.version());
        return 0;
    }

    /** {@code replay --sink S [--table schema.table] [--dry-run]}: against the configured (or the demo's) broker. */
    private static int replay(Settings settings, String[] args) {
        String sink = null;
        String table = null;
        boolean dryRun = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--sink" -> sink = i + 1 < args.length ? args[++i] : null;
                case "--table" -> table = i + 1 < args.length ? args[++i] : null;
                case "--dry-run" -> dryRun = true;
                default -> {
                    System.err.println("cdc-bridge replay: unknown argument " + args[i]);
                    return usage(2);
                }
            }
        }
        if (sink == null || !sink.matches("[a-z]+")) {
            System.err.println("cdc-bridge replay: --sink bigquery|carol is required");
            return 2;
        }
        if (table != null && !table.contains(".")) {
            System.err.println("cdc-bridge replay: --table must be schema.table, got " + table);
            return 2;
        }
        if (!settings.has(KafkaSettings.BROKERS)) { // the running demo's embedded broker
            settings = settings.with(java.util.Map.of(KafkaSettings.BROKERS.key(), "127.0.0.1:" + settings.get(DemoSettings.KAFKA_PORT)));
        }
        KafkaConfig kafka = KafkaConfig.from(settings);
        var result = new io.cdcbridge.errors.DeadLetterReplay(kafka.clients(), kafka.topicPrefix()).replay(sink, table, dryRun);
        System.out.println((dryRun ? "dry run, would replay: " : "") + result);
        return result.failed() == 0 ? 0 : 1;
    }

    /** {@code routes list|suspend ID|resume ID [--jmx host:port]}: Camel's route MBeans of a running instance. */
    private static int routes(Settings settings, String[] args) throws Exception {
        String jmx = defaultJmx(settings);
        java.util.List<String> words = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--jmx") && i + 1 < args.length) {
                jmx = args[++i];
            } else {
                words.add(args[i]);
            }
        }
        if (words.isEmpty() || !java.util.Set.of("list", "suspend", "resume").contains(words.get(0))
                || (!words.get(0).equals("list") && words.size() != 2)) {
            System.err.println("usage: routes list | suspend ID | resume ID [--jmx host:port]");
            return 2;
        }
        try (var connector = jmxConnect(settings, jmx)) {
            var server = connector.getMBeanServerConnection();
            var names = server.queryNames(new javax.management.ObjectName("org.apache.camel:type=routes,*"), null);
            if (words.get(0).equals("list")) {
                for (var name : new java.util.TreeSet<>(names)) {
                    System.out.printf("%-24s %-10s %s%n", server.getAttribute(name, "RouteId"), server.getAttribute(name, "State"),
                            server.getAttribute(name, "ExchangesTotal"));
                }
                return 0;
            }
            for (var name : names) {
                if (words.get(1).equals(server.getAttribute(name, "RouteId"))) {
                    server.invoke(name, words.get(0), null, null);
                    System.out.println(words.get(1) + " " + server.getAttribute(name, "State"));
                    return 0;
                }
            }
            System.err.println("no route " + words.get(1));
            return 1;
        }
    }

    /** The JMX address {@code routes} and {@code backfill} reach when {@code --jmx} is not given. */
    private static String defaultJmx(Settings settings) {
        return settings.get(OpsSettings.JMX_HOST) + ":"
                + (settings.has(OpsSettings.JMX_PORT) ? settings.get(OpsSettings.JMX_PORT) : ROUTES_JMX_PORT);
    }

    /** Remote JMX of a running instance, logged in with the same settings as the bridge's (user, password, TLS). */
    private static javax.management.remote.JMXConnector jmxConnect(Settings settings, String jmx) throws java.io.IOException {
        var url = new javax.management.remote.JMXServiceURL("service:jmx:rmi:///jndi/rmi://" + jmx + "/jmxrmi");
        java.util.Map<String, Object> env = new java.util.HashMap<>();
        if (settings.has(OpsSettings.JMX_PASSWORD)) {
            env.put(javax.management.remote.JMXConnector.CREDENTIALS,
                    new String[] {settings.get(OpsSettings.JMX_USER), settings.get(OpsSettings.JMX_PASSWORD)});
        }
        if (settings.get(OpsSettings.JMX_SSL)) {
            env.put("com.sun.jndi.rmi.factory.socket", new javax.rmi.ssl.SslRMIClientSocketFactory());
        }
        return javax.management.remote.JMXConnectorFactory.connect(url, env);
    }

    /**
     * {@code backfill --table schema.table [--where SQL] [--jmx host:port]}: the bridge MBean's {@code backfill}
     * operation on a running instance. One line either way: what started, or why not (the bridge's own words).
     */
    private static int backfill(Settings settings, String[] args) {
        String jmx = defaultJmx(settings);
        String table = null;
        String where = "";
        for (int i = 0; i < args.length; i++) {
            String next = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--table" -> table = next;
                case "--where" -> where = next;
                case "--jmx" -> jmx = next;
                default -> {
                    System.err.println("cdc-bridge backfill: unknown argument " + args[i]);
                    next = "";
                }
            }
            if (next == null || next.isEmpty()) {
                System.err.println("usage: backfill --table schema.table [--where SQL] [--jmx host:port]");
                return 2;
            }
            i++;
        }
        if (table == null) {
            System.err.println("usage: backfill --table schema.table [--where SQL] [--jmx host:port]");
            return 2;
        }
        try (var connector = jmxConnect(settings, jmx)) {
            Object line = connector.getMBeanServerConnection().invoke(new javax.management.ObjectName("io.cdcbridge:type=Bridge"),
                    "backfill", new Object[] {table, where}, new String[] {String.class.getName(), String.class.getName()});
            System.out.println(line);
            return 0;
        } catch (java.io.IOException e) {
            System.err.println("cdc-bridge backfill: cannot reach the bridge's JMX at " + jmx + " (" + ConfigException.rootMessage(e)
                    + "); it needs cdc.jmx.port, and --jmx host:port");
            return 1;
        } catch (Exception e) {
            // the bridge's refusal arrives wrapped by JMX (RuntimeMBeanException, MBeanException): its own words inside
            Throwable t = e;
            while (t.getCause() != null && t.getCause() != t) {
                t = t.getCause();
            }
            System.err.println("cdc-bridge backfill: " + (t.getMessage() == null ? t.toString() : t.getMessage()));
            return 1;
        }
    }
}
