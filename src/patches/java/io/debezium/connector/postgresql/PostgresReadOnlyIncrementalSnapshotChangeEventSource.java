package io.debezium.connector.postgresql;

import java.sql.SQLException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.debezium.DebeziumException;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.jdbc.JdbcConnection;
import io.debezium.pipeline.EventDispatcher;
import io.debezium.pipeline.notification.NotificationService;
import io.debezium.pipeline.source.snapshot.incremental.AbstractIncrementalSnapshotChangeEventSource;
import io.debezium.pipeline.source.spi.DataChangeEventListener;
import io.debezium.pipeline.source.spi.SnapshotProgressListener;
import io.debezium.pipeline.spi.OffsetContext;
import io.debezium.pipeline.source.snapshot.incremental.IncrementalSnapshotContext;
import io.debezium.relational.RelationalDatabaseConnectorConfig;
import io.debezium.relational.Table;
import io.debezium.relational.TableId;
import io.debezium.schema.DatabaseSchema;
import io.debezium.spi.schema.DataCollectionId;
import io.debezium.util.Clock;

/**
 * cdc-bridge's stand-in for debezium-connector-postgres's read-only incremental snapshot source (Debezium 3.4.0.Final),
 * the engine of the bridge's backfills (docs/operations.md, "Backfill"). The shaded jar and the test classpath take this
 * class in place of the connector's.
 *
 * <p>How a read-only chunk works (as upstream): {@code pg_current_snapshot()} is read before the chunk's SELECT (the low
 * watermark) and after it (the high watermark); the chunk waits in the window buffer while streaming goes on; a streamed
 * change with a transaction id at or past the low watermark's xmin opens the window (a change to a buffered key drops
 * that key's buffered row), one past both watermarks' xmax closes it: the buffer is emitted and the next chunk read.
 * When the stream is idle (a heartbeat, dispatched only when the replication stream had no message) chunks are read
 * back to back for as long as no transaction starts in between.
 *
 * <p>Why the patch: upstream also reads the next chunk on every streamed change and every commit of a transaction
 * <em>older</em> than the low watermark, i.e. whenever the stream is behind the chunk it just read. The read happens on
 * the thread that decodes the replication stream, so a stream that lags while a backfill runs processes one
 * transaction per chunk read (tens of milliseconds), falls further behind and never catches up: in
 * {@code bench/backfill.sh} the other tables' commit → topic latency grew about 0.9 s every second of a 1M-row
 * backfill (docs/benchmarks.md). Here the next chunk is read only once the stream has reached and passed the previous
 * chunk's window (or when it is idle), so each chunk read costs the other tables at most its own duration. Nothing else
 * differs: the same queries, watermarks, deduplication and notifications; a buffered chunk is emitted later (when the
 * stream reaches it) instead of in front of older changes, which was correct either way (those changes are in it).
 * Also: on a first start the context comes from the stream's offsets instead of staying null, where upstream logged a
 * WARN per streamed change (and cost the decoding thread ~7% of its time, docs/benchmarks.md).
 *
 * <p>Guarded (docs/overrides.md): the enforcer pins Debezium; PatchedClassesTest checks the connector's original still
 * has the hash recorded in src/patches/patched-classes.txt and that this class is the one loaded; PatchedJarIT the
 * shaded jar; BackfillIT (every row, concurrent changes, chunks emitted only after the backlog) and IncludeListGrowsIT.
 */
public class PostgresReadOnlyIncrementalSnapshotChangeEventSource<P extends PostgresPartition>
        extends AbstractIncrementalSnapshotChangeEventSource<P, TableId> {

    private static final Logger LOGGER = LoggerFactory.getLogger(PostgresReadOnlyIncrementalSnapshotChangeEventSource.class);

    /** Assigns this session a transaction id, so the first low watermark is taken after a transaction of its own. */
    private static final String ASSIGN_TRANSACTION_ID = "SELECT * FROM pg_current_xact_id();";
    private static final String CURRENT_SNAPSHOT = "SELECT * FROM pg_current_snapshot();";

    private final PostgresConnection jdbcConnection;
    private final PostgresSchema schema;

    public PostgresReadOnlyIncrementalSnapshotChangeEventSource(RelationalDatabaseConnectorConfig config,
                                                                JdbcConnection jdbcConnection,
                                                                EventDispatcher<P, TableId> dispatcher,
                                                                DatabaseSchema<?> databaseSchema,
                                                                Clock clock,
                                                                SnapshotProgressListener<P> progressListener,
                                                                DataChangeEventListener<P> dataChangeEventListener,
                                                                NotificationService<P, ? extends OffsetContext> notificationService) {
        super(config, jdbcConnection, dispatcher, databaseSchema, clock, progressListener, dataChangeEventListener, notificationService);
        this.jdbcConnection = (PostgresConnection) jdbcConnection;
        this.schema = (PostgresSchema) databaseSchema;
    }

    @Override
    protected void preIncrementalSnapshotStart() {
        super.preIncrementalSnapshotStart();
        try {
            jdbcConnection.query(ASSIGN_TRANSACTION_ID, rs -> {
                if (rs.next()) {
                    LOGGER.trace("Transaction id {} assigned", rs.getString(1));
                }
            });
        }
        catch (SQLException e) {
            throw new DebeziumException(e);
        }
    }

    @SuppressWarnings("unchecked")
    private PostgresReadOnlyIncrementalSnapshotContext<TableId> readOnlyContext() {
        return (PostgresReadOnlyIncrementalSnapshotContext<TableId>) context;
    }

    /**
     * The context, taken from the stream's offsets when {@code init} had none to take it from: on a connector's first
     * start (no stored offsets) upstream keeps it null until the first backfill signal, and logs a WARN "Context is null"
     * for every streamed change until then (with the bridge's first-start settings, every change of the first run).
     */
    @SuppressWarnings("unchecked")
    private PostgresReadOnlyIncrementalSnapshotContext<TableId> readOnlyContext(OffsetContext offsetContext) {
        if (context == null && offsetContext != null
                && offsetContext.getIncrementalSnapshotContext() instanceof PostgresReadOnlyIncrementalSnapshotContext<?>) {
            context = (IncrementalSnapshotContext<TableId>) offsetContext.getIncrementalSnapshotContext();
        }
        return readOnlyContext();
    }

    @Override
    protected void emitWindowOpen(P partition, OffsetContext offsetContext) {
        readOnlyContext().setLowWatermark(currentSnapshot());
    }

    @Override
    protected void emitWindowClose(P partition, OffsetContext offsetContext) {
        readOnlyContext().setHighWatermark(currentSnapshot());
    }

    @Override
    public void processMessage(P partition, DataCollectionId dataCollectionId, Object key, OffsetContext offsetContext) throws InterruptedException {
        PostgresReadOnlyIncrementalSnapshotContext<TableId> ctx = readOnlyContext(offsetContext);
        if (ctx == null) {
            LOGGER.debug("Context is null, skipping message processing");
            return;
        }
        ctx.updateWindowState(offsetContext);
        if (ctx.snapshotRunning() && ctx.isWindowClosed()) {
            if (streamBehindWindow(ctx)) {
                // the stream has not reached the buffered chunk yet: this change is older than it (and in it)
                return;
            }
            sendWindowEvents(partition, offsetContext);
            readChunk(partition, offsetContext);
        }
        else if (!window.isEmpty() && ctx.deduplicationNeeded()) {
            deduplicateWindow(dataCollectionId, key);
        }
    }

    @Override
    public void processTransactionCommittedEvent(P partition, OffsetContext offsetContext) throws InterruptedException {
        if (readOnlyContext(offsetContext) == null) {
            LOGGER.debug("Context is null, skipping transaction processing");
            return;
        }
        readWhileNoTransactionStarts(partition, offsetContext, false);
    }

    @Override
    public void processHeartbeat(P partition, OffsetContext offsetContext) throws InterruptedException {
        if (readOnlyContext(offsetContext) == null) {
            LOGGER.debug("Context is null, skipping heartbeat processing");
            return;
        }
        readWhileNoTransactionStarts(partition, offsetContext, true);
    }

    @Override
    protected Table refreshTableSchema(Table table) throws SQLException {
        schema.refreshFromIncrementalSnapshot(jdbcConnection, table.id());
        return schema.tableFor(table.id());
    }

    /**
     * After a commit (or, with {@code idle}, a heartbeat): the commit of the transaction the high watermark named as the
     * next to start closes the window; otherwise, while the event's transaction was already visible to the high
     * watermark and no transaction started during the last chunk read, the next chunk is read. A commit of a transaction
     * older than a window the stream has not reached reads nothing (the patch: see the class comment); a heartbeat means
     * the stream is caught up, so it always may.
     */
    private void readWhileNoTransactionStarts(P partition, OffsetContext offsetContext, boolean idle) throws InterruptedException {
        PostgresReadOnlyIncrementalSnapshotContext<TableId> ctx = readOnlyContext();
        Long txId = offsetContext.getSourceInfo().getInt64(SourceInfo.TXID_KEY);
        if (!ctx.snapshotRunning()) {
            return;
        }
        if (ctx.getHighWatermark() != null && ctx.getHighWatermark().getXMax().equals(txId)) {
            ctx.closeWindow();
            sendWindowEvents(partition, offsetContext);
            readChunk(partition, offsetContext);
            return;
        }
        if (!idle && streamBehindWindow(ctx)) {
            return;
        }
        while (ctx.snapshotRunning() && ctx.isTransactionVisible(txId)) {
            ctx.closeWindow();
            sendWindowEvents(partition, offsetContext);
            readChunk(partition, offsetContext);
            if (ctx.watermarksChanged()) {
                return;
            }
        }
    }

    /** A chunk is buffered whose window the stream has not opened yet: the stream is still on older transactions. */
    private static boolean streamBehindWindow(PostgresReadOnlyIncrementalSnapshotContext<TableId> ctx) {
        return ctx.isWindowClosed() && ctx.getLowWatermark() != null;
    }

    private PgSnapshot currentSnapshot() {
        try {
            return jdbcConnection.queryAndMap(CURRENT_SNAPSHOT,
                    jdbcConnection.singleResultMapper(rs -> PgSnapshot.valueOf(rs.getString(1)), "Unable to get current snapshot"));
        }
        catch (SQLException e) {
            throw new DebeziumException(e);
        }
    }
}
