package io.cdcbridge.capture;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/** Counters of captured events per table ({@code schema.table}) and the last LSN seen. Thread-safe, cheap. */
public final class CaptureStats {

    private final Map<String, LongAdder> perTable = new ConcurrentHashMap<>();
    private final LongAdder total = new LongAdder();
    private final AtomicLong lastLsn = new AtomicLong();
    private volatile boolean snapshotting;
    private final Map<String, java.util.ArrayDeque<byte[]>> recent = new ConcurrentHashMap<>();
    /** How many recent events per table the status console can show. */
    public static final int RECENT = 10;

    /** Also keeps the event among the table's last {@link #RECENT} (for the status console). */
    public void captured(String table, long lsn, boolean snapshot, byte[] event) {
        captured(table, lsn, snapshot);
        java.util.ArrayDeque<byte[]> q = recent.computeIfAbsent(table, t -> new java.util.ArrayDeque<>(RECENT + 1));
        synchronized (q) {
            q.addLast(event);
            if (q.size() > RECENT) {
                q.removeFirst();
            }
        }
    }

    /** The table's last events, oldest first (ChangeEvent JSON). */
    public java.util.List<byte[]> recent(String table) {
        java.util.ArrayDeque<byte[]> q = recent.get(table);
        if (q == null) {
            return java.util.List.of();
        }
        synchronized (q) {
            return java.util.List.copyOf(q);
        }
    }

    public void captured(String table, long lsn, boolean snapshot) {
        perTable.computeIfAbsent(table, t -> new LongAdder()).increment();
        total.increment();
        lastLsn.set(lsn);
        snapshotting = snapshot;
    }

    private final Map<String, LongAdder> backfilled = new ConcurrentHashMap<>();

    /** A row of a backfill (Debezium's incremental snapshot, {@code source.snapshot=incremental}) was published. */
    public void backfilled(String table) {
        backfilled.computeIfAbsent(table, t -> new LongAdder()).increment();
    }

    /** Rows of backfills of the table published since start. */
    public long backfilledRows(String table) {
        LongAdder n = backfilled.get(table);
        return n == null ? 0 : n.sum();
    }

    public long total() {
        return total.sum();
    }

    public long lastLsn() {
        return lastLsn.get();
    }

    public boolean snapshotting() {
        return snapshotting;
    }

    public Map<String, Long> perTable() {
        Map<String, Long> out = new TreeMap<>();
        perTable.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }
}
