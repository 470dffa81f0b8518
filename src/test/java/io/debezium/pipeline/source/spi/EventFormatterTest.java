package io.debezium.pipeline.source.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

/**
 * cdc-bridge's stand-in for Debezium's EventFormatter (src/patches/java) still fits the code that calls it. That it is
 * the class loaded, and that Debezium's own is unchanged, is PatchedClassesTest's (docs/overrides.md).
 */
class EventFormatterTest {

    @Test
    void debeziumsSummaryStillReadsRight() {
        Schema keySchema = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
        Struct key = new Struct(keySchema).put("id", 42);
        // the interface's default method, as Debezium's streaming metrics call it for every event
        EventMetadataProvider provider = new EventMetadataProvider() {
            @Override
            public java.time.Instant getEventTimestamp(io.debezium.spi.schema.DataCollectionId source,
                                                      io.debezium.pipeline.spi.OffsetContext offset, Object key, Struct value) {
                return null;
            }

            @Override
            public Map<String, String> getEventSourcePosition(io.debezium.spi.schema.DataCollectionId source,
                                                              io.debezium.pipeline.spi.OffsetContext offset, Object key, Struct value) {
                return Map.of("lsn", "123");
            }

            @Override
            public String getTransactionId(io.debezium.spi.schema.DataCollectionId source,
                                           io.debezium.pipeline.spi.OffsetContext offset, Object key, Struct value) {
                return null;
            }
        };
        assertThat(provider.toSummaryString(null, null, key, null)).isEqualTo("position: {lsn=123}, key: Struct{id=42}");
    }
}
