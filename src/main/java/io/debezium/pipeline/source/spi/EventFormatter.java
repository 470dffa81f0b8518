package io.debezium.pipeline.source.spi;

import java.util.Map;

import org.apache.kafka.connect.data.Struct;

/**
 * cdc-bridge's stand-in for Debezium's package-private {@code EventFormatter} (Debezium 3.4): the shaded jar and the
 * test classpath both take this class first, in place of the one in debezium-core.
 *
 * <p>Why: Debezium's streaming metrics keep a "last event" summary and build it for every event, on the thread that
 * decodes the replication stream, the capture's critical path. The original prints the key with
 * {@code SchemaUtil.asDetailedString}, which constructs a new Jackson {@code ObjectMapper} each time: a fifth of that
 * thread's samples (docs/benchmarks.md). This one writes the same summary (source position, key) with
 * {@link Struct#toString()}. It only serves {@link EventMetadataProvider#toSummaryString}; EventFormatterTest checks
 * that this class is the one loaded and that the summary still reads right, so a Debezium upgrade that changes the
 * class fails the build instead of the capture. Delete this file when Debezium formats the summary lazily.
 */
class EventFormatter {

    private Map<String, String> sourcePosition;
    private Object key;
    private Struct value;

    EventFormatter() {
    }

    public EventFormatter sourcePosition(Map<String, String> sourcePosition) {
        this.sourcePosition = sourcePosition;
        return this;
    }

    public EventFormatter key(Object key) {
        this.key = key;
        return this;
    }

    public EventFormatter value(Struct value) {
        this.value = value;
        return this;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(128);
        if (sourcePosition != null) {
            s.append("position: ").append(sourcePosition);
        }
        if (key != null) {
            s.append(s.length() > 0 ? ", " : "").append("key: ").append(key);
        }
        if (value != null) {
            s.append(s.length() > 0 ? ", " : "").append("value: ").append(value);
        }
        return s.toString();
    }
}
