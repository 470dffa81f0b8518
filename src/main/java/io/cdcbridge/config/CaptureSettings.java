package io.cdcbridge.config;

import java.nio.file.Path;
import java.time.Duration;

/** The capture route and its Debezium engine: {@code cdc.capture.*}. */
public final class CaptureSettings {

    public static final SettingsArea AREA = new SettingsArea("Capture (`cdc.capture.*`)",
            "The capture route: Debezium reads the slot, each change goes to its table's topic.");

    public static final Setting<Boolean> ENABLED = AREA.declare(Setting.bool("cdc.capture.enabled", true)
            .describe("run the capture route (false: this instance only delivers)"));

    public static final Setting<Duration> POLL_INTERVAL = AREA.declare(Setting.millis("cdc.capture.poll-interval-ms", 10).min(1)
            .describe("longest Debezium holds a partial batch, and how long its reader pauses when Postgres has nothing to send "
                    + "(latency, and throughput in bursts: docs/benchmarks.md)"));

    public static final Setting<Duration> RECONNECT_DELAY = AREA.declare(Setting.millis("cdc.capture.reconnect-delay-ms", 2000).min(1)
            .describe("wait before reconnecting to Postgres after the connection dropped (retried forever)"));

    public static final Setting<Duration> HEARTBEAT_INTERVAL = AREA.declare(Setting.millis("cdc.capture.heartbeat-interval-ms", 10_000)
            .range(1, Integer.MAX_VALUE)
            .describe("heartbeats let the slot advance while the captured tables are idle"));

    public static final Setting<Duration> KAFKA_TIMEOUT = AREA.declare(Setting.millis("cdc.capture.kafka-timeout-ms", 120_000).min(2000)
            .describe("how long a captured event may wait for Kafka before capture stops, waits for Kafka and resumes from "
                    + "the last acknowledged offset"));

    public static final Setting<Long> SLOT_LAG_WARN_BYTES = AREA.declare(Setting.bytes("cdc.capture.slot-lag-warn-bytes", 1L << 30)
            .describe("log a warning when the slot holds more WAL than this"));

    public static final Setting<Path> LOCK_DIR = AREA.declare(Setting.path("cdc.capture.lock-dir")
            .defaultText("*(empty: no election)*")
            .describe("directory shared by all instances: only the holder of the slot's lock captures, the others stand by"));

    public static final Setting<Duration> LOCK_INTERVAL = AREA.declare(Setting.millis("cdc.capture.lock-interval-ms", 1000).min(1)
            .describe("how often a standby tries the lock (the takeover time)"));

    public static final Setting<String> DEBEZIUM = AREA.declare(Setting.prefix("cdc.capture.debezium.<property>")
            .describe("any Debezium connector or engine property, for tuning (e.g. `cdc.capture.debezium.max.batch.size=8192`)"));

    private CaptureSettings() {
    }
}
