package io.cdcbridge.capture;

import java.time.Duration;
import java.util.function.Supplier;

import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restarts capture after Kafka refused a captured event (after the producer's own retries). By then the offset store
 * already refuses to persist anything past that event. The supervisor stops the capture route, waits for Kafka with
 * backoff (1 s doubling to 30 s), then starts capture again: Debezium resumes from the last acknowledged offsets, so
 * the events since are sent again (at least once, none skipped).
 */
final class CaptureSupervisor implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureSupervisor.class);

    /** Waits for Kafka to answer and clears the failure; throws while Kafka is unreachable. */
    @FunctionalInterface
    interface Recovery {
        void recover(Duration timeout) throws Exception;
    }

    private final Supplier<CamelContext> camel;
    private final Recovery recovery;
    private volatile boolean closed;
    private volatile Thread thread;

    CaptureSupervisor(Supplier<CamelContext> camel, Recovery recovery) {
        this.camel = camel;
        this.recovery = recovery;
    }

    /** The publisher's failure callback: restarts capture on a thread of its own (the caller is Kafka's). */
    void captureFailed(Throwable cause) {
        if (closed) {
            return;
        }
        Thread t = new Thread(this::restart, "capture-supervisor");
        t.setDaemon(true);
        thread = t;
        t.start();
    }

    private void restart() {
        try {
            CamelContext ctx = camel.get();
            ctx.getRouteController().stopRoute(CaptureRoute.ROUTE_ID);
            long delay = 1000;
            // only while Camel runs: once it stops, the route stays stopped and the bridge's close releases the rest
            while (!closed && ctx.isStarted()) {
                try {
                    recovery.recover(Duration.ofSeconds(5));
                    ctx.getRouteController().startRoute(CaptureRoute.ROUTE_ID);
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
    }

    /** No restart from now on; a supervisor waiting out its backoff ends at once. */
    @Override
    public void close() {
        closed = true;
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }
}
