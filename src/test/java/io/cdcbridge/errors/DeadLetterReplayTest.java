package io.cdcbridge.errors;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.TreeSet;

import org.junit.jupiter.api.Test;

class DeadLetterReplayTest {

    @Test
    void replayedOffsetsBeyondTheCommitRoundTripAsRanges() {
        TreeSet<Long> done = new TreeSet<>(java.util.List.of(3L, 5L, 6L, 7L, 10L));
        String meta = DeadLetterReplay.formatDone(done);
        assertThat(meta).isEqualTo("replayed:3,5-7,10");
        assertThat(DeadLetterReplay.parseDone(meta)).isEqualTo(done);
        assertThat(DeadLetterReplay.parseDone("replayed:")).isEmpty();
        assertThat(DeadLetterReplay.parseDone(null)).isEmpty();
        assertThat(DeadLetterReplay.formatDone(new TreeSet<>())).isEqualTo("replayed:");
    }
    @Test
    void progressOfAnInterleavedTopicReplayedByTableFitsKafkasCommitMetadataWhole() {
        // --table on a topic where two tables alternate: every other offset replayed, 40,000 of them
        TreeSet<Long> done = new TreeSet<>();
        for (long o = 1; o < 80_000; o += 2) {
            done.add(o);
        }
        String meta = DeadLetterReplay.formatDone(done);
        assertThat(meta.length()).isLessThanOrEqualTo(4096);
        assertThat(DeadLetterReplay.parseDone(meta)).isEqualTo(done);
    }

    @Test
    void progressBeyondWhatFitsKeepsTheLowestOffsetsAndNeverClaimsOneNotReplayed() {
        java.util.Random random = new java.util.Random(7);
        TreeSet<Long> done = new TreeSet<>();
        for (long o = 0; o < 400_000; o++) {
            if (random.nextInt(3) == 0) {
                done.add(o * 1000); // far apart and irregular: neither ranges nor a bitmap hold them all
            }
        }
        String meta = DeadLetterReplay.formatDone(done);
        assertThat(meta.length()).isLessThanOrEqualTo(4096);
        TreeSet<Long> kept = DeadLetterReplay.parseDone(meta);
        assertThat(kept).isNotEmpty();
        assertThat(done).containsAll(kept);
        // a prefix: what is dropped lies above what is kept, and will be replayed again rather than skipped
        assertThat(done.headSet(kept.last(), true)).isEqualTo(kept);
    }

    @Test
    void aReplayedCopyCarriesTheFirstPositionOfItsRecordAndKeepsItThroughLaterDeadLetters() {
        var letter = new org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>("p.dlq.bigquery", 0, 12, null, "{}".getBytes());
        letter.headers().add(DeadLetters.ORIGIN_TOPIC, "orders".getBytes()).add(DeadLetters.ORIGIN_PARTITION, "2".getBytes())
                .add(DeadLetters.ORIGIN_OFFSET, "345".getBytes()).add("cdc.error.message", "x".getBytes());
        var headers = DeadLetterReplay.replayHeaders(letter, "bigquery");
        assertThat(new String(headers.lastHeader(DeadLetterReplay.FIRST_POSITION).value())).isEqualTo("orders/2/345");
        assertThat(headers.lastHeader("cdc.error.message")).isNull();
        assertThat(DeadLetterReplay.firstPosition("orders", headers.lastHeader(DeadLetterReplay.FIRST_POSITION).value()))
                .containsExactly(2L, 345L);
        assertThat(DeadLetterReplay.firstPosition("other", "orders/2/345")).isNull();
        assertThat(DeadLetterReplay.firstPosition("orders", null)).isNull();

        // the copy failed again and was dead-lettered from its new position: the first one stays
        var again = new org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>("p.dlq.bigquery", 0, 40, null, "{}".getBytes());
        again.headers().add(DeadLetterReplay.FIRST_POSITION, "orders/2/345".getBytes()).add(DeadLetters.ORIGIN_TOPIC, "orders".getBytes())
                .add(DeadLetters.ORIGIN_PARTITION, "0".getBytes()).add(DeadLetters.ORIGIN_OFFSET, "999".getBytes());
        var twice = DeadLetterReplay.replayHeaders(again, "bigquery");
        assertThat(twice.headers(DeadLetterReplay.FIRST_POSITION)).extracting(h -> new String(h.value())).containsExactly("orders/2/345");
    }
}
