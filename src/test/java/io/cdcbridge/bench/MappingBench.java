package io.cdcbridge.bench;

import java.math.BigDecimal;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.cdcbridge.event.ChangeEvent;
import io.cdcbridge.bigquery.BigQueryNames;
import io.cdcbridge.bigquery.BigQueryRowMapper;
import io.cdcbridge.capture.ChangeEventEncoder;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot mapping code, per row: Debezium Struct → ChangeEvent JSON (capture), ChangeEvent JSON → BigQuery changelog
 * row (delivery). Rows of 5 and 50 columns (ints, text, numeric). Run with bench/jmh.sh, not by the build.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class MappingBench {

    @Param({"5", "50"})
    public int columns;

    private final ChangeEventEncoder encoder = new ChangeEventEncoder();
    private final BigQueryRowMapper bigQuery = new BigQueryRowMapper(new BigQueryNames("bench", Set.of(), Set.of(), Map.of()), Clock.systemUTC());
    private Struct key;
    private Struct row;
    private ChangeEventEncoder.Source source;
    private byte[] event;
    private byte[] types;

    @Setup
    public void setup() {
        SchemaBuilder b = SchemaBuilder.struct();
        for (int i = 0; i < columns; i++) {
            switch (i % 3) {
                case 0 -> b.field("c" + i, SchemaBuilder.int64().parameter("__debezium.source.column.type", "INT8").build());
                case 1 -> b.field("c" + i, SchemaBuilder.string().optional().parameter("__debezium.source.column.type", "TEXT").build());
                default -> b.field("c" + i, Decimal.builder(2).optional().parameter("__debezium.source.column.type", "NUMERIC").build());
            }
        }
        Schema schema = b.build();
        row = new Struct(schema);
        for (int i = 0; i < columns; i++) {
            switch (i % 3) {
                case 0 -> row.put("c" + i, (long) i * 1_000_003);
                case 1 -> row.put("c" + i, "texto número " + i + " com acentuação");
                default -> row.put("c" + i, new BigDecimal("12345.67"));
            }
        }
        key = new Struct(SchemaBuilder.struct().field("c0", Schema.INT64_SCHEMA).build()).put("c0", 0L);
        source = new ChangeEventEncoder.Source(123_456_789L, 743L, 1_764_000_000_000L, false);
        event = encoder.value("u", "public", "sales", key, null, row, source);
        types = encoder.types(schema);
    }

    @Benchmark
    public byte[] structToChangeEvent() {
        return encoder.value("u", "public", "sales", key, null, row, source);
    }

    @Benchmark
    public BigQueryRowMapper.Row changeEventToBigQueryRow() {
        return bigQuery.map(ChangeEvent.parse(event, types));
    }
}
