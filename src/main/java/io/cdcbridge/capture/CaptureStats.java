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

    public void captured(String table, long lsn, boolean snapshot) {
        perTable.computeIfAbsent(table, t -> new LongAdder()).increment();
        total.increment();
        lastLsn.set(lsn);
        snapshotting = snapshot;
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
