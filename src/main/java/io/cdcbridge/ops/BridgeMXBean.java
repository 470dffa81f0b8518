package io.cdcbridge.ops;

import java.util.Map;

/**
 * The bridge's own MBean, {@code io.cdcbridge:type=Bridge} (jconsole: MBeans tab). Camel's route MBeans
 * ({@code org.apache.camel:type=routes,...}) sit next to it.
 */
public interface BridgeMXBean {

    /** Events captured per {@code schema.table} since start. */
    Map<String, Long> getCapturedEvents();

    /** Records delivered per {@code sink:table} since start. */
    Map<String, Long> getDeliveredRecords();

    /** Records a sink dead-lettered itself per {@code sink:table} since start. */
    Map<String, Long> getDeadLetteredRecords();

    long getLastLsn();

    /** WAL bytes the replication slot holds back (-1 unknown). */
    long getSlotLagBytes();

    /** ISO-8601 expiry of Carol's token, empty if none. */
    String getCarolTokenExpiry();

    /** Route id → state. */
    Map<String, String> getRouteStates();

    /** Suspends a sink's delivery route ({@code bigquery}, {@code carol}); its consumer stops reading, offsets stay. */
    String pauseSink(String sink) throws Exception;

    String resumeSink(String sink) throws Exception;

    /**
     * Backfills a captured table ({@code schema.table}) while streaming goes on: its current rows, or those {@code where}
     * (a SQL condition; empty for all) selects, as op r events (docs/operations.md, "Backfill"). Returns the line saying
     * what started; a request that cannot be done throws with the one line saying why.
     */
    String backfill(String table, String where);

    /** Backfills since start, id → table, state, rows of the expected total, %, time left. */
    Map<String, String> getBackfills();

    /** Moves a sink's dead letters back to their topics (table {@code schema.table} or empty for all). */
    String replayDeadLetters(String sink, String table, boolean dryRun);
}
