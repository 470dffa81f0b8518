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

    /** When the credentials the client holds expire (a token), for the status console; null when none. */
    default java.time.Instant credentialsExpireAt() {
        return null;
    }
}
