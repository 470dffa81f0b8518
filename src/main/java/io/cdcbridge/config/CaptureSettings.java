package io.cdcbridge.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/** The capture route and its Debezium engine: {@code cdc.capture.*}. */
public final class CaptureSettings {

    public static final SettingsArea AREA = new SettingsArea("Capture (`cdc.capture.*`)",
            "The capture route: Debezium reads the slot, each change goes to its table's topic.");

    public static final Setting<Boolean> ENABLED = AREA.declare(Setting.bool("cdc.capture.enabled", true)
            .describe("run the capture route (false: this instance only delivers)"));

    public static final Setting<Duration> POLL_INTERVAL = AREA.declare(Setting.millis("cdc.capture.poll-interval-ms", 10).min(1)
            .describe("longest Debezium holds a partial batch, and how long its reader pauses when Postgres has nothing to send "
                    + "(latency, and throughput in bursts: docs/benchmarks.md)"));

    public static final Setting<Duration> RECONNECT_DELAY = AREA.declare(Setting.millis("cdc.capture.reconnect-delay-ms", 2000).min(1)
            .describe("wait before reconnecting to Postgres after the connection dropped (retried forever)"));

    public static final Setting<Duration> HEARTBEAT_INTERVAL = AREA.declare(Setting.millis("cdc.capture.heartbeat-interval-ms", 10_000)
            .range(1, Integer.MAX_VALUE)
            .describe("heartbeats let the slot advance while the captured tables are idle"));

    public static final Setting<Duration> KAFKA_TIMEOUT = AREA.declare(Setting.millis("cdc.capture.kafka-timeout-ms", 120_000).min(2000)
            .describe("how long a captured event may wait for Kafka before capture stops, waits for Kafka and resumes from "
                    + "the last acknowledged offset"));

    public static final Setting<Boolean> SLOT_FAILOVER = AREA.declare(Setting.bool("cdc.capture.slot-failover", true)
            .describe("create the replication slot as a failover slot (Debezium's `slot.failover`): on a Postgres 17+ primary "
                    + "a standby with `sync_replication_slots` keeps a copy, so capture resumes after a failover "
                    + "(docs/postgres.md); ignored before 17 and for an existing slot"));

    public static final Setting<Boolean> RESELECT_UNCHANGED = AREA.declare(Setting.bool("cdc.capture.reselect-unchanged", true)
            .describe("fill in the TOAST values an update left unchanged (Postgres logs none without `REPLICA IDENTITY FULL`) "
                    + "by re-reading them: costs one primary-key SELECT on a connection of its own per such update, and the value "
                    + "is the row's current one (possibly newer than the update); false: such columns are absent from the "
                    + "event, and BigQuery's current tables skip such updates (docs/bigquery.md, Current-state tables)"));

    public static final Setting<Boolean> BACKFILL_NEW_TABLES = AREA.declare(Setting.bool("cdc.capture.backfill-new-tables", true)
            .describe("a table added to `cdc.source.tables` since the last run (not yet in the publication) gets its existing "
                    + "rows backfilled once capture streams; the other tables are not read again (docs/operations.md, Backfill)"));

    public static final Setting<Long> SLOT_LAG_WARN_BYTES = AREA.declare(Setting.bytes("cdc.capture.slot-lag-warn-bytes", 1L << 30)
            .describe("log a warning when the slot holds more WAL than this"));

    /*
     * One default rule, today's behaviour, so no existing deployment changes by upgrading: an instance configured with
     * a lock directory keeps its file lock, one without keeps running capture alone. Kubernetes is chosen explicitly
     * (deploy/kubernetes sets it), since it needs RBAC on leases that a plain installation does not have.
     */
    public static final Setting<String> ELECTION = AREA.declare(Setting.choice("cdc.capture.election", null, "kubernetes", "file", "none")
            .defaultFrom(s -> s.has(CaptureSettings.LOCK_DIR) ? "file" : "none", "`file` when `cdc.capture.lock-dir` is set, else `none`")
            .describe("which instance captures (docs/architecture.md §1): `kubernetes`, the holder of a coordination.k8s.io "
                    + "Lease; `file`, the holder of a file lock in `cdc.capture.lock-dir`; `none`, this instance, alone. "
                    + "The default keeps what the settings did before this key existed"));

    public static final Setting<Path> LOCK_DIR = AREA.declare(Setting.path("cdc.capture.lock-dir")
            .defaultText("*(empty)*")
            .describe("with `cdc.capture.election=file`: a directory shared by all instances; only the holder of the slot's "
                    + "lock captures, the others stand by"));

    public static final Setting<Duration> LOCK_INTERVAL = AREA.declare(Setting.millis("cdc.capture.lock-interval-ms", 1000).min(1)
            .describe("with `cdc.capture.election=file`: how often a standby tries the lock (the takeover time)"));

    public static final Setting<String> LEASE_NAME = AREA.declare(Setting.string("cdc.capture.lease-name")
            .matching("[a-z0-9]([-a-z0-9.]*[a-z0-9])?", "must be a Kubernetes name: lower-case letters, digits, - and .")
            .defaultFrom(s -> "capture-" + s.get(SourceSettings.SLOT).toLowerCase(Locale.ROOT).replace('_', '-'),
                    "`capture-<cdc.source.slot>` (`_` as `-`)")
            .describe("with `cdc.capture.election=kubernetes`: the Lease the instances of one slot compete for"));

    public static final Setting<String> LEASE_NAMESPACE = AREA.declare(Setting.string("cdc.capture.lease-namespace")
            .defaultText("*(empty: the pod's namespace, from its service account, or `KUBERNETES_NAMESPACE`)*")
            .describe("with `cdc.capture.election=kubernetes`: the namespace of the Lease"));

    public static final Setting<Duration> LEASE_DURATION = AREA.declare(Setting.millis("cdc.capture.lease-duration-ms", 15_000).min(1)
            .describe("with `cdc.capture.election=kubernetes`: how long a Lease not renewed keeps the standbys waiting, "
                    + "so the takeover time after a crash (up to this plus 2.2 retry periods); must exceed the renew deadline"));

    public static final Setting<Duration> LEASE_RENEW_DEADLINE = AREA.declare(Setting.millis("cdc.capture.lease-renew-deadline-ms", 10_000).min(1)
            .describe("with `cdc.capture.election=kubernetes`: a leader that could not renew its Lease for this long stops "
                    + "capture; shorter than the lease duration, so it has stopped before a standby may take the Lease"));

    public static final Setting<Duration> LEASE_RETRY_PERIOD = AREA.declare(Setting.millis("cdc.capture.lease-retry-period-ms", 2_000).min(1)
            .describe("with `cdc.capture.election=kubernetes`: how often the leader renews and a standby tries the Lease; "
                    + "also each Lease request's timeout; shorter than the renew deadline"));

    public static final Setting<String> DEBEZIUM = AREA.declare(Setting.prefix("cdc.capture.debezium.<property>")
            .describe("any Debezium connector or engine property, for tuning (e.g. `cdc.capture.debezium.snapshot.fetch.size=2000`: "
                    + "rows per fetch of the initial snapshot, default 10,240; `incremental.snapshot.chunk.size`, default 1,024, both "
                    + "whole numbers above 0 or refused at start). Camel's typed options win over the rest: of those, "
                    + "`skipped.operations`, `post.processors`, `publish.via.partition.root`, `message.prefix.*`, "
                    + "`snapshot.fetch.size` and `incremental.snapshot.chunk.size` are passed on by name; the ones capture fixes "
                    + "(value forms, `max.batch.size`, `max.queue.size`, offsets: docs/overrides.md §3) are not settable"));

    /**
     * The Lease timings checked against each other (docs/architecture.md §1, fencing): the retry period below the renew
     * deadline, the renew deadline below the lease duration. Throws naming the key to change.
     */
    public static void checkLeaseTimings(Settings s) {
        Duration duration = s.get(LEASE_DURATION);
        Duration deadline = s.get(LEASE_RENEW_DEADLINE);
        Duration retry = s.get(LEASE_RETRY_PERIOD);
        if (deadline.compareTo(duration) >= 0) {
            throw new ConfigException(LEASE_RENEW_DEADLINE.key(), "must be shorter than " + LEASE_DURATION.key() + " ("
                    + duration.toMillis() + "), so a leader that cannot renew stops capture before a standby may take over, got '"
                    + deadline.toMillis() + "'");
        }
        if (retry.compareTo(deadline) >= 0) {
            throw new ConfigException(LEASE_RETRY_PERIOD.key(), "must be shorter than " + LEASE_RENEW_DEADLINE.key() + " ("
                    + deadline.toMillis() + "), got '" + retry.toMillis() + "'");
        }
    }

    private CaptureSettings() {
    }
}
