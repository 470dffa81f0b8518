package io.cdcbridge.app;

import io.cdcbridge.capture.LostSlot;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceConfig;

/**
 * {@code java -jar cdc-bridge.jar resync [--force]}: after a lost slot, removes this slot's capture offsets so the next
 * start makes a new slot and snapshots again ({@link LostSlot#resync}; docs/operations.md, "Lost slot"). Here, not in
 * Main, because Main reaches the parts only through app (docs/architecture.md §2).
 */
public final class Resync {

    private Resync() {
    }

    /** One line saying what was done; {@link IllegalStateException} with the reason when it refuses. */
    public static String run(Settings settings, boolean force) {
        return LostSlot.resync(SourceConfig.from(settings), KafkaConfig.from(settings), force);
    }
}
