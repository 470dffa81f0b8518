package io.cdcbridge.capture;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import org.apache.camel.cluster.CamelClusterMember;
import org.apache.camel.support.cluster.AbstractCamelClusterService;
import org.apache.camel.support.cluster.AbstractCamelClusterView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Capture's leader election on a Kubernetes Lease ({@code coordination.k8s.io/v1}), as a Camel cluster service, so the
 * capture route keeps the same {@link org.apache.camel.impl.cluster.ClusteredRoutePolicy} as with the file lock
 * (docs/architecture.md §1): the policy starts the route when this instance becomes leader and stops it, on the
 * elector's thread and before the callback returns, when it stops being leader.
 *
 * <p>fabric8's {@link io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector} does the Lease protocol
 * (create, renew every retry period, take over a Lease not renewed for the lease duration). A leader that cannot renew
 * for the renew deadline gives up, and since the renew deadline is shorter than the lease duration
 * ({@link io.cdcbridge.config.CaptureSettings#checkLeaseTimings}) it has stopped capture before a standby may take
 * the Lease (fencing). Each Lease request is bounded by the retry period and not retried by the client, so a hanging
 * API server cannot stretch that deadline. An elector that lost the lead ends; this service then campaigns again as a
 * standby. Stopping the service (Camel stops, after the routes) releases a Lease it holds, so a graceful shutdown
 * hands over at once; a crash leaves the Lease to expire.
 */
public final class LeaseClusterService extends AbstractCamelClusterService<LeaseClusterService.LeaseView> {

    private static final Logger LOG = LoggerFactory.getLogger(LeaseClusterService.class);

    /** Lease timings: retry period &lt; renew deadline &lt; lease duration. */
    public record Timings(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    }

    private final String viewNamespace;
    private final String leaseNamespace;
    private final String leaseName;
    private final String identity;
    private final Timings timings;
    private final Config config;

    /**
     * @param viewNamespace  the Camel cluster namespace the capture route's policy asks for ({@code capture-<slot>})
     * @param leaseNamespace the Kubernetes namespace of the Lease, or null for the client's (the pod's own)
     * @param identity       this instance's holder identity, unique among the competitors
     * @param config         the Kubernetes client's connection (auto-configured: in a pod, its service account)
     */
    public LeaseClusterService(String viewNamespace, String leaseNamespace, String leaseName, String identity,
                                         Timings timings, Config config) {
        setId("cdc-capture-lease");
        this.viewNamespace = viewNamespace;
        this.leaseName = leaseName;
        this.identity = identity;
        this.timings = timings;
        int requestMs = (int) Math.min(Integer.MAX_VALUE, timings.retryPeriod().toMillis());
        config.setRequestTimeout(requestMs);
        config.setConnectionTimeout(requestMs);
        config.setRequestRetryBackoffLimit(0);
        this.config = config;
        this.leaseNamespace = leaseNamespace != null && !leaseNamespace.isBlank() ? leaseNamespace : config.getNamespace();
    }

    /** The Kubernetes namespace of the Lease (null when neither the setting nor the client's configuration names one). */
    public String leaseNamespace() {
        return leaseNamespace;
    }

    public String identity() {
        return identity;
    }

    @Override
    protected LeaseView createView(String namespace) {
        if (!viewNamespace.equals(namespace)) {
            // one Lease, one view: a second namespace would compete for the same Lease
            throw new IllegalArgumentException("this cluster service elects only " + viewNamespace + ", not " + namespace);
        }
        return new LeaseView(namespace);
    }

    /** The election for the one namespace: campaigns from start to stop, and says who leads. */
    public final class LeaseView extends AbstractCamelClusterView {

        private final Member local = new Member(identity, true);
        private final AtomicBoolean leading = new AtomicBoolean();
        private volatile String leader;
        private volatile boolean stopped;
        private KubernetesClient client;
        private ScheduledExecutorService scheduler;
        private CompletableFuture<?> election;

        LeaseView(String namespace) {
            super(LeaseClusterService.this, namespace);
        }

        @Override
        protected synchronized void doStart() {
            stopped = false;
            client = new KubernetesClientBuilder().withConfig(config).build();
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "capture-lease");
                t.setDaemon(true);
                return t;
            });
            LOG.info("Capture leader election on: Lease {}/{} as {} (only the holder captures; takeover after {} ms)",
                    leaseNamespace, leaseName, identity, timings.leaseDuration().toMillis());
            campaign();
        }

        private synchronized void campaign() {
            if (stopped) {
                return;
            }
            var lec = new LeaderElectionConfigBuilder()
                    .withName("cdc-bridge " + leaseName)
                    .withLock(new LeaseLock(leaseNamespace, leaseName, identity))
                    .withLeaseDuration(timings.leaseDuration())
                    .withRenewDeadline(timings.renewDeadline())
                    .withRetryPeriod(timings.retryPeriod())
                    .withReleaseOnCancel(true)
                    .withLeaderCallbacks(new LeaderCallbacks(this::startedLeading, this::stoppedLeading, this::newLeader))
                    .build();
            election = client.leaderElector().withConfig(lec).build().start();
        }

        private void startedLeading() {
            if (leading.compareAndSet(false, true)) {
                leader = identity;
                LOG.info("Capture leadership acquired: this instance holds Lease {}/{}", leaseNamespace, leaseName);
                fireLeadershipChangedEvent(local);
            }
        }

        /**
         * Lost (another holder, or no renewal within the renew deadline) or released: the policy stops capture here,
         * synchronously. The elector ends after a loss, so a new campaign starts one retry period later.
         */
        private void stoppedLeading() {
            if (leading.compareAndSet(true, false)) {
                if (identity.equals(leader)) {
                    leader = null;
                }
                LOG.warn("Capture leadership lost: Lease {}/{}; capture stops, this instance stands by", leaseNamespace, leaseName);
                fireLeadershipChangedEvent(Optional.empty());
                synchronized (this) {
                    if (!stopped) {
                        scheduler.schedule(this::campaign, timings.retryPeriod().toMillis(), TimeUnit.MILLISECONDS);
                    }
                }
            }
        }

        private void newLeader(String holder) {
            leader = holder == null || holder.isEmpty() ? null : holder;
            if (leader != null && !identity.equals(leader)) {
                LOG.info("Capture leader is {} (Lease {}/{}); this instance stands by", leader, leaseNamespace, leaseName);
            }
        }

        @Override
        protected void doStop() {
            CompletableFuture<?> e;
            synchronized (this) {
                stopped = true;
                e = election;
                election = null;
            }
            // cancelling releases a Lease this instance holds (release on cancel) and calls stoppedLeading
            if (e != null) {
                e.cancel(true);
            }
            synchronized (this) {
                if (scheduler != null) {
                    scheduler.shutdownNow();
                    scheduler = null;
                }
                if (client != null) {
                    client.close();
                    client = null;
                }
            }
        }

        @Override
        public Optional<CamelClusterMember> getLeader() {
            String l = leader;
            if (l == null) {
                return Optional.empty();
            }
            return Optional.of(l.equals(identity) ? local : new Member(l, false));
        }

        @Override
        public CamelClusterMember getLocalMember() {
            return local;
        }

        @Override
        public List<CamelClusterMember> getMembers() {
            // a Lease names only its holder; the standbys are not listed anywhere
            return getLeader().filter(m -> !m.isLocal()).map(m -> List.of(local, m)).orElse(List.of(local));
        }

        private final class Member implements CamelClusterMember {
            private final String id;
            private final boolean isLocal;

            Member(String id, boolean isLocal) {
                this.id = id;
                this.isLocal = isLocal;
            }

            @Override
            public boolean isLeader() {
                return isLocal ? leading.get() : id.equals(leader);
            }

            @Override
            public boolean isLocal() {
                return isLocal;
            }

            @Override
            public String getId() {
                return id;
            }
        }
    }
}
