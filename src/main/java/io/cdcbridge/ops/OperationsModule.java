package io.cdcbridge.ops;

import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import javax.management.remote.JMXConnectorServer;

import io.cdcbridge.util.Module;
import io.cdcbridge.capture.CaptureModule;
import io.cdcbridge.capture.CaptureRoute;
import io.cdcbridge.config.CaptureSettings;
import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.OpsSettings;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SinkSettings;
import io.cdcbridge.delivery.DeliveryEngine;
import io.cdcbridge.errors.DeadLetterLog;
import io.cdcbridge.errors.DeadLetterReplay;
import org.apache.camel.CamelContext;
import org.apache.camel.ExtendedStartupListener;
import org.apache.camel.NamedNode;
import org.apache.camel.component.micrometer.routepolicy.MicrometerRoutePolicyFactory;
import org.apache.camel.main.Main;
import org.apache.camel.spi.RoutePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What operators see and touch (docs/operations.md): Camel's route metrics and the bridge's own in the Prometheus
 * registry; once Camel and its routes run, the delivery progress lines and sink lag, the {@code io.cdcbridge:type=Bridge}
 * MBean, the HTTP port ({@code cdc.http.port}: health, metrics, status console) and remote JMX ({@code cdc.jmx.port}).
 */
public final class OperationsModule implements Module {

    private static final Logger LOG = LoggerFactory.getLogger(OperationsModule.class);

    private final Settings settings;
    private final KafkaConfig kafka;
    private final CaptureModule capture;
    private final Set<String> enabledSinks;
    private final OpsMetrics metrics = new OpsMetrics();
    private volatile BridgeStatus status;
    private volatile OpsServer server;
    private DeliveryProgress deliveryProgress;
    private BridgeManagement management;
    private JMXConnectorServer jmx;
    private java.util.concurrent.ScheduledExecutorService sampler;
    private DeadLetterConsole deadLetters;

    /** @param enabledSinks the sinks whose delivery progress and lag are reported */
    public OperationsModule(Settings settings, KafkaConfig kafka, CaptureModule capture, Set<String> enabledSinks) {
        this.settings = settings;
        this.kafka = kafka;
        this.capture = capture;
        this.enabledSinks = Set.copyOf(enabledSinks);
        RemoteJmx.refuseUnsafe(settings); // before anything starts: a JMX port open to all would stop start-up late
    }

    @Override
    public void install(Main main) {
        Module.whenContextCreated(main, "operations", ctx -> {
            ctx.addRoutePolicyFactory(routeMetrics());
            ctx.addStartupListener(new ExtendedStartupListener() {
                @Override
                public void onCamelContextStarted(CamelContext c, boolean alreadyStarted) {
                }

                @Override
                public void onCamelContextFullyStarted(CamelContext c, boolean alreadyStarted) throws Exception {
                    start(c);
                }
            });
        });
    }

    /**
     * Camel's per-route metrics (exchanges, failures, timings) into the registry behind /metrics; not for the capture
     * route, whose exchanges are single events: there the policy cost a quarter of the thread's time
     * (docs/benchmarks.md), and cdc_captured_events_total already counts them.
     */
    private MicrometerRoutePolicyFactory routeMetrics() {
        var factory = new MicrometerRoutePolicyFactory() {
            @Override
            public RoutePolicy createRoutePolicy(CamelContext context, String routeId, NamedNode route) {
                return CaptureRoute.ROUTE_ID.equals(routeId) ? null : super.createRoutePolicy(context, routeId, route);
            }
        };
        factory.setMeterRegistry(metrics.registry());
        return factory;
    }

    /** Once Camel and its routes run: the status answers from the running context. */
    private void start(CamelContext ctx) throws Exception {
        status = new BridgeStatus(ctx, capture.stats(), capture::slotLagBytes).backfills(capture.backfills());
        metrics.bind(status);
        if (!enabledSinks.isEmpty()) {
            deliveryProgress = new DeliveryProgress(kafka.clients(), status::delivered, () -> enabledSinks,
                    sink -> settings.get(SinkSettings.of(sink).groupId()), 3000)
                    .start(settings.get(OpsSettings.PROGRESS_INTERVAL).toMillis());
            metrics.bindSinkLag(enabledSinks, deliveryProgress::lag, deliveryProgress::lostToRetention);
        }
        management = new BridgeManagement(status, ctx, new DeadLetterReplay(kafka.clients(), kafka.topicPrefix())).register();
        int port = settings.get(OpsSettings.HTTP_PORT);
        if (port >= 0) {
            String host = settings.get(OpsSettings.HTTP_HOST);
            DeliveryProgress progress = deliveryProgress;
            OpsServer http = new OpsServer(host, port, ctx, metrics, kafka.clients(),
                    () -> capture.expected(ctx), () -> capture.engineActive(ctx),
                    () -> progress == null ? Map.of() : progress.problems(), capture::leftOut).slotLost(capture::slotLost);
            server = http;
            boolean loopback = InetAddress.getByName(host).isLoopbackAddress();
            Set<String> sensitive = Set.copyOf(settings.get(OpsSettings.CONSOLE_SENSITIVE_COLUMNS));
            StatusConsole console = new StatusConsole(status, capture.stats(), ctx, loopback, settings.get(OpsSettings.CONSOLE_TOKEN), sensitive)
                    .leftOut(capture::leftOut).health(() -> HealthSummary.json(health(ctx, http)));
            // charts over the last hour: one reading every few seconds, in memory (ConsoleHistory)
            ConsoleHistory history = new ConsoleHistory(java.time.Clock.systemUTC(), () -> reading(progress));
            sampler = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "console-history");
                t.setDaemon(true);
                return t;
            });
            long every = ConsoleHistory.EVERY.toMillis();
            sampler.scheduleWithFixedDelay(() -> {
                try {
                    history.sample();
                } catch (RuntimeException e) {
                    LOG.debug("console history: {}", e.toString());
                }
            }, 0, every, java.util.concurrent.TimeUnit.MILLISECONDS);
            console.history(history::json).install(http);
            // dead letters: read from the <prefix>.dlq.<sink> topics, replayed by the replay command's code
            deadLetters = new DeadLetterConsole(new DeadLetterLog(kafka.clients(), kafka.topicPrefix()),
                    new DeadLetterReplay(kafka.clients(), kafka.topicPrefix()), () -> enabledSinks, status::deadLettered, sensitive,
                    console.access());
            deadLetters.install(http);
            http.start();
        }
        jmx = RemoteJmx.start(settings);
    }

    /** One reading for the charts: counters since start, lags now. */
    private ConsoleHistory.Reading reading(DeliveryProgress progress) {
        Map<String, Long> delivered = new java.util.TreeMap<>();
        Map<String, Long> lag = new java.util.TreeMap<>();
        Map<String, Map<String, Long>> bySink = status.delivered();
        for (String sink : enabledSinks) {
            delivered.put(sink, bySink.getOrDefault(sink, Map.of()).values().stream().mapToLong(Long::longValue).sum());
            lag.put(sink, progress == null ? -1 : progress.lag(sink));
        }
        return new ConsoleHistory.Reading(status.captured(), delivered, lag, status.slotLagBytes());
    }

    /** Health at a glance: the readiness checks and each enabled sink's state, read now (docs/operations.md). */
    private List<HealthSummary.Part> health(CamelContext ctx, OpsServer http) {
        Map<String, String> routes = status.routes();
        List<HealthSummary.Sink> sinks = new ArrayList<>();
        for (String sink : new TreeSet<>(enabledSinks)) {
            Map<String, String> own = new LinkedHashMap<>();
            // a sink's routes are named after it (bigquery-delivery, carol-delivery, and routes files' sink-* ids)
            routes.forEach((id, state) -> {
                if (id.startsWith(sink + "-")) {
                    own.put(id, state);
                }
            });
            DeliveryEngine<?> engine = status.engine(sink);
            long dead = status.deadLettered().getOrDefault(sink, Map.of()).values().stream().mapToLong(Long::longValue).sum();
            sinks.add(new HealthSummary.Sink(sink, own, dead, engine == null ? null : engine.retryingSince(),
                    engine == null ? null : engine.lastFailure(), engine == null ? null : engine.stoppedBecause()));
        }
        boolean carolToken = !settings.get(SinkSettings.DRY_RUN) && "password".equals(settings.get(CarolSettings.AUTH));
        return HealthSummary.compute(new HealthSummary.Inputs(http.ready(), capture.leftOut(), status.slotLagBytes(),
                settings.get(CaptureSettings.SLOT_LAG_WARN_BYTES), sinks, status.carolTokenExpiry(), carolToken, capture.slotLost()),
                Instant.now());
    }

    /** Null until Camel has fully started. */
    public BridgeStatus status() {
        return status;
    }

    /** The HTTP server, null until Camel has fully started or with {@code cdc.http.port=-1}. */
    public OpsServer server() {
        return server;
    }

    /** Before Camel stops: probes and JMX stop answering, so nothing reads a context that is shutting down. */
    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (deadLetters != null) {
            deadLetters.close();
        }
        if (deliveryProgress != null) {
            deliveryProgress.close();
        }
        try {
            if (management != null) {
                management.close();
            }
            if (jmx != null) {
                jmx.stop();
            }
        } catch (Exception e) {
            LOG.warn("stopping JMX: {}", e.toString());
        }
    }
}
