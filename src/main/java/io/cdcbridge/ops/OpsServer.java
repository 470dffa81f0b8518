package io.cdcbridge.ops;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.cdcbridge.config.KafkaClients;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckHelper;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bridge's HTTP port ({@code cdc.http.port}, default 8080): {@code /health/live}, {@code /health/ready},
 * {@code /metrics} (Prometheus). More handlers can be added (the status console).
 *
 * <p>Ready means: Camel started; Kafka answers; the Debezium engine streams or snapshots (unless capture is off or
 * this instance is a standby); and Camel's own readiness checks of the started routes' consumers are UP.
 */
public final class OpsServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OpsServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final CamelContext camel;
    private final OpsMetrics metrics;
    private final Admin admin;
    private final BooleanSupplier captureExpected;
    private final BooleanSupplier engineActive;
    private final java.util.function.Supplier<Map<String, String>> sinkProblems;
    private final java.util.function.Supplier<Map<String, String>> leftOut;
    private volatile long kafkaCheckedAt;
    private volatile String kafkaProblem = "not checked yet";
    /** The Kafka check under way, if any: requests read the last answer instead of waiting for a broker that is down. */
    private volatile org.apache.kafka.common.KafkaFuture<?> kafkaCheck;

    static {
        // small JSON answers go out at once, not after the client's delayed ACK (the JDK server's default is Nagle's
        // algorithm); read once per JVM, so whichever server is created first decides
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    public OpsServer(String host, int port, CamelContext camel, OpsMetrics metrics, KafkaClients kafka,
                     BooleanSupplier captureExpected, BooleanSupplier engineActive,
                     java.util.function.Supplier<Map<String, String>> sinkProblems,
                     java.util.function.Supplier<Map<String, String>> leftOut) throws IOException {
        this.sinkProblems = sinkProblems;
        this.leftOut = leftOut;
        this.camel = camel;
        this.metrics = metrics;
        this.captureExpected = captureExpected;
        this.engineActive = engineActive;
        this.admin = Admin.create(kafka.admin("cdc-bridge-health", Duration.ofMillis(3000)));
        this.server = HttpServer.create(new InetSocketAddress(host, port), 0);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "ops-http");
            t.setDaemon(true);
            return t;
        }));
        handle("/health/live", ex -> health(ex, live(), Map.of()));
        // tables left out of capture do not make the bridge unready (every other table streams), but are named
        handle("/health/ready", ex -> health(ex, ready(), leftOut.get()));
        handle("/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape()));
    }

    public OpsServer start() {
        server.start();
        LOG.info("HTTP on {}:{}: /health/live, /health/ready, /metrics", server.getAddress().getHostString(), port());
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Adds a handler (the status console and its API). */
    public void handle(String path, HttpHandler handler) {
        server.createContext(path, ex -> {
            try {
                handler.handle(ex);
            } catch (RuntimeException e) {
                send(ex, 500, "application/json", "{\"error\":" + JSON.writeValueAsString(e.getMessage()) + "}");
            } finally {
                ex.close();
            }
        });
    }

    private java.util.function.Supplier<String> slotLost = () -> null;

    /** Why capture stopped because its slot was lost under it (null: it was not), named by the capture check. */
    public OpsServer slotLost(java.util.function.Supplier<String> why) {
        this.slotLost = why;
        return this;
    }

    Map<String, String> live() {
        Map<String, String> checks = new LinkedHashMap<>();
        checks.put("camel", camel.isStarted() || camel.isStarting() ? "UP" : "DOWN: " + camel.getStatus());
        return checks;
    }

    Map<String, String> ready() {
        Map<String, String> checks = new LinkedHashMap<>();
        checks.put("camel", camel.isStarted() ? "UP" : "DOWN: " + camel.getStatus());
        String kafka = kafka();
        checks.put("kafka", kafka == null ? "UP" : "DOWN: " + kafka);
        if (captureExpected.getAsBoolean()) {
            String lost = slotLost.get();
            checks.put("capture", engineActive.getAsBoolean() ? "UP"
                    : "DOWN: " + (lost != null ? lost : "the Debezium engine is not streaming"));
        }
        checks.putAll(sinkProblems.get()); // e.g. events lost to retention (DeliveryProgress)
        for (HealthCheck.Result r : HealthCheckHelper.invokeReadiness(camel)) {
            String id = r.getCheck().getId();
            boolean consumerOfStartedRoute = id.startsWith("consumer:") && camel.getRoute(id.substring(9)) != null
                    && camel.getRouteController().getRouteStatus(id.substring(9)).isStarted();
            if (id.equals("context") || consumerOfStartedRoute) {
                checks.put(id, r.getState() == HealthCheck.State.DOWN
                        ? "DOWN" + r.getMessage().map(m -> ": " + m).orElse("") : "UP");
            }
        }
        return checks;
    }

    /**
     * Null when Kafka answers, else why not. Checked at most every 3 s, in the background: a request waits (up to 3 s)
     * only for the very first answer, so /health/ready and /api/status stay fast while the brokers are down.
     */
    private String kafka() {
        long now = System.nanoTime();
        org.apache.kafka.common.KafkaFuture<?> running = kafkaCheck;
        if ((running == null || running.isDone()) && now - kafkaCheckedAt > TimeUnit.SECONDS.toNanos(3)) {
            synchronized (this) {
                if (kafkaCheck == null || kafkaCheck.isDone()) {
                    kafkaCheckedAt = now;
                    running = admin.describeCluster(new org.apache.kafka.clients.admin.DescribeClusterOptions().timeoutMs(3000))
                            .nodes().whenComplete((nodes, e) -> {
                                kafkaProblem = e == null ? null : "brokers do not answer (" + (e.getCause() != null
                                        ? e.getCause() : e).getClass().getSimpleName() + ")";
                            });
                    kafkaCheck = running;
                }
            }
        }
        if (running != null && "not checked yet".equals(kafkaProblem)) {
            try {
                running.get(3, TimeUnit.SECONDS);
            } catch (Exception e) {
                // the callback records why; a timeout here leaves "not checked yet", which is DOWN as well
            }
        }
        return kafkaProblem;
    }

    private static void health(HttpExchange ex, Map<String, String> checks, Map<String, String> leftOut) throws IOException {
        boolean up = checks.values().stream().allMatch("UP"::equals);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("checks", checks);
        if (!leftOut.isEmpty()) {
            body.put("leftOut", leftOut);
        }
        send(ex, up ? 200 : 503, "application/json", JSON.writeValueAsString(body));
    }

    /** The request's query parameters, decoded; a parameter given without a value maps to "". */
    static Map<String, String> query(HttpExchange ex) {
        Map<String, String> out = new LinkedHashMap<>();
        String q = ex.getRequestURI().getRawQuery();
        if (q != null) {
            for (String p : q.split("&")) {
                int i = p.indexOf('=');
                if (i > 0) {
                    out.put(URLDecoder.decode(p.substring(0, i), StandardCharsets.UTF_8), URLDecoder.decode(p.substring(i + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return out;
    }

    public static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        admin.close(Duration.ofSeconds(2));
    }
}
