package io.cdcbridge.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;

import io.cdcbridge.support.TestInfra;
import org.junit.jupiter.api.Test;

/**
 * The short form of bench/chaos.sh: one load of row changes on the bookstore with every fault injected in turn
 * (kill -9 and restart of the jar, Postgres restart, Kafka restart, each fake answering 503, Carol revoking its
 * tokens, a poison record); both sinks must end with exactly Postgres' latest state (BigQuery's through its latest
 * view) and keep it through a quiet period, the DLQs holding only the poison.
 */
class ChaosIT {

    @Test
    void everyFaultInOneRunLosesNothing() throws Exception {
        ChaosRun chaos = new ChaosRun(TestInfra.postgres(), TestInfra.kafka(), TestInfra.newDir("chaos"), Duration.ofSeconds(5));
        ChaosRun.Result r = chaos.run(List.of("kill9", "poison", "scale-out", "bigquery-503", "oversize",
                "pg-restart", "replay", "carol-503", "scale-in", "kafka-restart", "token-revoked"), 4000);
        System.out.println(r);
        assertThat(r.lost()).as(r.toString()).isZero();
        // the quiet period after the first match: nothing turned stale later (a late redelivery or retry)
        assertThat(r.stale()).as(r.toString()).isZero();
        // duplicates are counted by the fake (it keeps repeats past its 60 s window, as BigQuery may), not asserted
        // away: the latest view that compare() reads collapses them
        // exactly what the faults legitimately dead-letter, each letter counted once by its origin: the poison once per
        // sink, the 9 MB row's reference, and the replayed poison record once more in Carol's. A letter written again
        // (at least once: a kill right after it) is a repeat, reported like the changelog's duplicates
        assertThat(r.poison()).as(r.toString()).isEqualTo(4);
        assertThat(r.dlq()).as(r.toString()).isEqualTo(r.poison());
    }
}
