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
}
