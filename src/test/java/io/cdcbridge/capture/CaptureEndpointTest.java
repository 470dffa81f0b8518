package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

class CaptureEndpointTest {

    private static final Schema ROW = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).optional().build();
    private static final Schema ENVELOPE = SchemaBuilder.struct()
            .field("before", ROW).field("after", ROW).field("op", Schema.STRING_SCHEMA).build();
    private static final Schema HEARTBEAT = SchemaBuilder.struct().field("ts_ms", Schema.INT64_SCHEMA).build();

    private static SourceRecord record(Schema schema, Object value) {
        return new SourceRecord(Map.of(), Map.of(), "t", schema, value);
    }

    @Test
    void aChangeHasItsOperation() {
        Struct change = new Struct(ENVELOPE).put("after", new Struct(ROW).put("id", 1)).put("op", "c");
        assertThat(CaptureEndpoint.operation(record(ENVELOPE, change))).isEqualTo("c");
    }

    @Test
    void heartbeatsAndTombstonesHaveNone() {
        // a heartbeat's value has no op field: answered from the schema, without the exception Struct.get would throw
        assertThat(CaptureEndpoint.operation(record(HEARTBEAT, new Struct(HEARTBEAT).put("ts_ms", 1L)))).isNull();
        assertThat(CaptureEndpoint.operation(record(null, null))).isNull();
    }
}
