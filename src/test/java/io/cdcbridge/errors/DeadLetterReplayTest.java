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

    @Test
    void aDeadLetterWhoseKeyHasANewerRecordOnItsOriginPartitionIsSupersededAndOnlyThen() {
        var users0 = new org.apache.kafka.common.TopicPartition("p.public.Users", 0);
        var users1 = new org.apache.kafka.common.TopicPartition("p.public.Users", 1);
        byte[] ana = "{\"UserId\":1}".getBytes();
        byte[] joao = "{\"UserId\":2}".getBytes();
        byte[] ze = "{\"UserId\":3}".getBytes();
        var s = new DeadLetterReplay.Supersession();
        s.want(users0, ana, 10);
        s.want(users0, joao, 7);
        s.want(users0, "{\"UserId\":2}".getBytes(), 12); // the same key dead-lettered twice: the older one is superseded by the newer
        s.want(users1, ze, 4);
        assertThat(s.from()).containsEntry(users0, 7L).containsEntry(users1, 4L).hasSize(2);

        // what the origin partitions hold from there on (the dead letters' own records among them)
        s.seen(users0, joao, 7);
        s.seen(users0, ana, 10);
        s.seen(users0, "{\"UserId\":1}".getBytes(), 11); // a newer version of Ana (a fresh array: keys compare by content)
        s.seen(users0, joao, 12);
        s.seen(users0, ze, 13); // Zé's key on another partition than its dead letter's: not its partition, ignored
        s.seen(users0, "{\"UserId\":9}".getBytes(), 14); // a key no dead letter has: not kept
        s.seen(users1, ze, 4);

        assertThat(s.superseded(users0, ana, 10)).as("Ana: a newer change at 11").isTrue();
        assertThat(s.superseded(users0, joao, 7)).as("João@7: its newer dead letter at 12").isTrue();
        assertThat(s.superseded(users0, joao, 12)).as("João@12: the newest, replayed in place of 7").isFalse();
        assertThat(s.superseded(users1, ze, 4)).as("Zé: nothing newer on its partition").isFalse();
        assertThat(s.superseded(users1, "{\"UserId\":9}".getBytes(), 1)).as("a key not wanted").isFalse();
    }

    @Test
    void aCopyReplayedForAnotherSinkSupersedesNothingAndPassthroughRecordsAreNoChangeEvents() {
        var plain = new org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>("p.public.Users", 0, 3, null, "{}".getBytes());
        var forCarol = new org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>("p.public.Users", 0, 4, null, "{}".getBytes());
        forCarol.headers().add(DeadLetters.REPLAY_SINK, "carol".getBytes());
        var forBigQuery = new org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>("p.public.Users", 0, 5, null, "{}".getBytes());
        forBigQuery.headers().add(DeadLetters.REPLAY_SINK, "bigquery".getBytes());
        assertThat(DeadLetterReplay.deliveredBy(plain, "carol")).isTrue();
        assertThat(DeadLetterReplay.deliveredBy(forCarol, "carol")).isTrue();
        assertThat(DeadLetterReplay.deliveredBy(forBigQuery, "carol")).as("an old version Carol skips").isFalse();

        assertThat(DeadLetterReplay.isChangeEvent(("{\"v\":1,\"op\":\"u\",\"schema\":\"public\",\"table\":\"Users\","
                + "\"key\":{\"UserId\":1},\"before\":null,\"after\":{\"UserId\":1},\"source\":{\"lsn\":5}}").getBytes())).isTrue();
        assertThat(DeadLetterReplay.isChangeEvent("[{\"Codigo\":1}]".getBytes())).isFalse();
        assertThat(DeadLetterReplay.isChangeEvent("{\"Codigo\":1}".getBytes())).isFalse();
        assertThat(DeadLetterReplay.isChangeEvent("this is not JSON".getBytes())).isFalse();
        assertThat(DeadLetterReplay.isChangeEvent(null)).isFalse();
        assertThat(DeadLetterReplay.ONE_RECORD_PER_KEY).containsExactly("carol");
    }
}
