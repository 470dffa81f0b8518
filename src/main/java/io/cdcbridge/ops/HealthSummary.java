package io.cdcbridge.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Health at a glance (issue 24 item 4): each part of the pipeline green, amber or red with the reason, for
 * {@code /api/status} and the console's badges. Pure: fed with plain values read elsewhere (the readiness checks of
 * {@link OpsServer#ready()}, capture's left-out tables, the slot's lag, each sink's routes, dead letters and retrying
 * state), so every rule is tested without a running bridge.
 *
 * <p>Green: nothing to do. Amber: working, but look (a table left out, a sink suspended or retrying, dead letters,
 * the token about to expire). Red: a part does not work (Kafka does not answer, capture does not stream, a sink's
 * route stopped or retrying for longer than {@link #RED_AFTER}, events lost to retention). Reasons are built from
 * messages the bridge already logs, which never carry a secret.
 */
public final class HealthSummary {

    /** Retrying for longer than this turns a sink red: the service is down, not blipping. */
    public static final Duration RED_AFTER = Duration.ofSeconds(30);
    /** A Carol token expiring sooner than this is amber: a refresh should have happened by now. */
    public static final Duration TOKEN_WARN = Duration.ofMinutes(5);
    private static final int MAX_REASON = 300;

    public enum State { green, amber, red }

    /** One badge: {@code part} is postgres, slot, kafka, a sink's name or carol-token. */
    public record Part(String part, State state, String reason) {
        Map<String, String> json() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("part", part);
            m.put("state", state.name());
            m.put("reason", reason);
            return m;
        }
    }

    /**
     * One enabled sink.
     *
     * @param routes         its routes (id → Camel status: Started, Suspended, Stopped, ...)
     * @param deadLetters    records it dead-lettered since start
     * @param retryingSince  since when it has been retrying without a success, or null
     * @param lastError      the last retried failure, or null
     * @param stoppedBecause why the engine last stopped the sink's route (a Stop outcome), or null
     */
    public record Sink(String name, Map<String, String> routes, long deadLetters, Instant retryingSince, String lastError,
                       String stoppedBecause) {
    }

    /**
     * @param checks          the readiness checks ({@link OpsServer#ready()}): "UP" or "DOWN: why"
     * @param leftOut         tables left out of capture, and why
     * @param slotLagBytes    the slot's lag, negative when not known
     * @param slotLagWarn     {@code cdc.capture.slot-lag-warn-bytes}
     * @param sinks           the enabled sinks
     * @param tokenExpiry     when Carol's token expires, or null (none yet)
     * @param carolNeedsToken whether Carol delivers with a token (password grant, not dry run or API key)
     * @param slotLost        why capture stopped because the slot was lost under it (names the slot and resync), or null
     */
    public record Inputs(Map<String, String> checks, Map<String, String> leftOut, long slotLagBytes, long slotLagWarn,
                         List<Sink> sinks, Instant tokenExpiry, boolean carolNeedsToken, String slotLost) {
        public Inputs(Map<String, String> checks, Map<String, String> leftOut, long slotLagBytes, long slotLagWarn,
                      List<Sink> sinks, Instant tokenExpiry, boolean carolNeedsToken) {
            this(checks, leftOut, slotLagBytes, slotLagWarn, sinks, tokenExpiry, carolNeedsToken, null);
        }
    }

    private HealthSummary() {
    }

    public static List<Part> compute(Inputs in, Instant now) {
        List<Part> out = new ArrayList<>();
        String capture = in.checks().get("capture"); // absent: this instance does not capture (capture off, standby)
        out.add(postgres(capture, in.leftOut()));
        out.add(in.slotLost() != null ? new Part("slot", State.red, in.slotLost())
                : slot(capture, in.slotLagBytes(), in.slotLagWarn()));
        out.add(fromCheck("kafka", in.checks().get("kafka"), "brokers answer"));
        for (Sink s : in.sinks()) {
            out.add(sink(s, in.checks(), now));
            if (s.name().equals("carol")) {
                out.add(token(s, in.tokenExpiry(), in.carolNeedsToken(), now));
            }
        }
        return out;
    }

    /** As {@code /api/status} lists them. */
    public static List<Map<String, String>> json(List<Part> parts) {
        return parts.stream().map(Part::json).toList();
    }

    private static Part postgres(String capture, Map<String, String> leftOut) {
        if (capture == null) {
            return new Part("postgres", State.green, "not captured by this instance (capture off or standby)");
        }
        if (!capture.equals("UP")) {
            return new Part("postgres", State.red, down(capture));
        }
        if (!leftOut.isEmpty()) {
            List<String> tables = new ArrayList<>();
            leftOut.forEach((t, why) -> tables.add(t + " (" + why + ")"));
            return new Part("postgres", State.amber, "left out of capture: " + String.join("; ", tables));
        }
        return new Part("postgres", State.green, "streaming");
    }

    private static Part slot(String capture, long lag, long warn) {
        if (capture == null) {
            return new Part("slot", State.green, "not read by this instance");
        }
        if (lag < 0) {
            return new Part("slot", State.amber, "lag not known yet");
        }
        if (lag > warn) {
            return new Part("slot", State.amber, bytes(lag) + " behind (warns above " + bytes(warn) + ", cdc.capture.slot-lag-warn-bytes)");
        }
        return new Part("slot", State.green, bytes(lag) + " behind");
    }

    private static Part fromCheck(String part, String check, String fine) {
        if (check == null || check.equals("UP")) {
            return new Part(part, State.green, fine);
        }
        return new Part(part, State.red, down(check));
    }

    private static Part sink(Sink s, Map<String, String> checks, Instant now) {
        List<String> red = new ArrayList<>();
        List<String> amber = new ArrayList<>();
        s.routes().forEach((id, state) -> {
            switch (state) {
                case "Started" -> { }
                case "Stopped" -> red.add("route " + id + " stopped" + (s.stoppedBecause() == null ? "" : ": " + s.stoppedBecause()));
                default -> amber.add("route " + id + " " + state.toLowerCase());
            }
            String consumer = checks.get("consumer:" + id);
            if (consumer != null && !consumer.equals("UP")) {
                red.add("consumer of " + id + ": " + down(consumer));
            }
        });
        String retention = checks.get("retention:" + s.name());
        if (retention != null && !retention.equals("UP")) {
            red.add(down(retention));
        }
        if (s.retryingSince() != null) {
            long seconds = Math.max(0, Duration.between(s.retryingSince(), now).toSeconds());
            String why = "retrying for " + seconds + " s" + (s.lastError() == null ? "" : ": " + s.lastError());
            (Duration.between(s.retryingSince(), now).compareTo(RED_AFTER) > 0 ? red : amber).add(why);
        }
        if (s.deadLetters() > 0) {
            amber.add(s.deadLetters() + (s.deadLetters() == 1 ? " record" : " records") + " dead-lettered since start");
        }
        List<String> reasons = new ArrayList<>(red);
        reasons.addAll(amber);
        State state = !red.isEmpty() ? State.red : !amber.isEmpty() ? State.amber : State.green;
        return new Part(s.name(), state, reasons.isEmpty() ? "delivering" : String.join("; ", reasons));
    }

    private static Part token(Sink carol, Instant expiry, boolean needsToken, Instant now) {
        String stopped = carol.stoppedBecause();
        boolean routeStopped = carol.routes().containsValue("Stopped");
        // Carol's Stop outcomes are about credentials or the connector; only those naming them colour the token
        if (routeStopped && stopped != null && (stopped.contains("credentials") || stopped.contains("grant") || stopped.contains("token"))) {
            return new Part("carol-token", State.red, "Carol refused the credentials: " + stopped);
        }
        if (!needsToken) {
            return new Part("carol-token", State.green, "no token needed (API key or dry run)");
        }
        if (expiry == null) {
            return new Part("carol-token", State.amber, "no token yet");
        }
        Duration left = Duration.between(now, expiry);
        if (left.compareTo(TOKEN_WARN) < 0) {
            return new Part("carol-token", State.amber, left.isNegative() ? "expired at " + expiry
                    : "expires in " + left.toSeconds() + " s (" + expiry + ")");
        }
        return new Part("carol-token", State.green, "expires " + expiry);
    }

    private static String down(String check) {
        String why = check.startsWith("DOWN: ") ? check.substring(6) : check;
        return why.length() > MAX_REASON ? why.substring(0, MAX_REASON) + "…" : why;
    }

    private static String bytes(long n) {
        return n < 1024 * 1024 ? n + " bytes" : (n / (1024 * 1024)) + " MiB";
    }
}
