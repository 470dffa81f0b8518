package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceConfig;
import org.junit.jupiter.api.Test;

/** The backfill's signal, its progress arithmetic and the engine options that carry it (docs/operations.md, Backfill). */
class BackfillsTest {

    private static final Instant T0 = Instant.parse("2026-12-02T03:00:00Z");

    @Test
    void theSignalNamesTheTableAsAnAnchoredPatternAndCarriesTheWhereAsItsCondition() throws Exception {
        JsonNode d = new ObjectMapper().readTree(Backfills.signalData("public", "Order.Items", "\"Id\" > 5"));
        assertThat(d.get("type").asText()).isEqualTo("incremental");
        String collection = d.get("data-collections").get(0).asText();
        // Debezium matches it against TableId.identifier() as a regex: only this table, dots and case kept
        assertThat(Pattern.compile(collection).matcher("public.Order.Items").matches()).isTrue();
        assertThat(Pattern.compile(collection).matcher("public.OrderXItems").matches()).isFalse();
        assertThat(Pattern.compile(collection).matcher("other.Order.Items").matches()).isFalse();
        assertThat(d.get("additional-conditions").get(0).get("data-collection").asText()).isEqualTo(collection);
        assertThat(d.get("additional-conditions").get(0).get("filter").asText()).isEqualTo("\"Id\" > 5");
        assertThat(new ObjectMapper().readTree(Backfills.signalData("public", "t", null)).has("additional-conditions")).isFalse();
    }

    @Test
    void progressIsTheShareOfTheEstimateCappedBelowDoneAndTimeLeftAtTheRateSoFar() {
        var p = new Backfills.Progress("b", "public.t", null, 1000, 250, "running", T0, null, null);
        assertThat(p.percent()).isEqualTo(25.0);
        assertThat(p.secondsLeft(T0.plusSeconds(10))).isEqualTo(30); // 25 rows/s, 750 to go
        assertThat(p.secondsLeft(T0)).isEqualTo(-1);
        // rows inserted since the estimate outgrow it: never 100 % before Debezium says done
        assertThat(new Backfills.Progress("b", "public.t", null, 1000, 1500, "running", T0, null, null).percent()).isEqualTo(99.9);
        var done = new Backfills.Progress("b", "public.t", null, 1000, 990, "done", T0, T0.plusSeconds(5), "x");
        assertThat(done.percent()).isEqualTo(100.0);
        assertThat(done.secondsLeft(T0.plusSeconds(9))).isZero();
        assertThat(new Backfills.Progress("b", "public.t", null, 0, 0, "requested", T0, null, null).secondsLeft(T0.plusSeconds(1))).isEqualTo(-1);
    }

    @Test
    void readOnlyBackfillsUseTheInProcessChannelNextToTheUsersOwn() {
        var c = configuration(Map.of("cdc.capture.debezium.signal.enabled.channels", "kafka"));
        CaptureRoute.backfillOptions(c, source(Map.of("cdc.capture.debezium.signal.enabled.channels", "kafka")), true);
        assertThat(c.getAdditionalProperties()).containsEntry("read.only", "true");
        assertThat(c.getSignalEnabledChannels()).isEqualTo("kafka," + BackfillChannel.NAME);
        assertThat(c.getNotificationEnabledChannels()).isEqualTo(BackfillChannel.NAME);
        assertThat(c.getSignalDataCollection()).as("no signal table").isNull();

        var old = configuration(Map.of());
        CaptureRoute.backfillOptions(old, source(Map.of()), false); // PG 12: no read-only snapshots, no channel
        assertThat(old.getAdditionalProperties()).doesNotContainKey("read.only");
        assertThat(old.getSignalEnabledChannels()).doesNotContain(BackfillChannel.NAME);
        assertThat(Backfills.supported(120000)).isFalse();
        assertThat(Backfills.supported(130000)).isTrue();
    }

    @Test
    void publishViaPartitionRootPassesThroughCamelsTypedDefault() {
        assertThat(configuration(Map.of()).isPublishViaPartitionRoot()).isFalse();
        assertThat(configuration(Map.of("cdc.capture.debezium.publish.via.partition.root", "true")).isPublishViaPartitionRoot()).isTrue();
        assertThat(configuration(Map.of()).getIncrementalSnapshotChunkSize()).isEqualTo(1024);
        assertThat(configuration(Map.of("cdc.capture.debezium.incremental.snapshot.chunk.size", "256")).getIncrementalSnapshotChunkSize()).isEqualTo(256);
    }

    @Test
    void theInitialSnapshotReadsItsTablesInFetches() {
        // camel's typed snapshotFetchSize has no default and is always passed on: 0, which makes pgjdbc read a whole table
        // into memory before the first row is emitted
        assertThat(new org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration()
                .getSnapshotFetchSize()).isZero();
        assertThat(configuration(Map.of()).getSnapshotFetchSize()).isEqualTo(10_240);
        assertThat(configuration(Map.of()).createDebeziumConfiguration().getInteger("snapshot.fetch.size")).isEqualTo(10_240);
        assertThat(configuration(Map.of("cdc.capture.debezium.snapshot.fetch.size", "2000")).getSnapshotFetchSize()).isEqualTo(2000);
        // a value camel's typed option cannot take is refused by name, not replaced without a word
        for (String bad : new String[] {"0", "-5", "10k", "1e4"}) {
            for (String key : new String[] {"cdc.capture.debezium.snapshot.fetch.size", "cdc.capture.debezium.incremental.snapshot.chunk.size"}) {
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> configuration(Map.of(key, bad)))
                        .isInstanceOf(io.cdcbridge.config.ConfigException.class).hasMessageContaining(key);
            }
        }
    }

    private static Map<String, String> base(Map<String, String> extra) {
        Map<String, String> m = new HashMap<>(Map.of("cdc.source.host", "db.example.com", "cdc.source.password", "pw",
                "cdc.kafka.brokers", "localhost:9092"));
        m.putAll(extra);
        return m;
    }

    private static SourceConfig source(Map<String, String> extra) {
        return SourceConfig.from(Settings.of(base(extra)));
    }

    private static org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration
    configuration(Map<String, String> extra) {
        Settings s = Settings.of(base(extra));
        return CaptureRoute.debeziumConfiguration(SourceConfig.from(s), KafkaConfig.from(s), "s", SourcePreflight.CREATE_OR_SYNC);
    }
}
