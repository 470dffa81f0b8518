package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offsets file as Kafka Connect's FileOffsetBackingStore writes it: only this slot's and prefix's entry is removed. */
class LostSlotTest {

    @TempDir
    Path dir;

    @Test
    void removesOnlyThisCapturesOffsetsFromTheFile() throws Exception {
        Path file = dir.resolve("offsets.dat");
        Settings s = Settings.of(Map.of("cdc.source.host", "db", "cdc.source.database", "shop", "cdc.source.user", "u",
                "cdc.source.slot", "s1", "cdc.kafka.brokers", "k:9092", "cdc.kafka.topic-prefix", "p1",
                "cdc.offsets.file", file.toString()));
        SourceConfig src = SourceConfig.from(s);
        KafkaConfig kafka = KafkaConfig.from(s);
        HashMap<byte[], byte[]> raw = new HashMap<>();
        raw.put(bytes("[\"cdc-bridge-s1\",{\"server\":\"p1\"}]"), bytes("{\"lsn\":123}"));
        raw.put(bytes("[\"cdc-bridge-s2\",{\"server\":\"p1\"}]"), bytes("{\"lsn\":456}"));
        raw.put(bytes("[\"cdc-bridge-s1\",{\"server\":\"other\"}]"), bytes("{\"lsn\":789}"));
        try (var out = new ObjectOutputStream(Files.newOutputStream(file))) {
            out.writeObject(raw);
        }

        assertThat(LostSlot.storedOffsets(src, kafka)).isEqualTo("{\"lsn\":123}");
        assertThat(LostSlot.removeOffsets(src, kafka)).isTrue();
        assertThat(LostSlot.storedOffsets(src, kafka)).isNull();
        assertThat(LostSlot.removeOffsets(src, kafka)).as("nothing left to remove").isFalse();

        Map<String, String> left = new HashMap<>();
        try (var in = new ObjectInputStream(Files.newInputStream(file))) {
            @SuppressWarnings("unchecked")
            Map<byte[], byte[]> m = (Map<byte[], byte[]>) in.readObject();
            m.forEach((k, v) -> left.put(new String(k, StandardCharsets.UTF_8), new String(v, StandardCharsets.UTF_8)));
        }
        assertThat(left).containsOnly(Map.entry("[\"cdc-bridge-s2\",{\"server\":\"p1\"}]", "{\"lsn\":456}"),
                Map.entry("[\"cdc-bridge-s1\",{\"server\":\"other\"}]", "{\"lsn\":789}"));
    }

    @Test
    void noFileNoOffsets() {
        Settings s = Settings.of(Map.of("cdc.source.host", "db", "cdc.source.database", "shop", "cdc.source.user", "u",
                "cdc.kafka.brokers", "k:9092", "cdc.offsets.file", dir.resolve("none.dat").toString()));
        assertThat(LostSlot.storedOffsets(SourceConfig.from(s), KafkaConfig.from(s))).isNull();
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
