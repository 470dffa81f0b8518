package io.cdcbridge.capture;

import java.util.List;

import io.debezium.config.CommonConnectorConfig;
import io.debezium.pipeline.notification.Notification;
import io.debezium.pipeline.notification.channels.NotificationChannel;
import io.debezium.pipeline.signal.SignalRecord;
import io.debezium.pipeline.signal.channels.SignalChannelReader;

/**
 * The bridge's in-process signal and notification channel, {@value #NAME} (Debezium finds it through
 * {@code META-INF/services}; capture enables it in {@code signal.enabled.channels} and
 * {@code notification.enabled.channels}): Debezium's signal processor reads the {@link Backfills}' requests of the
 * engine's topic prefix from here, and its incremental snapshot notifications come back here. No signal table, nothing
 * that could reach a sink. Debezium makes one instance per service and engine; the state is in {@link Backfills}.
 */
public final class BackfillChannel implements SignalChannelReader, NotificationChannel {

    public static final String NAME = "cdc-bridge";
    private static final String INCREMENTAL = "Incremental Snapshot";

    private volatile String prefix;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public void init(CommonConnectorConfig config) {
        prefix = config.getLogicalName();
    }

    @Override
    public List<SignalRecord> read() {
        Backfills b = prefix == null ? null : Backfills.forPrefix(prefix);
        SignalRecord next = b == null ? null : b.nextSignal();
        return next == null ? List.of() : List.of(next);
    }

    @Override
    public void send(Notification n) {
        Backfills b = prefix == null ? null : Backfills.forPrefix(prefix);
        if (b != null && INCREMENTAL.equals(n.getAggregateType())) {
            b.notified(n.getType(), n.getId(), n.getAdditionalData());
        }
    }

    @Override
    public void close() {
        // the requests belong to the Backfills, which outlive an engine restart
    }
}
