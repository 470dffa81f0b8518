package io.cdcbridge.app;

import io.cdcbridge.delivery.SinkConsumers;
import io.cdcbridge.delivery.SinkModule;
import io.cdcbridge.util.Module;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import io.cdcbridge.bigquery.BigQuerySink;
import io.cdcbridge.capture.CaptureModule;
import io.cdcbridge.capture.CaptureStats;
import io.cdcbridge.carol.CarolSink;
import io.cdcbridge.config.CaptureSettings;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.KafkaTopics;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SettingsCatalog;
import io.cdcbridge.config.SinkSettings;
import io.cdcbridge.errors.DeadLetterModule;
import io.cdcbridge.ops.BridgeStatus;
import io.cdcbridge.ops.OperationsModule;
import io.cdcbridge.ops.OpsServer;
import org.apache.camel.CamelContext;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running application's lifecycle: settings, then (if they ask for it) the demo, then the modules in the order
 * below, then Camel; closing runs it backwards. What each part does lives in its module.
 */
public final class Bridge implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);

    private final Main main = new Main();
    private final Demo demo;
    private final Deque<Module> installed = new ArrayDeque<>();
    private final Settings settings;
    private final CaptureModule capture;
    private final OperationsModule operations;

    private Bridge(Settings raw, List<SinkModule> sinks) throws Exception {
        // The demo comes before the list: its servers decide the settings every module reads (their addresses). It
        // is found only when the settings ask for it, and stops last, after everything that talks to its servers.
        // a misspelt key would otherwise leave its setting at the default without a word
        SettingsCatalog.refuseUnknown(raw);
        demo = Demo.forSettings(raw);
        try {
            // no defaults are filled in here: every reader gets a setting's default from its declaration (the catalog)
            settings = demo.start(raw);
            KafkaConfig kafka = KafkaConfig.from(settings);
            capture = new CaptureModule(settings, kafka);
            operations = new OperationsModule(settings, kafka, capture, enabled(settings, sinks));
            // Installed in this order, closed in reverse:
            // 1. dead letters: their producer exists before any route can fail a batch, and closes after the routes
            //    have drained (a draining route may still publish dead letters);
            // 2. capture: checks the source before anything starts (a bad database fails fast, with the key to fix),
            //    and its publisher and offset store exist before its route; it closes after Camel stopped the route;
            // 3. the sinks' beans, bound before
            // 4. the route files that refer to them are loaded;
            // 5. Camel: everything above is wired into it; Bridge.start/runUntilShutdown starts it after this list,
            //    and closing this entry stops it (the routes drain) before 1-4 release what the routes use;
            // 6. operations: health, metrics, JMX start once Camel runs (ready reports only what runs), and close
            //    first, so no probe or MBean reads a context that is shutting down.
            List<Module> modules = List.of(
                    // 0. one login to Kafka first: bad credentials stop start-up with one line, not a log per client
                    m -> KafkaTopics.checkLogin(kafka, Duration.ofSeconds(15), LOG),
                    new DeadLetterModule(kafka, deadLetterWriters(settings, sinks)),
                    capture,
                    m -> Module.whenContextCreated(m, "kafka consumers", ctx -> SinkConsumers.configure(ctx, kafka.clients())),
                    m -> installSinks(m, sinks),
                    new RouteFiles(settings),
                    new CamelRuntime(settings),
                    operations);
            for (Module m : modules) {
                installed.push(m); // pushed first: a module whose install fails half-way still closes
                m.install(main);
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** The sinks this build knows. */
    public static List<SinkModule> sinks() {
        return List.of(new BigQuerySink(), new CarolSink());
    }

    /** Builds the application (starting the demo servers if the settings ask for them) without starting Camel. */
    public static Bridge create(Settings raw) throws Exception {
        return new Bridge(raw, sinks());
    }

    /** Builds and starts; returns once Camel and the routes are started. */
    public static Bridge start(Settings raw) throws Exception {
        Bridge b = create(raw);
        try {
            b.main.start();
        } catch (Exception | Error e) {
            b.close();
            throw configProblem(e);
        }
        return b;
    }

    /** Runs until the JVM is asked to stop (SIGTERM, Ctrl-C), then shuts down gracefully. */
    public void runUntilShutdown() throws Exception {
        try {
            main.run();
        } catch (Exception | Error e) {
            throw configProblem(e);
        } finally {
            close();
        }
    }

    /** A configuration error raised inside Camel's start-up surfaces as itself, not wrapped. */
    private static Exception configProblem(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ConfigException c) {
                return c;
            }
        }
        if (e instanceof Error err) {
            throw err;
        }
        return (Exception) e;
    }

    private static Set<String> enabled(Settings s, List<SinkModule> sinks) {
        Set<String> names = new TreeSet<>();
        for (SinkModule sink : sinks) {
            if (sink.enabled(s)) {
                names.add(sink.name());
            }
        }
        return names;
    }

    /** Whose dead-letter topics the bridge makes at start: the sinks that run, and capture when it runs. */
    private static Set<String> deadLetterWriters(Settings s, List<SinkModule> sinks) {
        Set<String> writers = enabled(s, sinks);
        if (s.get(CaptureSettings.ENABLED)) {
            writers.add("capture");
        }
        return writers;
    }

    /** Every sink's route file is loaded, so every sink binds its beans; a disabled sink binds inert ones. */
    private void installSinks(Main main, List<SinkModule> sinks) {
        Module.whenContextCreated(main, "sinks", ctx -> {
            for (SinkModule sink : sinks) {
                try {
                    sink.install(settings, ctx);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IllegalStateException("sink " + sink.name() + ": " + e.getMessage(), e);
                }
                if (sink.enabled(settings)) {
                    LOG.info("Sink {} enabled{}", sink.name(), settings.get(SinkSettings.DRY_RUN) ? " (dry-run)" : "");
                }
            }
        });
    }

    /** The Camel context (route status and control; tests and operations). */
    public CamelContext camel() {
        return main.getCamelContext();
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public Settings settings() {
        return settings;
    }

    /** Null until Camel has fully started. */
    public BridgeStatus status() {
        return operations.status();
    }

    /** The HTTP port (health, metrics), -1 when off. */
    public int httpPort() {
        OpsServer server = operations.server();
        return server == null ? -1 : server.port();
    }

    public OpsServer opsServer() {
        return operations.server();
    }

    public CaptureStats captureStats() {
        return capture.stats();
    }

    public long slotLagBytes() {
        return capture.slotLagBytes();
    }

    /**
     * Blocks until the snapshot is done and changes stream from the slot: from then on every committed change
     * arrives as a streamed event.
     */
    public void awaitStreaming(Duration timeout) throws Exception {
        capture.awaitStreaming(timeout);
    }

    /** Closes the installed modules in reverse order, then the demo. Safe to call more than once. */
    @Override
    public synchronized void close() {
        while (!installed.isEmpty()) {
            Module m = installed.pop();
            try {
                m.close();
            } catch (RuntimeException e) {
                LOG.warn("stopping {}: {}", m.getClass().getSimpleName(), e.toString());
            }
        }
        demo.close();
    }
}
