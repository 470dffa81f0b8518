package io.cdcbridge.config;

import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

/**
 * What every sink shares: {@code cdc.sink.*} and the delivery retries {@code cdc.delivery.*}; and {@link #of}, the
 * keys each sink has under its own name ({@code cdc.<sink>.batch-size}, ...), for code that treats sinks alike.
 */
public final class SinkSettings {

    public static final SettingsArea AREA = new SettingsArea("Sinks and delivery (`cdc.sink.*`, `cdc.delivery.*`)",
            "Shared by every sink. A failing delivery is retried with exponential backoff, then its records go to the "
                    + "sink's dead-letter topic `<prefix>.dlq.<sink>` (replayable).");

    public static final Setting<Boolean> DRY_RUN = AREA.declare(Setting.bool("cdc.sink.dry-run", false)
            .defaultText("`false` (`true` in the demo)")
            .describe("the sinks write what they would send to `<cdc.data-dir>/out/<sink>/*.jsonl` instead of calling out"));

    public static final Setting<ZoneId> TIMESTAMP_ZONE = AREA.declare(Setting.zone("cdc.sink.timestamp-zone")
            .defaultText("*(empty: the wall clock)*")
            .describe("read `timestamp` (without zone) values in this zone and deliver the instant; empty keeps the wall "
                    + "clock (docs/types.md)"));

    public static final Setting<Integer> MAX_RETRIES = AREA.declare(Setting.integer("cdc.delivery.max-retries", 20).min(0)
            .describe("retries of a failing delivery before its records go to the dead-letter topic"));

    public static final Setting<Duration> RETRY_DELAY = AREA.declare(Setting.millis("cdc.delivery.retry-delay-ms", 500)
            .describe("first retry delay; each next one doubles"));

    public static final Setting<Duration> MAX_RETRY_DELAY = AREA.declare(Setting.millis("cdc.delivery.max-retry-delay-ms", 30_000)
            .describe("longest retry delay (keep the retry budget below the sink's max-poll-interval-ms)"));

    private SinkSettings() {
    }

    /**
     * The keys a sink has under {@code cdc.<sink>.}: the same meaning for every sink, each sink's own defaults and
     * bounds. {@code concurrency} and {@code maxPollRecords} are null for a sink without them.
     */
    public record Keys(String sink, Setting<Boolean> enabled, Setting<List<String>> tables, Setting<List<String>> exclude,
                       Setting<Integer> batchSize, Setting<Duration> batchTimeout, Setting<Long> maxRequestBytes,
                       Setting<Integer> consumers, Setting<String> groupId, Setting<Duration> maxPollInterval,
                       Setting<Duration> metadataMaxAge, Setting<String> topicPattern, Setting<Integer> concurrency,
                       Setting<Integer> maxPollRecords) {

        /** What every key of the sink starts with: {@code cdc.<sink>.}. */
        public String keyPrefix() {
            return "cdc." + sink + ".";
        }
    }

    /** The sinks' keys by sink name ({@code bigquery}, {@code carol}). */
    public static Map<String, Keys> sinks() {
        return Map.of(BigQuerySettings.KEYS.sink(), BigQuerySettings.KEYS, CarolSettings.KEYS.sink(), CarolSettings.KEYS);
    }

    /** One sink's keys; {@link IllegalArgumentException} for a sink this build does not know. */
    public static Keys of(String sink) {
        Keys k = sinks().get(sink);
        if (k == null) {
            throw new IllegalArgumentException("no sink " + sink + " (" + String.join(", ", sinks().keySet()) + ")");
        }
        return k;
    }

    /** {@code cdc.<sink>.topic-pattern} ends up in an endpoint URI, where "?" would start the query. */
    static Setting<String> topicPattern(String sink) {
        return Setting.string("cdc." + sink + ".topic-pattern")
                .check(p -> !p.contains("?") && !p.contains("&") && !p.contains("#") && !p.contains("%"),
                        "must not contain ?, &, # or % (it is part of an endpoint URI)")
                .defaultText("from `cdc.kafka.topic-prefix` and the passthrough topics")
                .describe("regex of the topics the sink reads: the ChangeEvent topics (not the dead-letter ones) and its "
                        + "passthrough topics");
    }

    /** {@code cdc.<sink>.tables} and {@code .exclude}: {@code schema.table} entries. */
    static Setting<List<String>> tableList(String key, String description) {
        return Setting.list(key).matching("[^.]+\\..+", "entries must be schema.table").describe(description);
    }
}
