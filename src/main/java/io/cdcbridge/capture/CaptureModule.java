package io.cdcbridge.capture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.cdcbridge.util.Module;
import io.cdcbridge.config.CaptureSettings;
import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.KafkaConfig;
import io.cdcbridge.config.KafkaTopics;
import io.cdcbridge.config.OpsSettings;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SourceConfig;
import io.fabric8.kubernetes.client.Config;
import org.apache.camel.CamelContext;
import org.apache.camel.cluster.CamelClusterService;
import org.apache.camel.component.file.cluster.FileLockClusterService;
import org.apache.camel.impl.cluster.ClusteredRoutePolicy;
import org.apache.camel.main.Main;
import org.apache.camel.spi.RoutePolicy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture, Postgres to Kafka ({@code cdc.capture.enabled}, default on): checks the source before Camel starts, then
 * wires the publisher, the offset store that persists only acknowledged offsets, the capture route, the leader
 * election ({@code cdc.capture.election}), the progress lines and the {@link CaptureSupervisor} that restarts capture after a Kafka failure.
 * Disabled, it installs nothing and its statistics stay empty.
 */
public final class CaptureModule implements Module {

    private static final Logger LOG = LoggerFactory.getLogger(CaptureModule.class);

    private final Settings settings;
    private final KafkaConfig kafka;
    private final boolean enabled;
    private final String election;
    private final CaptureStats stats = new CaptureStats();
    private CaptureSupervisor supervisor;
    private CapturePublisher publisher;
    private CaptureProgress progress;
    private String session;
    private Backfills backfills;
    private volatile String slotLost;

    public CaptureModule(Settings settings, KafkaConfig kafka) {
        this.settings = settings;
        this.kafka = kafka;
        this.enabled = settings.get(CaptureSettings.ENABLED);
        this.election = settings.get(CaptureSettings.ELECTION);
        if (enabled && !"file".equals(election) && settings.has(CaptureSettings.LOCK_DIR)) {
            // a lock directory that elects nothing would let a second instance capture where the operator expects it to wait
            throw new ConfigException(CaptureSettings.LOCK_DIR.key(), "is only used with cdc.capture.election=file, and "
                    + CaptureSettings.ELECTION.key() + " is " + election);
        }
    }

    private volatile Map<String, String> leftOut = Map.of();

    /** Tables left out of capture because Debezium cannot capture them, and why (the preflight's findings). */
    public Map<String, String> leftOut() {
        return leftOut;
    }

    @Override
    public void install(Main main) throws Exception {
        if (!enabled) {
            return;
        }
        SourceConfig source = SourceConfig.from(settings);
        // a bad database stops start-up here, with the key to fix, before Camel starts
        // with the re-select on, updates carry their unchanged TOAST values: Carol's records are complete without FULL
        SourcePreflight.Report preflight = SourcePreflight.check(source, settings.get(CarolSettings.ENABLED)
                && !settings.get(CaptureSettings.RESELECT_UNCHANGED));
        // a slot lost under stored offsets stops start-up too: Debezium must not stream from a new slot, skipping the gap
        LostSlot.check(source, kafka);
        createParent(kafka.offsetFile());
        session = "capture-" + UUID.randomUUID();
        supervisor = new CaptureSupervisor(main::getCamelContext, timeout -> publisher.recover(timeout));
        publisher = new CapturePublisher(kafka, kafkaTimeouts(settings.get(CaptureSettings.KAFKA_TIMEOUT).toMillis()),
                supervisor::captureFailed);
        createOffsetsTopic();
        AckedOffsetStore.register(session, publisher, () -> guardSlot(source));
        leftOut = preflight.leftOut();
        createTableTopics(source);
        int version = Backfills.serverVersion(source);
        main.configure().addRoutesBuilder(new CaptureRoute(source, kafka, publisher, stats, session, leaderElection(main, source),
                preflight.publicationMode(), leftOut.keySet())
                .serverFeatures(Backfills.supported(version), settings.get(CaptureSettings.SLOT_FAILOVER))
                .reselectUnchanged(settings.get(CaptureSettings.RESELECT_UNCHANGED)));
        progress = new CaptureProgress(stats, source, settings.get(CaptureSettings.SLOT_LAG_WARN_BYTES))
                .start(settings.get(OpsSettings.PROGRESS_INTERVAL).toMillis())
                .watchStreaming(kafka.topicPrefix());
        backfills = new Backfills(source, kafka.topicPrefix(), stats, () -> CaptureReadiness.streaming(kafka.topicPrefix()),
                () -> leftOut.keySet(), version);
        if (settings.get(CaptureSettings.BACKFILL_NEW_TABLES)) {
            backfillNewTables(source, preflight);
        }
    }

    /**
     * The topics of the tables in {@code cdc.source.tables}, made before the sinks subscribe (docs/architecture.md §5), so
     * their first changes do not wait for the consumers' next metadata refresh. Debezium's own topic names only: with
     * every table captured, or topic names of the user's own ({@code topic.naming.strategy}, transforms), a topic is made
     * on its table's first event as before.
     */
    private void createTableTopics(SourceConfig source) {
        if (source.tables().isBlank() || source.debezium().containsKey("topic.naming.strategy")
                || source.debezium().containsKey("transforms")) {
            return;
        }
        publisher.createTopics(java.util.Arrays.stream(source.tables().split(",")).map(String::trim)
                .filter(t -> !t.isEmpty() && !leftOut.containsKey(t)).map(t -> kafka.topicPrefix() + "." + t).toList());
    }

    /**
     * Include list grows (issue 21 item 1; docs/architecture.md §1): a table in {@code cdc.source.tables} that the
     * existing publication did not cover before this start is new to capture. Debezium adds it to the publication
     * (mode {@code filtered}) and streams its changes from now on, but never reads the rows it already had; once capture
     * streams, each such table is backfilled (the others are not read again). The publication is the record of what
     * was captured: it sits in Postgres next to the slot, shared by every instance, and Debezium keeps it equal to the
     * include list. On a first start (no publication, or no stored offsets) the initial snapshot reads every table.
     */
    private void backfillNewTables(SourceConfig source, SourcePreflight.Report preflight) {
        if (source.tables().isBlank() || !preflight.publicationExists() || !SourcePreflight.CREATE_OR_SYNC.equals(preflight.publicationMode())) {
            return; // all tables: new ones stream from their creation; a publication used as it is: its owner adds tables
        }
        java.util.List<String> added = java.util.Arrays.stream(source.tables().split(",")).map(String::trim)
                .filter(t -> !t.isEmpty() && !preflight.published().contains(t) && !leftOut.containsKey(t)).toList();
        if (added.isEmpty()) {
            return;
        }
        String stored;
        try {
            stored = LostSlot.storedOffsets(source, kafka);
        } catch (RuntimeException e) {
            LOG.warn("cdc.source.tables gained {}, but the stored offsets could not be read ({}): backfill them with "
                    + "java -jar cdc-bridge.jar backfill --table ... if capture ran before", added, e.getClass().getSimpleName());
            return;
        }
        if (stored == null) {
            return; // first start: the initial snapshot reads them
        }
        LOG.info("{} gained {} since the last run: their existing rows are backfilled once capture streams (the other "
                + "tables are not read again)", io.cdcbridge.config.SourceSettings.TABLES.key(), added);
        Thread t = new Thread(() -> {
            try {
                progress.streaming().get();
                for (String table : added) {
                    requestWhenStreaming(table);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn("backfill of the tables new to {}: {}", io.cdcbridge.config.SourceSettings.TABLES.key(), e.toString());
            }
        }, "cdc-backfill-new-tables");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Streaming is reported a moment before Debezium's own connection has added the table to the publication (or its
     * metrics turn): a request is tried again, a second apart, for a minute before its refusal is logged.
     */
    private void requestWhenStreaming(String table) throws InterruptedException {
        for (int i = 0; ; i++) {
            try {
                LOG.info("{}", backfills.start(table, null));
                return;
            } catch (IllegalStateException | IllegalArgumentException e) {
                if (i >= 60) {
                    LOG.error("could not backfill {}, new to {}: {}", table, io.cdcbridge.config.SourceSettings.TABLES.key(), e.getMessage());
                    return;
                }
                Thread.sleep(1000); // pacing of a retry, not a synchronisation
            }
        }
    }

    /** {@link AckedOffsetStore}'s slot guard: a slot lost under stored offsets stops the engine (one ERROR line). */
    private void guardSlot(SourceConfig source) {
        String lost = slotLost != null ? slotLost : LostSlot.lostWhileRunning(source);
        if (lost == null) {
            return;
        }
        if (slotLost == null) {
            slotLost = lost;
            LOG.error("{}", lost);
        }
        throw new org.apache.kafka.connect.errors.ConnectException(lost);
    }

    /** Why capture stopped because its slot was lost under it, or null. */
    public String slotLost() {
        return slotLost;
    }

    /** Backfills on demand; null with capture off. */
    public Backfills backfills() {
        return backfills;
    }

    /**
     * One capturing instance per replication slot ({@code cdc.capture.election}, docs/architecture.md §1): with
     * {@code kubernetes} or {@code file} the capture route runs only on the instance holding the slot's Lease or file
     * lock, under Camel's clustered route policy; the others stand by and take over after the leader dies, resuming
     * from the stored offsets (use {@code cdc.offsets.store=kafka}, or an offsets file on the shared volume). With
     * {@code none}, this instance captures alone. Delivery runs on every instance.
     */
    private RoutePolicy leaderElection(Main main, SourceConfig source) throws Exception {
        String namespace = "capture-" + source.slot();
        CamelClusterService service = switch (election) {
            case "kubernetes" -> leaseElection(namespace);
            case "file" -> fileLockElection(source);
            default -> null;
        };
        if (service == null) {
            return null;
        }
        Module.whenContextCreated(main, "leader election", ctx -> ctx.addService(service));
        return ClusteredRoutePolicy.forNamespace(service, namespace);
    }

    private CamelClusterService fileLockElection(SourceConfig source) {
        Path dir = settings.require(CaptureSettings.LOCK_DIR);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new ConfigException(CaptureSettings.LOCK_DIR.key(), "cannot create " + dir + " (" + e.getClass().getSimpleName() + ")");
        }
        long interval = settings.get(CaptureSettings.LOCK_INTERVAL).toMillis();
        var service = new FileLockClusterService();
        service.setId("cdc-capture-lock");
        service.setRoot(dir.toAbsolutePath().toString());
        service.setAcquireLockDelay(interval, TimeUnit.MILLISECONDS);
        service.setAcquireLockInterval(interval, TimeUnit.MILLISECONDS);
        LOG.info("Capture leader election on: lock {}/capture-{} (only the holder captures)", dir, source.slot());
        return service;
    }

    private CamelClusterService leaseElection(String namespace) {
        CaptureSettings.checkLeaseTimings(settings);
        var timings = new LeaseClusterService.Timings(settings.get(CaptureSettings.LEASE_DURATION),
                settings.get(CaptureSettings.LEASE_RENEW_DEADLINE), settings.get(CaptureSettings.LEASE_RETRY_PERIOD));
        // unique among the competitors even when two share a host name (a pod restarted in place, two in one test)
        String host = System.getenv().getOrDefault("HOSTNAME", "cdc-bridge");
        String identity = host + "-" + UUID.randomUUID().toString().substring(0, 8);
        var service = new LeaseClusterService(namespace, settings.get(CaptureSettings.LEASE_NAMESPACE),
                settings.get(CaptureSettings.LEASE_NAME), identity, timings, Config.autoConfigure(null));
        if (service.leaseNamespace() == null || service.leaseNamespace().isBlank()) {
            throw new ConfigException(CaptureSettings.LEASE_NAMESPACE.key(),
                    "required with cdc.capture.election=kubernetes outside a pod (no service account namespace, no KUBERNETES_NAMESPACE)");
        }
        return service;
    }

    private boolean elected() {
        return !"none".equals(election);
    }

    /**
     * With {@code cdc.offsets.store=kafka}: the offsets topic, compacted, before Debezium's store looks for it (it would
     * make one itself, but with Connect's defaults and its own error). A failure is one line; Debezium's store then
     * tries, and capture retries through the supervisor if it cannot.
     */
    private void createOffsetsTopic() {
        if (!"kafka".equals(kafka.offsetStore())) {
            return;
        }
        try (KafkaTopics topics = new KafkaTopics(kafka, "cdc-bridge-capture-admin")) {
            if (topics.ensure(topics.offsetsTopic(kafka.offsetTopic()))) {
                LOG.info("Created the capture offsets topic {} (compacted)", kafka.offsetTopic());
            }
        } catch (KafkaTopics.TopicException e) {
            LOG.error("{}", e.getMessage());
        }
    }

    /**
     * Producer timeouts for capture: a send retries for {@code totalMs} before capture stops and waits for Kafka
     * ({@link CaptureSettings#KAFKA_TIMEOUT} keeps it at 2 s or more, so the request timeout is at least 1 s).
     */
    private static Map<String, Object> kafkaTimeouts(long totalMs) {
        long request = Math.min(30_000, totalMs / 2);
        return Map.of("delivery.timeout.ms", String.valueOf(totalMs), "request.timeout.ms", String.valueOf(request),
                "max.block.ms", String.valueOf(totalMs));
    }

    private static void createParent(String file) {
        Path parent = Path.of(file).toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + parent, e);
        }
    }

    public CaptureStats stats() {
        return stats;
    }

    /** Bytes of WAL the slot still holds back; -1 when unknown or capture is off. */
    public long slotLagBytes() {
        return progress == null ? -1 : progress.slotLagBytes();
    }

    /** Whether this instance should be capturing now: capture on, and no election or this instance holds the Lease or lock. */
    public boolean expected(CamelContext ctx) {
        return enabled && (!elected() || ctx.getRouteController().getRouteStatus(CaptureRoute.ROUTE_ID).isStarted());
    }

    /** Whether the capture route runs and its Debezium engine streams or snapshots. */
    public boolean engineActive(CamelContext ctx) {
        return slotLost == null && ctx.getRouteController().getRouteStatus(CaptureRoute.ROUTE_ID).isStarted()
                && CaptureReadiness.engineActive(kafka.topicPrefix());
    }

    /** Blocks until the snapshot is done and changes stream from the slot. */
    public void awaitStreaming(Duration timeout) throws Exception {
        if (progress == null) {
            throw new IllegalStateException("capture is disabled (" + CaptureSettings.ENABLED.key() + "=false)");
        }
        progress.streaming().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** After Camel has stopped the route: no restart, no progress lines, the publisher's last sends flushed. */
    @Override
    public void close() {
        if (supervisor != null) {
            supervisor.close();
        }
        if (progress != null) {
            progress.close();
        }
        if (backfills != null) {
            backfills.close();
        }
        if (publisher != null) {
            publisher.close();
            AckedOffsetStore.unregister(session);
            publisher = null;
        }
    }
}
