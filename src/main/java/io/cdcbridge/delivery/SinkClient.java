package io.cdcbridge.delivery;

import java.util.List;

/**
 * A sink's protocol: sends one request (items of one target: a table, a staging) and says what the service answered
 * as an {@link Outcome}. It never retries, dead-letters or commits: the {@link DeliveryEngine} does. An exception it
 * throws counts as {@link Outcome.Retry}.
 *
 * @param <T> the sink's item (a BigQuery row, a Carol record)
 */
public interface SinkClient<T> {

    /**
     * Runs before a target's requests of a batch, with all of that batch's items for it: e.g. create or extend its
     * table. {@link Outcome.Delivered} to go on; any other outcome applies to all of those items.
     */
    default Outcome prepare(String target, List<T> items) {
        return Outcome.DELIVERED;
    }

    Outcome send(String target, List<T> items);

    /**
     * Called once, in the background, when the sink starts: opens what the first request would otherwise open on the
     * data path (a connection, a token), so the first batch after a start does not wait for it. Never throws: a failure
     * here is the first request's to report.
     */
    default void warmUp() {
    }

    /** When the credentials the client holds expire (a token), for the status console; null when none. */
    default java.time.Instant credentialsExpireAt() {
        return null;
    }
}
