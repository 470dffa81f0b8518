package io.cdcbridge.delivery;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * {@code cdc.sink.dry-run}: a client that writes what would be sent to {@code <dir>/<target>.jsonl} and reports it
 * delivered, so the dry run goes through the same engine (batching, commits, counters) as a real sink.
 */
public final class DryRunClient<T> implements SinkClient<T> {

    private final Path dir;
    private final Function<List<T>, String> lines;

    /** @param lines the request as JSON lines, each ending in a newline */
    public DryRunClient(Path dir, Function<List<T>, String> lines) {
        this.dir = dir;
        this.lines = lines;
    }

    @Override
    public Outcome send(String target, List<T> items) {
        KafkaBatch.append(dir.resolve(target + ".jsonl"), lines.apply(items));
        return Outcome.DELIVERED;
    }
}
