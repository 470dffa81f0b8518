package io.cdcbridge.bigquery;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.delivery.SinkMapper;
import io.cdcbridge.event.ChangeEvent;
import io.cdcbridge.delivery.Passthrough;

/**
 * The BigQuery sink's {@link SinkMapper}: a ChangeEvent becomes one changelog row ({@link BigQueryRowMapper}), a
 * passthrough record one row per JSON object, into the table its setting names.
 */
final class BigQueryMapper implements SinkMapper<BigQueryRowMapper.Row> {

    private final BigQueryRowMapper rows;
    private final Passthrough passthrough;
    /** {@code _ingested_at}: one value for the rows of a batch. */
    private String ingestedAt;

    BigQueryMapper(BigQueryRowMapper rows, Passthrough passthrough) {
        this.rows = rows;
        this.passthrough = passthrough;
    }

    @Override
    public void startBatch() {
        ingestedAt = rows.ingestedAt();
    }

    @Override
    public List<Item<BigQueryRowMapper.Row>> map(Inbound record) {
        String passthroughTable = passthrough.bigQueryTable(record.topic());
        if (passthroughTable == null) {
            BigQueryRowMapper.Row row = rows.map(ChangeEvent.parse(record.value(), record.typesHeader()),
                    ingestedAt != null ? ingestedAt : rows.ingestedAt());
            return List.of(new Item<>(row.tableId(), row, size(row)));
        }
        List<ObjectNode> objects = Passthrough.records(record.value());
        List<Item<BigQueryRowMapper.Row>> out = new ArrayList<>(objects.size());
        for (int i = 0; i < objects.size(); i++) {
            // the position the record was first read at names it (a replayed copy carries it, DeadLetterReplay): a
            // replay or a re-read sends the same insertId, which BigQuery dedupes within its window
            String position = record.topic() + "/" + record.partition() + "/" + record.offset() + "/" + i;
            BigQueryRowMapper.Row row = rows.mapPassthrough(passthroughTable, objects.get(i),
                    UUID.nameUUIDFromBytes(position.getBytes(StandardCharsets.UTF_8)).toString());
            out.add(new Item<>(row.tableId(), row, size(row)));
        }
        return out;
    }

    /** The row's share of an insertAll body: {"insertId":"...","json":{...}}, plus separators. */
    static long size(BigQueryRowMapper.Row row) {
        return JsonSize.of(row.values()) + row.insertId().length() + 32;
    }
}
