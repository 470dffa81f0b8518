package io.debezium.connector.postgresql;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import io.cdcbridge.support.OriginalClasses;
import io.debezium.pipeline.source.snapshot.incremental.IncrementalSnapshotContext;
import io.debezium.relational.TableId;
import org.junit.jupiter.api.Test;

/**
 * cdc-bridge's stand-in for the connector's read-only incremental snapshot context (src/patches/java) stores the same
 * offsets as the original: the original class, loaded from the connector's jar, and ours go through the same backfill
 * (tables added, maximum keys, a key sent per row, the next table, a stop, a load from stored offsets), and after every
 * step both write equal offset entries. That ours is the class loaded is PatchedClassesTest's (docs/overrides.md).
 */
class PostgresReadOnlyIncrementalSnapshotContextTest {

    private static final String ORIGINAL = "io.debezium.connector.postgresql.PostgresReadOnlyIncrementalSnapshotContext";

    private final ClassLoader loader = new OriginalClasses(ORIGINAL);

    @SuppressWarnings("unchecked")
    private IncrementalSnapshotContext<TableId> original(Map<String, ?> offsets) throws ReflectiveOperationException {
        Class<?> c = loader.loadClass(ORIGINAL);
        assertThat(c.getClassLoader()).isSameAs(loader);
        Object ctx = offsets == null ? c.getConstructor().newInstance() : c.getMethod("load", Map.class).invoke(null, offsets);
        return (IncrementalSnapshotContext<TableId>) ctx;
    }

    /** Runs the step on both, then compares what each stores (into a map holding the stream's own entries). */
    private static void both(IncrementalSnapshotContext<TableId> theirs, IncrementalSnapshotContext<TableId> ours,
                             Consumer<IncrementalSnapshotContext<TableId>> step) {
        step.accept(theirs);
        step.accept(ours);
        Map<String, Object> a = new HashMap<>(Map.of("lsn", 123L));
        Map<String, Object> b = new HashMap<>(Map.of("lsn", 123L));
        assertThat(ours.store(b)).isEqualTo(theirs.store(a));
    }

    @Test
    void storesWhatTheOriginalStoresThroughABackfill() throws Exception {
        IncrementalSnapshotContext<TableId> theirs = original(null);
        IncrementalSnapshotContext<TableId> ours = new PostgresReadOnlyIncrementalSnapshotContext<>();
        both(theirs, ours, c -> { }); // nothing running: the offsets untouched
        both(theirs, ours, c -> c.addDataCollectionNamesToSnapshot("backfill-1", List.of("public.a", "public.b"), List.of(), ""));
        both(theirs, ours, c -> c.maximumKey(new Object[]{5_000}));
        for (int k = 1; k <= 3_000; k++) {
            Object[] key = {k};
            both(theirs, ours, c -> c.sendEvent(key));
            if (k % 1_000 == 0) {
                both(theirs, ours, c -> c.nextChunkPosition(key));
                both(theirs, ours, IncrementalSnapshotContext::startNewChunk);
                both(theirs, ours, IncrementalSnapshotContext::revertChunk);
            }
        }
        both(theirs, ours, IncrementalSnapshotContext::nextDataCollection); // table b: no key sent yet
        both(theirs, ours, c -> c.maximumKey(new Object[]{9_000_000_000L}));
        for (long k = 8_999_999_990L; k <= 9_000_000_000L; k++) {
            Object[] key = {k};
            both(theirs, ours, c -> c.sendEvent(key));
        }
        both(theirs, ours, c -> c.sendEvent(new Object[]{"text key", 7})); // a key of another shape

        // a restart: both load what the original stored, and go on alike
        Map<String, Object> stored = new HashMap<>();
        theirs.store(stored);
        IncrementalSnapshotContext<TableId> theirsLoaded = original(stored);
        IncrementalSnapshotContext<TableId> oursLoaded = PostgresReadOnlyIncrementalSnapshotContext.load(stored);
        both(theirsLoaded, oursLoaded, c -> { });
        assertThat(oursLoaded.chunkEndPosititon()).isEqualTo(theirsLoaded.chunkEndPosititon());
        both(theirsLoaded, oursLoaded, c -> c.sendEvent(new Object[]{"next", 8}));
        both(theirsLoaded, oursLoaded, c -> c.addDataCollectionNamesToSnapshot("backfill-2", List.of("public.c"), List.of(), ""));
        both(theirsLoaded, oursLoaded, c -> c.removeDataCollectionFromSnapshot("public.c"));
        both(theirsLoaded, oursLoaded, IncrementalSnapshotContext::unsetCorrelationId);
        both(theirsLoaded, oursLoaded, IncrementalSnapshotContext::nextDataCollection); // the last table: done
        assertThat(oursLoaded.snapshotRunning()).isFalse();
    }
}
