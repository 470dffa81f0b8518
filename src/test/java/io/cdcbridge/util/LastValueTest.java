package io.cdcbridge.util;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class LastValueTest {

    @Test
    void theSameBytesAreParsedOnceAndNewBytesAgain() {
        AtomicInteger parses = new AtomicInteger();
        LastValue<byte[], String> header = LastValue.byValue(h -> {
            parses.incrementAndGet();
            return new String(h, StandardCharsets.UTF_8).toUpperCase();
        });
        assertThat(header.get("{\"a\":\"int4\"}".getBytes(StandardCharsets.UTF_8))).isEqualTo("{\"A\":\"INT4\"}");
        assertThat(header.get("{\"a\":\"int4\"}".getBytes(StandardCharsets.UTF_8))).isEqualTo("{\"A\":\"INT4\"}");
        assertThat(parses).hasValue(1);
        assertThat(header.get("{\"b\":\"text\"}".getBytes(StandardCharsets.UTF_8))).isEqualTo("{\"B\":\"TEXT\"}");
        assertThat(parses).hasValue(2);
    }

    @Test
    void byIdentityRecomputesForAnEqualButOtherKey() {
        AtomicInteger computes = new AtomicInteger();
        LastValue<List<String>, Integer> sizes = LastValue.byIdentity(l -> {
            computes.incrementAndGet();
            return l.size();
        });
        List<String> a = new ArrayList<>(List.of("x"));
        assertThat(sizes.get(a)).isEqualTo(1);
        assertThat(sizes.get(a)).isEqualTo(1);
        assertThat(computes).hasValue(1);
        assertThat(sizes.get(new ArrayList<>(List.of("x")))).isEqualTo(1);
        assertThat(computes).hasValue(2);
    }

    @Test
    void aFailedComputationIsNotKept() {
        LastValue<String, Integer> parsed = LastValue.byValue(Integer::parseInt);
        assertThat(parsed.get("7")).isEqualTo(7);
        assertThatThrownBy(() -> parsed.get("x")).isInstanceOf(NumberFormatException.class);
        assertThat(parsed.get("7")).isEqualTo(7);
    }
}
