package io.cdcbridge.ops;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * The console's charts over the last hour (docs/operations.md, "Console"), kept in memory: every {@link #EVERY} one
 * reading of the bridge's counters, at most {@link #WINDOW} of them (a ring: the oldest leaves as a new one comes), per
 * table at most {@link #MAX_TABLES} tables (the first seen; the others are counted in the totals only). So the memory
 * is bounded whatever the run's length or the database's size: about 720 readings of a few longs per table and sink.
 *
 * <p>From two consecutive readings: events/s captured (all tables and per table) and delivered per sink. Per reading:
 * each sink's lag in events (its consumer group's, {@link DeliveryProgress}), the slot's lag in bytes, and the sink's
 * lag in seconds: the age of the oldest event still waiting, estimated from the capture history as how long ago
 * capture had written the {@code lag}-th last event (the waiting events are the last ones written); when the history
 * is shorter than that, its whole span (a lower bound).
 */
public final class ConsoleHistory {

    public static final Duration EVERY = Duration.ofSeconds(5);
    public static final Duration WINDOW = Duration.ofHours(1);
    public static final int MAX_TABLES = 200;

    /** One reading of the counters: totals since start, and lags now (-1: unknown). */
    public record Reading(Map<String, Long> capturedPerTable, Map<String, Long> deliveredPerSink, Map<String, Long> lagEventsPerSink,
                          long slotLagBytes) {
    }

    /** A reading with its time and the sinks' lag in seconds (computed when it is taken). */
    private record Sample(long atMs, long captured, Map<String, Long> perTable, Map<String, Long> delivered,
                          Map<String, Long> lagEvents, Map<String, Long> lagSeconds, long slotLagBytes) {
    }

    private final Clock clock;
    private final Duration window;
    private final int maxTables;
    private final Supplier<Reading> source;
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();
    private final TreeSet<String> tables = new TreeSet<>();

    public ConsoleHistory(Clock clock, Supplier<Reading> source) {
        this(clock, WINDOW, MAX_TABLES, source);
    }

    ConsoleHistory(Clock clock, Duration window, int maxTables, Supplier<Reading> source) {
        this.clock = clock;
        this.window = window;
        this.maxTables = maxTables;
        this.source = source;
    }

    /** Takes one reading (the sampler's timer calls this every {@link #EVERY}). */
    public void sample() {
        Reading r = source.get();
        long now = clock.millis();
        long captured = r.capturedPerTable().values().stream().mapToLong(Long::longValue).sum();
        Map<String, Long> perTable = new TreeMap<>();
        synchronized (this) {
            r.capturedPerTable().forEach((t, n) -> {
                if (tables.contains(t) || tables.size() < maxTables && tables.add(t)) {
                    perTable.put(t, n);
                }
            });
            Map<String, Long> lagSeconds = new TreeMap<>();
            r.lagEventsPerSink().forEach((sink, lag) -> lagSeconds.put(sink, lagSeconds(now, captured, lag)));
            samples.addLast(new Sample(now, captured, perTable, new TreeMap<>(r.deliveredPerSink()),
                    new TreeMap<>(r.lagEventsPerSink()), lagSeconds, r.slotLagBytes()));
            while (!samples.isEmpty() && samples.peekFirst().atMs() < now - window.toMillis()) {
                samples.removeFirst();
            }
        }
    }

    /** Seconds since capture wrote the {@code lag}-th last event, judged from the readings kept; -1 when unknown. */
    private long lagSeconds(long now, long capturedNow, long lag) {
        if (lag < 0) {
            return -1;
        }
        if (lag == 0) {
            return 0;
        }
        Iterator<Sample> back = samples.descendingIterator();
        Sample oldest = null;
        while (back.hasNext()) {
            Sample s = back.next();
            oldest = s;
            if (capturedNow - s.captured() >= lag) {
                return (now - s.atMs()) / 1000;
            }
        }
        return oldest == null ? 0 : (now - oldest.atMs()) / 1000;
    }

    /** Number of readings kept (at most one per {@link #EVERY} over {@link #WINDOW}). */
    synchronized int size() {
        return samples.size();
    }

    /**
     * The series for {@code GET /api/history} (docs/architecture.md §10): {@code t} (epoch ms of each reading), and
     * arrays of the same length: {@code captured} (events/s), {@code slotLagBytes}, per sink {@code delivered}
     * (events/s), {@code lagEvents}, {@code lagSeconds}, per table {@code captured} (events/s). A rate's first
     * element, and a lag not known, is null.
     */
    public synchronized Map<String, Object> json() {
        List<Sample> list = new ArrayList<>(samples);
        List<Long> t = new ArrayList<>();
        List<Double> captured = new ArrayList<>();
        List<Long> slot = new ArrayList<>();
        TreeSet<String> sinks = new TreeSet<>();
        list.forEach(s -> {
            sinks.addAll(s.delivered().keySet());
            sinks.addAll(s.lagEvents().keySet());
        });
        Map<String, Map<String, List<Object>>> perSink = new TreeMap<>();
        for (String sink : sinks) {
            Map<String, List<Object>> m = new LinkedHashMap<>();
            m.put("delivered", new ArrayList<>());
            m.put("lagEvents", new ArrayList<>());
            m.put("lagSeconds", new ArrayList<>());
            perSink.put(sink, m);
        }
        Map<String, List<Double>> perTable = new TreeMap<>();
        tables.forEach(table -> perTable.put(table, new ArrayList<>()));
        Sample prev = null;
        for (Sample s : list) {
            t.add(s.atMs());
            slot.add(s.slotLagBytes() < 0 ? null : s.slotLagBytes());
            captured.add(rate(prev, s, prev == null ? 0 : prev.captured(), s.captured()));
            for (String sink : sinks) {
                Map<String, List<Object>> m = perSink.get(sink);
                m.get("delivered").add(prev == null || !prev.delivered().containsKey(sink) || !s.delivered().containsKey(sink) ? null
                        : rate(prev, s, prev.delivered().get(sink), s.delivered().get(sink)));
                long lag = s.lagEvents().getOrDefault(sink, -1L);
                m.get("lagEvents").add(lag < 0 ? null : lag);
                long secs = s.lagSeconds().getOrDefault(sink, -1L);
                m.get("lagSeconds").add(secs < 0 ? null : secs);
            }
            for (var e : perTable.entrySet()) {
                Long before = prev == null ? null : prev.perTable().get(e.getKey());
                Long now = s.perTable().get(e.getKey());
                // a table first seen in this reading: its events came since the last one
                e.getValue().add(prev == null || now == null ? null : rate(prev, s, before == null ? 0 : before, now));
            }
            prev = s;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("everyMs", EVERY.toMillis());
        out.put("windowMs", window.toMillis());
        out.put("t", t);
        out.put("captured", captured);
        out.put("slotLagBytes", slot);
        out.put("sinks", perSink);
        out.put("tables", perTable);
        return out;
    }

    /**
     * Events per second between two readings; null for the first. A counter that went down was started again (a
     * route file reloaded gives its sink a new engine): its events since then are its value now.
     */
    private static Double rate(Sample prev, Sample s, long before, long now) {
        if (prev == null) {
            return null;
        }
        long dt = s.atMs() - prev.atMs();
        if (dt <= 0) {
            return null;
        }
        long delta = now >= before ? now - before : now;
        return Math.round(delta * 10000.0 / dt) / 10.0;
    }
}
