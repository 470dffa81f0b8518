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
 * {@link Struct#toString()}. It only serves {@link EventMetadataProvider#toSummaryString}.
 *
 * <p>Guarded (docs/overrides.md): the build refuses any Debezium but {@code debezium.version} (pom.xml, enforcer);
 * PatchedClassesTest fails when debezium-core's own EventFormatter no longer has the hash recorded in
 * src/patches/patched-classes.txt, or when it, not this one, is loaded; EventFormatterTest checks the summary still
 * reads right; PatchedJarIT that the shaded jar holds this class. Delete this file when Debezium formats the summary
 * lazily.
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
