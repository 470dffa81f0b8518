package io.cdcbridge.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import io.cdcbridge.bigquery.BigQuerySink;
import io.cdcbridge.carol.CarolSink;
import io.cdcbridge.capture.AckedOffsetStore;
import io.cdcbridge.capture.CaptureProgress;
import io.cdcbridge.capture.CapturePublisher;
import io.cdcbridge.capture.CaptureRoute;
import io.cdcbridge.capture.CaptureStats;
import io.cdcbridge.capture.SourcePreflight;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceConfig;
import io.cdcbridge.demo.DemoEnvironment;
import io.cdcbridge.errors.DeadLetters;
import org.apache.camel.CamelContext;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.main.Main;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running application: settings → (demo servers) → camel-main with the Java capture route and the YAML delivery
 * routes of {@code routes/}. The only place that knows about the demo and about every sink.
 */
public final class Bridge implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Bridge.class);

    private final DemoEnvironment demo = new DemoEnvironment();
    private final Main main = new Main();
    private final Settings settings;
    private final CaptureStats captureStats = new CaptureStats();
    private CapturePublisher publisher;
    private CaptureProgress progress;
    private KafkaProducer<byte[], byte[]> dlqProducer;
    private String session;
    private volatile boolean closing;
    private final io.cdcbridge.ops.OpsMetrics metrics = new io.cdcbridge.ops.OpsMetrics();
    private io.cdcbridge.ops.OpsServer opsServer;
    private io.cdcbridge.ops.BridgeManagement management;
    private io.cdcbridge.ops.BridgeStatus status;
    private javax.management.remote.JMXConnectorServer jmxServer;
    private io.cdcbridge.ops.DeliveryProgress deliveryProgress;
    private org.apache.camel.cluster.CamelClusterService clusterService;

    private Bridge(Settings raw, List<SinkModule> sinks) throws Exception {
        Settings s;
        try {
            s = demo.start(raw);
            s = resolveDefaults(s, sinks, demo.active());
            this.settings = s;
            configure(s, sinks);
        } catch (Exception | Error e) {
            closeQuietly();
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

    /**
     * One capturing instance per replication slot: with {@code cdc.capture.lock-dir} (a directory all instances share)
     * the capture route runs only on the instance holding the slot's file lock; the others stand by and take over
     * within about {@code cdc.capture.lock-interval-ms} after the leader dies, resuming from the stored offsets (use
     * {@code cdc.offsets.store=kafka}, or an offsets file on the shared volume). Delivery runs on every instance.
     */
    private org.apache.camel.spi.RoutePolicy leaderElection(Settings s, SourceConfig source) throws Exception {
        if (!s.has("cdc.capture.lock-dir")) {
            return null;
        }
        Path dir = Path.of(s.get("cdc.capture.lock-dir", ""));
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ConfigException("cdc.capture.lock-dir", "cannot create " + dir + " (" + e.getClass().getSimpleName() + ")");
        }
        long interval = s.getLong("cdc.capture.lock-interval-ms", 1000);
        var service = new org.apache.camel.component.file.cluster.FileLockClusterService();
        service.setId("cdc-capture-lock");
        service.setRoot(dir.toAbsolutePath().toString());
        service.setAcquireLockDelay(interval, java.util.concurrent.TimeUnit.MILLISECONDS);
        service.setAcquireLockInterval(interval, java.util.concurrent.TimeUnit.MILLISECONDS);
        clusterService = service;
        LOG.info("Capture leader election on: lock {}/capture-{} (only the holder captures)", dir, source.slot());
        return org.apache.camel.impl.cluster.ClusteredRoutePolicy.forNamespace(service, "capture-" + source.slot());
    }

    /** Capture's producer: its timeouts, plus any {@code cdc.kafka.producer.<Kafka producer property>} (tuning). */
    private static Map<String, Object> producerSettings(Settings s) {
        Map<String, Object> p = new HashMap<>(kafkaTimeouts(s.getLong("cdc.capture.kafka-timeout-ms", 120_000)));
        p.putAll(s.under("cdc.kafka.producer."));
        return p;
    }

    /** Producer timeouts for capture: a send retries for {@code totalMs} before capture stops and waits for Kafka. */
    private static Map<String, Object> kafkaTimeouts(long totalMs) {
        if (totalMs < 2000) {
            throw new ConfigException("cdc.capture.kafka-timeout-ms", "must be at least 2000, got " + totalMs);
        }
        long request = Math.min(30_000, totalMs / 2);
        return Map.of("delivery.timeout.ms", String.valueOf(totalMs), "request.timeout.ms", String.valueOf(request),
                "max.block.ms", String.valueOf(totalMs));
    }

    /** JMX MBean, HTTP port (health, metrics), remote JMX if configured: once Camel runs. */
    private void startOperations(Settings s, KafkaConfig kafka, boolean capture, List<SinkModule> sinks) throws Exception {
        CamelContext ctx = main.getCamelContext();
        status = new io.cdcbridge.ops.BridgeStatus(ctx, captureStats, this::slotLagBytes);
        metrics.bind(status);
        // delivery progress lines and the sinks' lag, for the enabled sinks
        java.util.Set<String> enabledSinks = new java.util.TreeSet<>();
        for (SinkModule sink : sinks) {
            if (s.getBool("cdc." + sink.name() + ".enabled", false)) {
                enabledSinks.add(sink.name());
            }
        }
        if (!enabledSinks.isEmpty()) {
            deliveryProgress = new io.cdcbridge.ops.DeliveryProgress(kafka.brokers(), status::delivered, () -> enabledSinks,
                    sink -> s.get("cdc." + sink + ".group-id", "cdc-bridge-" + sink), 3000)
                    .start(s.getLong("cdc.progress-interval-ms", 5000));
            metrics.bindSinkLag(enabledSinks, deliveryProgress::lag);
        }
        management = new io.cdcbridge.ops.BridgeManagement(status, ctx,
                new io.cdcbridge.errors.DeadLetterReplay(kafka.brokers(), kafka.topicPrefix())).register();
        int port = s.getInt("cdc.http.port", 8080);
        if (port >= 0) {
            boolean election = s.has("cdc.capture.lock-dir");
            String host = s.get("cdc.http.host", "127.0.0.1");
            opsServer = new io.cdcbridge.ops.OpsServer(host, port, ctx, metrics, kafka.brokers(),
                    () -> capture && (!election || ctx.getRouteController().getRouteStatus(CaptureRoute.ROUTE_ID).isStarted()),
                    () -> ctx.getRouteController().getRouteStatus(CaptureRoute.ROUTE_ID).isStarted()
                            && io.cdcbridge.capture.CaptureReadiness.engineActive(kafka.topicPrefix()));
            boolean loopback = java.net.InetAddress.getByName(host).isLoopbackAddress();
            java.util.Set<String> sensitive = new java.util.HashSet<>();
            for (String c : s.get("cdc.console.sensitive-columns", "").split(",")) {
                if (!c.isBlank()) {
                    sensitive.add(c.trim());
                }
            }
            new io.cdcbridge.ops.StatusConsole(status, captureStats, ctx, loopback, s.get("cdc.console.token", null), sensitive)
                    .install(opsServer);
            opsServer.start();
        }
        if (s.has("cdc.jmx.port")) {
            jmxServer = io.cdcbridge.ops.RemoteJmx.start(s.get("cdc.jmx.host", "127.0.0.1"), s.getPort("cdc.jmx.port", 1099));
        }
    }

    /** The HTTP port (health, metrics), -1 when off. */
    public int httpPort() {
        return opsServer == null ? -1 : opsServer.port();
    }

    public io.cdcbridge.ops.OpsServer opsServer() {
        return opsServer;
    }

    public io.cdcbridge.ops.BridgeStatus status() {
        return status;
    }

    /** The Camel context (route status and control; tests and operations). */
    public CamelContext camel() {
        return main.getCamelContext();
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

    static Settings resolveDefaults(Settings s, List<SinkModule> sinks, boolean demo) {
        Map<String, String> d = new HashMap<>();
        KafkaConfig kafka = KafkaConfig.from(s);
        d.put("cdc.kafka.topic-pattern", kafka.changeEventTopicPattern());
        d.put("cdc.sink.dry-run", String.valueOf(s.getBool("cdc.sink.dry-run", false))); // the demo sets true
        d.put("cdc.data-dir", s.get("cdc.data-dir", "data"));
        d.put("cdc.delivery.max-retries", String.valueOf(s.getInt("cdc.delivery.max-retries", 20)));
        d.put("cdc.delivery.retry-delay-ms", String.valueOf(s.getLong("cdc.delivery.retry-delay-ms", 500)));
        d.put("cdc.delivery.max-retry-delay-ms", String.valueOf(s.getLong("cdc.delivery.max-retry-delay-ms", 30_000)));
        Settings withDefaults = s.with(d);
        Map<String, String> enabled = new HashMap<>();
        for (SinkModule sink : sinks) {
            String key = "cdc." + sink.name() + ".enabled";
            enabled.put(key, String.valueOf(withDefaults.getBool(key, sink.enabled(withDefaults))));
        }
        return withDefaults.with(enabled);
    }

    private void configure(Settings s, List<SinkModule> sinks) throws Exception {
        KafkaConfig kafka = KafkaConfig.from(s);
        boolean capture = s.getBool("cdc.capture.enabled", true);

        main.configure().setName("cdc-bridge");
        // Settings already merged application.properties, environment and -D: Camel must not read the file again
        // (its blank values would override the routes' placeholder defaults)
        main.setDefaultPropertyPlaceholderLocation("false");
        // Camel's start-up summary prints every property; ours include secrets (masking is by Camel's own word list)
        main.configure().setAutoConfigurationLogSummary(false);
        main.configure().setJmxEnabled(true);
        // route-level JMX statistics (exchanges, timings) but not one per processor: the capture route runs once per
        // event, and per-processor bookkeeping is measurable there
        main.configure().setJmxManagementStatisticsLevel(org.apache.camel.ManagementStatisticsLevel.RoutesOnly);
        main.configure().setShutdownTimeout(s.getInt("cdc.shutdown-timeout-s", 30));
        routes(s);
        main.configure().health().setEnabled(true);

        Properties props = new Properties();
        // blank means "not set": the routes' placeholder defaults ({{key:default}}) apply. Secrets stay out of Camel:
        // the routes do not need them, and Camel would show its properties (JMX, dev consoles) by its own word list.
        s.asMap().forEach((k, v) -> {
            if (!v.isBlank() && !Settings.isSecret(k)) {
                props.put(k, v);
            }
        });
        main.setOverrideProperties(props);

        dlqProducer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.brokers(),
                ProducerConfig.CLIENT_ID_CONFIG, "cdc-bridge-dlq",
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
        main.bind("deadLetters", new DeadLetters(dlqProducer, kafka.topicPrefix()));

        if (capture) {
            SourceConfig source = SourceConfig.from(s);
            SourcePreflight.check(source);
            createParent(kafka.offsetFile());
            session = "capture-" + UUID.randomUUID();
            publisher = new CapturePublisher(kafka.brokers(),
                    producerSettings(s),
                    kafka.partitions(), kafka.replicationFactor(),
                    this::captureFailed);
            AckedOffsetStore.register(session, publisher);
            main.configure().addRoutesBuilder(new CaptureRoute(source, kafka, publisher, captureStats, session,
                    leaderElection(s, source)));
            progress = new CaptureProgress(captureStats, source, s.getLong("cdc.capture.slot-lag-warn-bytes", 1L << 30)).start(s.getLong("cdc.progress-interval-ms", 5000))
                    .watchStreaming(kafka.topicPrefix());
        }
        // The sinks bind their beans once Camel's context exists and before the route files are loaded (every sink's
        // route file is loaded, so a disabled sink binds inert beans).
        main.addMainListener(new MainListenerSupport() {
            @Override
            public void beforeConfigure(BaseMainSupport m) {
                CamelContext ctx = m.getCamelContext();
                // Camel's per-route metrics (exchanges, failures, timings) into the registry behind /metrics; not for
                // the capture route, whose exchanges are single events: there the policy cost a quarter of the
                // thread's time (docs/benchmarks.md), and cdc_captured_events_total already counts them
                var routeMetrics = new org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory() {
                    @Override
                    public org.apache.camel.spi.RoutePolicy createRoutePolicy(CamelContext context, String routeId, org.apache.camel.NamedNode route) {
                        return CaptureRoute.ROUTE_ID.equals(routeId) ? null : super.createRoutePolicy(context, routeId, route);
                    }
                };
                routeMetrics.setMeterRegistry(metrics.registry());
                ctx.addRoutePolicyFactory(routeMetrics);
                // JMX MBean, HTTP port, remote JMX: once Camel and its routes run (both run paths pass here)
                try {
                    ctx.addStartupListener(new org.apache.camel.ExtendedStartupListener() {
                    @Override
                    public void onCamelContextStarted(CamelContext c, boolean alreadyStarted) {
                    }

                    @Override
                    public void onCamelContextFullyStarted(CamelContext c, boolean alreadyStarted) throws Exception {
                        startOperations(s, kafka, capture, sinks);
                    }
                    });
                } catch (Exception e) {
                    throw new IllegalStateException("operations: " + e.getMessage(), e);
                }
                if (clusterService != null) {
                    try {
                        ctx.addService(clusterService);
                    } catch (Exception e) {
                        throw new IllegalStateException("leader election: " + e.getMessage(), e);
                    }
                }
                for (SinkModule sink : sinks) {
                    try {
                        sink.install(s, ctx);
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException("sink " + sink.name() + ": " + e.getMessage(), e);
                    }
                    if (s.getBool("cdc." + sink.name() + ".enabled", false)) {
                        LOG.info("Sink {} enabled{}", sink.name(), s.getBool("cdc.sink.dry-run", false) ? " (dry-run)" : "");
                    }
                }
            }
        });
    }

    /** Delivery routes: {@code routes/*.camel.yaml} from the working directory if present, else those in the jar. */
    private void routes(Settings s) {
        Path dir = Path.of(s.get("cdc.routes.dir", "routes"));
        boolean onDisk = Files.isDirectory(dir);
        main.configure().setRoutesIncludePattern(onDisk
                ? "file:" + dir.toAbsolutePath() + "/*.camel.yaml"
                : ShippedRoutes.locations());
        if (s.getBool("cdc.routes.reload", false)) {
            if (!onDisk) {
                LOG.warn("cdc.routes.reload=true but there is no {} directory; hot reload is off", dir.toAbsolutePath());
                return;
            }
            // Camel's watcher with a safety net (RouteFileReload): only the changed file's routes are replaced, the Java
            // capture route keeps running, a file that does not load leaves the previous routes running.
            main.addMainListener(new MainListenerSupport() {
                @Override
                public void beforeConfigure(BaseMainSupport m) {
                    try {
                        m.getCamelContext().addService(new io.cdcbridge.ops.RouteFileReload(dir, "*.camel.yaml"));
                    } catch (Exception e) {
                        throw new IllegalStateException("route reload: " + e.getMessage(), e);
                    }
                }
            });
            LOG.info("Hot reload of {}/*.camel.yaml is on (a development feature: edits take effect within seconds)", dir);
        }
    }

    /**
     * A captured event Kafka did not accept (after the producer's own retries): the offset store already refuses to
     * persist anything past it. Stop the capture route, wait for Kafka with backoff, then start capture again: Debezium
     * resumes from the last acknowledged offsets, so the events since are sent again (at least once, none skipped).
     */
    private void captureFailed(Throwable cause) {
        Thread t = new Thread(() -> {
            try {
                main.getCamelContext().getRouteController().stopRoute(CaptureRoute.ROUTE_ID);
                long delay = 1000;
                while (!closing && publisher != null) {
                    try {
                        publisher.recover(java.time.Duration.ofSeconds(5));
                        main.getCamelContext().getRouteController().startRoute(CaptureRoute.ROUTE_ID);
                        LOG.info("Capture restarted after the Kafka failure");
                        return;
                    } catch (Exception e) {
                        LOG.warn("Kafka still unavailable ({}); capture retries in {} s", e.getClass().getSimpleName(), delay / 1000);
                        Thread.sleep(delay);
                        delay = Math.min(delay * 2, 30_000);
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.error("could not restart the capture route: {}", e.toString());
            }
        }, "capture-supervisor");
        t.setDaemon(true);
        t.start();
    }

    private static void createParent(String file) {
        Path parent = Path.of(file).toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + parent, e);
        }
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    public Settings settings() {
        return settings;
    }

    public CaptureStats captureStats() {
        return captureStats;
    }

    public long slotLagBytes() {
        return progress == null ? -1 : progress.slotLagBytes();
    }

    /**
     * Blocks until the snapshot is done and changes stream from the slot: from then on every committed change
     * arrives as a streamed event.
     */
    public void awaitStreaming(java.time.Duration timeout) throws Exception {
        if (progress == null) {
            throw new IllegalStateException("capture is disabled (cdc.capture.enabled=false)");
        }
        progress.streaming().get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        closeQuietly();
    }

    private void closeQuietly() {
        closing = true;
        if (opsServer != null) {
            opsServer.close();
        }
        if (deliveryProgress != null) {
            deliveryProgress.close();
        }
        try {
            if (management != null) {
                management.close();
            }
            if (jmxServer != null) {
                jmxServer.stop();
            }
        } catch (Exception e) {
            LOG.warn("stopping JMX: {}", e.toString());
        }
        try {
            if (main.isStarted() || main.isStarting()) {
                main.stop();
            }
        } catch (Exception e) {
            LOG.warn("stopping Camel: {}", e.toString());
        }
        if (progress != null) {
            progress.close();
        }
        if (publisher != null) {
            publisher.close();
            AckedOffsetStore.unregister(session);
            publisher = null;
        }
        if (dlqProducer != null) {
            dlqProducer.close(java.time.Duration.ofSeconds(10));
            dlqProducer = null;
        }
        demo.close();
    }
}
