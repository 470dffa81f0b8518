package io.cdcbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class RepeatedHeaderTest {

    @Test
    void theSameBytesAreParsedOnceAndNewBytesAgain() {
        AtomicInteger parses = new AtomicInteger();
        RepeatedHeader<String> header = new RepeatedHeader<>(h -> {
            parses.incrementAndGet();
            return new String((byte[]) h, StandardCharsets.UTF_8).toUpperCase();
        });
        assertThat(header.get("{\"a\":\"int4\"}".getBytes(StandardCharsets.UTF_8))).isEqualTo("{\"A\":\"INT4\"}");
        assertThat(header.get("{\"a\":\"int4\"}".getBytes(StandardCharsets.UTF_8))).isEqualTo("{\"A\":\"INT4\"}");
        assertThat(parses).hasValue(1);
        assertThat(header.get("{\"b\":\"text\"}".getBytes(StandardCharsets.UTF_8))).isEqualTo("{\"B\":\"TEXT\"}");
        assertThat(parses).hasValue(2);
    }
}
