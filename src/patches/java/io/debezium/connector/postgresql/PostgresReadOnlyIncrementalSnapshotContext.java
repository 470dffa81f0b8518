package io.debezium.connector.postgresql;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cdcbridge.capture.SnapshotKeyHex;
import io.debezium.pipeline.signal.actions.snapshotting.AdditionalCondition;
import io.debezium.pipeline.source.snapshot.incremental.AbstractIncrementalSnapshotContext;
import io.debezium.pipeline.source.snapshot.incremental.DataCollection;
import io.debezium.pipeline.spi.OffsetContext;

/**
 * cdc-bridge's stand-in for debezium-connector-postgres's read-only incremental snapshot context (Debezium 3.4.0.Final):
 * the watermarks of a backfill's chunk window, kept in the offsets. The shaded jar and the test classpath take this class
 * in place of the connector's (docs/overrides.md §1).
 *
 * <p>The window logic is upstream's: a streamed change with a transaction id at or past the low watermark's xmin opens
 * the window, one past both watermarks' xmax closes it; a transaction is visible to the high watermark when its id is at
 * most that watermark's xmin.
 *
 * <p>Why the patch: every backfill row's offset is built with {@link #store}, and upstream's serializes the last key sent
 * and the table's maximum key for each row, each with a new {@code ObjectOutputStream}, then prints them as hex: a third
 * of Debezium's snapshot thread in a 1M-row backfill (docs/benchmarks.md), for offsets of which only the last before a
 * commit is ever kept. Here the entries that change only with the snapshot's state (the maximum key, the tables to read,
 * the correlation id) are taken from upstream's own {@code store} once per change of that state, and the last key sent
 * is written per row; a one-column {@code Integer} or {@code Long} key, the common case, without a new stream (the same
 * bytes: {@link SnapshotKeyHex}). The offsets are byte for byte upstream's ({@code PostgresReadOnlyIncrementalSnapshotContextTest}).
 */
public class PostgresReadOnlyIncrementalSnapshotContext<T> extends AbstractIncrementalSnapshotContext<T> {

    private PgSnapshot lowWatermark;
    private PgSnapshot highWatermark;
    private PgSnapshot previousHighWatermark;
    private PgSnapshot previousLowWatermark;

    /** The key {@link #sendEvent} was last given (upstream's {@code lastEventKeySent}, which it keeps private). */
    private Object[] lastKeySent;
    /** Bumped by every change of what {@link #store} writes besides the last key sent. */
    private volatile long stateVersion;
    private long storedVersion = -1;
    private Map<String, Object> storedState;

    public PostgresReadOnlyIncrementalSnapshotContext() {
        this(false);
    }

    public PostgresReadOnlyIncrementalSnapshotContext(boolean useCatalogBeforeSchema) {
        super(useCatalogBeforeSchema);
    }

    public static <U> PostgresReadOnlyIncrementalSnapshotContext<U> load(Map<String, ?> offsets) {
        return load(offsets, false);
    }

    public static <U> PostgresReadOnlyIncrementalSnapshotContext<U> load(Map<String, ?> offsets, boolean useCatalogBeforeSchema) {
        PostgresReadOnlyIncrementalSnapshotContext<U> context = new PostgresReadOnlyIncrementalSnapshotContext<>(useCatalogBeforeSchema);
        init(context, offsets); // upstream leaves the last key sent null after a load, as lastKeySent starts
        return context;
    }

    public PgSnapshot getLowWatermark() {
        return lowWatermark;
    }

    public void setLowWatermark(PgSnapshot lowWatermark) {
        this.lowWatermark = lowWatermark;
    }

    public PgSnapshot getHighWatermark() {
        return highWatermark;
    }

    public void setHighWatermark(PgSnapshot highWatermark) {
        this.highWatermark = highWatermark;
    }

    public void updateWindowState(OffsetContext offsetContext) {
        Long eventTxId = offsetContext.getSourceInfo().getInt64(SourceInfo.TXID_KEY);
        if (!windowOpened && lowWatermark != null && eventTxId >= lowWatermark.getXMin()) {
            windowOpened = true;
        }
        if (windowOpened && highWatermark != null && eventTxId > Math.max(highWatermark.getXMax(), lowWatermark.getXMax())) {
            closeWindow();
        }
    }

    public boolean isWindowClosed() {
        return !windowOpened;
    }

    public void closeWindow() {
        windowOpened = false;
        previousHighWatermark = highWatermark;
        highWatermark = null;
        previousLowWatermark = lowWatermark;
        lowWatermark = null;
    }

    public boolean isTransactionVisible(Long eventTxId) {
        if (highWatermark == null) {
            return false;
        }
        return eventTxId.compareTo(highWatermark.getXMin()) <= 0;
    }

    public boolean watermarksChanged() {
        return !previousLowWatermark.equals(lowWatermark) || !previousHighWatermark.equals(highWatermark);
    }

    @Override
    public Map<String, Object> store(Map<String, Object> offset) {
        if (!snapshotRunning()) {
            return offset;
        }
        long version = stateVersion;
        if (storedState == null || storedVersion != version) {
            storedState = super.store(new HashMap<>());
            storedState.remove(EVENT_PRIMARY_KEY);
            storedVersion = version;
        }
        offset.put(EVENT_PRIMARY_KEY, SnapshotKeyHex.of(lastKeySent));
        offset.putAll(storedState);
        return offset;
    }

    @Override
    public void sendEvent(Object[] key) {
        super.sendEvent(key);
        lastKeySent = key;
    }

    @Override
    public DataCollection<T> nextDataCollection() {
        DataCollection<T> next = super.nextDataCollection(); // resets the chunk: the last key sent and the maximum key
        lastKeySent = null;
        stateVersion++;
        return next;
    }

    @Override
    public void maximumKey(Object[] key) {
        super.maximumKey(key);
        stateVersion++;
    }

    @Override
    public List<DataCollection<T>> addDataCollectionNamesToSnapshot(String correlationId, List<String> dataCollectionIds,
                                                                    List<AdditionalCondition> additionalCondition, String surrogateKey) {
        List<DataCollection<T>> added = super.addDataCollectionNamesToSnapshot(correlationId, dataCollectionIds, additionalCondition, surrogateKey);
        stateVersion++;
        return added;
    }

    @Override
    public boolean removeDataCollectionFromSnapshot(String dataCollectionId) {
        boolean removed = super.removeDataCollectionFromSnapshot(dataCollectionId);
        stateVersion++;
        return removed;
    }

    @Override
    public void unsetCorrelationId() {
        super.unsetCorrelationId();
        stateVersion++;
    }
}
