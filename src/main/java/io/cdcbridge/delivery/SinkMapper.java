package io.cdcbridge.delivery;

import java.util.List;

/**
 * A sink's mapping of one Kafka record to what it sends: none (the sink does not deliver it), one item (a change), or
 * several (a passthrough array). Pure but for caches; throws {@link io.cdcbridge.errors.PermanentDeliveryException}
 * for a record no retry can deliver (it is dead-lettered at once).
 *
 * @param <T> the sink's item
 */
public interface SinkMapper<T> {

    /** One thing to send: its target (table, staging), the item, and its size in the request body. */
    record Item<T>(String target, T item, long bytes) {
    }

    /**
     * A Kafka record as the mapper sees it: topic, the position it was first read at (a replayed record keeps its
     * original partition and offset, docs/architecture.md §9), value (bytes) and the ChangeEvent types header (may be null).
     */
    record Inbound(String topic, int partition, long offset, Object value, Object typesHeader) {
    }

    /** Called once per batch before its records, e.g. to take one ingestion time for all of them. */
    default void startBatch() {
    }

    List<Item<T>> map(Inbound record);
}
