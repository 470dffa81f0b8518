package io.cdcbridge.config;

import java.nio.file.Path;
import java.time.Duration;

/** Where capture keeps its offsets: {@code cdc.offsets.*}. */
public final class OffsetSettings {

    public static final SettingsArea AREA = new SettingsArea("Capture offsets (`cdc.offsets.*`)",
            "Capture's position in the replication slot, stored once Kafka acknowledged the events before it.");

    public static final Setting<String> STORE = AREA.declare(Setting.choice("cdc.offsets.store", "file", "file", "kafka")
            .describe("where offsets live: `file` (one instance) or `kafka` (several instances, leader election)"));

    public static final Setting<Path> FILE = AREA.declare(Setting.path("cdc.offsets.file")
            .defaultFrom(s -> s.get(OpsSettings.DATA_DIR).resolve("offsets.dat"), "`<cdc.data-dir>/offsets.dat`")
            .describe("offsets file for `file` (under the data dir, so a volume there keeps them)"));

    public static final Setting<String> TOPIC = AREA.declare(Setting.string("cdc.offsets.topic", "cdc-bridge-offsets")
            .describe("offsets topic for `kafka` (compacted); bridges may share it: offsets are keyed by replication slot and topic prefix"));

    public static final Setting<Duration> FLUSH_INTERVAL = AREA.declare(Setting.millis("cdc.offsets.flush-interval-ms", 1000)
            .describe("how often acknowledged offsets are stored"));

    private OffsetSettings() {
    }
}
