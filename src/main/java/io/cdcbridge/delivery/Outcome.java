package io.cdcbridge.delivery;

import java.util.Map;

/**
 * What a sink's service answered for one request (docs/architecture.md §6). A {@link SinkClient} maps its protocol's
 * answers to these; the {@link DeliveryEngine} alone decides what follows (retry, split, dead-letter, commit).
 */
public sealed interface Outcome {

    /** Every item of the request was accepted. */
    record Delivered() implements Outcome {
    }

    /**
     * Some items were refused for good, each with the service's reason (by index in the request); the others were not
     * stored and go again.
     */
    record ItemsRefused(Map<Integer, String> reasons) implements Outcome {
    }

    /**
     * The request was refused as a whole and sending it again cannot help. {@code splittable}: the service refuses a
     * request for one bad item (Carol's 400, any 413), so halves are tried until the bad item is alone.
     */
    record RequestRefused(String reason, boolean splittable, Throwable cause) implements Outcome {
    }

    /** A failure that may pass: retried with backoff; {@code afterMs} is the service's own wait (0: none given). */
    record Retry(String reason, long afterMs, Throwable cause) implements Outcome {
    }

    /**
     * The sink cannot go on until an operator acts (credentials refused): its route stops, nothing is committed or
     * dead-lettered. {@code reason} names the setting at fault and never holds a secret.
     */
    record Stop(String reason) implements Outcome {
    }

    Delivered DELIVERED = new Delivered();

    static Outcome retry(String reason, Throwable cause) {
        return new Retry(reason, 0, cause);
    }

    static Outcome refused(String reason) {
        return new RequestRefused(reason, false, null);
    }
}
