package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.cdcbridge.support.FakeKubernetes;
import org.apache.camel.cluster.CamelClusterEventListener;
import org.apache.camel.cluster.CamelClusterView;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

/**
 * The Lease election against fabric8's mock API server in CRUD mode (the real client, a stored Lease): one leader at a
 * time, a graceful stop hands the Lease over at once, and a leader that cannot reach the API server gives up its lead
 * before the Lease it last renewed expires (fencing, docs/architecture.md §1).
 */
class LeaseClusterServiceTest {

    private static final String VIEW = "capture-slot";
    private static final String LEASE = "capture-slot";
    private static final LeaseClusterService.Timings TIMINGS =
            new LeaseClusterService.Timings(Duration.ofMillis(4000), Duration.ofMillis(2000), Duration.ofMillis(200));

    /** One competitor: its service, its view, and the leadership changes it saw, with their times. */
    private record Candidate(LeaseClusterService service, CamelClusterView view, List<Object[]> changes) {
        boolean leads() {
            return view.getLocalMember().isLeader();
        }

        /** When it last became non-leader, or null. */
        Instant lostAt() {
            for (int i = changes.size() - 1; i >= 0; i--) {
                if (!(Boolean) changes.get(i)[0]) {
                    return (Instant) changes.get(i)[1];
                }
            }
            return null;
        }

        void stop() throws Exception {
            service.stop();
        }
    }

    private static Candidate candidate(FakeKubernetes k8s, String identity) throws Exception {
        var service = new LeaseClusterService(VIEW, FakeKubernetes.NAMESPACE, LEASE, identity, TIMINGS, k8s.config());
        service.setCamelContext(new DefaultCamelContext());
        service.start();
        CamelClusterView view = service.getView(VIEW);
        List<Object[]> changes = new CopyOnWriteArrayList<>();
        view.addEventListener((CamelClusterEventListener.Leadership) (v, leader) ->
                changes.add(new Object[] {v.getLocalMember().isLeader(), Instant.now()}));
        return new Candidate(service, view, changes);
    }

    @Test
    void oneLeaderAtATimeAndAGracefulStopHandsTheLeaseOverAtOnce() throws Exception {
        try (FakeKubernetes k8s = FakeKubernetes.start()) {
            Candidate a = candidate(k8s, "bridge-a");
            Candidate b = candidate(k8s, "bridge-b");
            try {
                await("a leader").atMost(Duration.ofSeconds(10)).until(() -> a.leads() || b.leads());
                Candidate leader = a.leads() ? a : b;
                Candidate standby = leader == a ? b : a;
                assertThat(k8s.holder(FakeKubernetes.NAMESPACE, LEASE)).isEqualTo(leader.service().identity());
                // the standby keeps trying every retry period and keeps being refused while the Lease is renewed
                long until = System.currentTimeMillis() + TIMINGS.leaseDuration().toMillis() + 1000;
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
                    assertThat(standby.leads()).as("the standby while the leader renews").isFalse();
                    return System.currentTimeMillis() > until;
                });
                assertThat(standby.view().getLeader()).hasValueSatisfying(m -> assertThat(m.getId()).isEqualTo(leader.service().identity()));

                long stopped = System.currentTimeMillis();
                leader.stop();
                // released, not left to expire: the standby takes it within a few retry periods, well inside the lease duration
                await("the standby takes the released Lease").atMost(TIMINGS.leaseDuration()).until(standby::leads);
                assertThat(System.currentTimeMillis() - stopped).isLessThan(TIMINGS.leaseDuration().toMillis());
                assertThat(k8s.holder(FakeKubernetes.NAMESPACE, LEASE)).isEqualTo(standby.service().identity());
                assertThat(leader.leads()).isFalse();
            } finally {
                a.stop();
                b.stop();
            }
        }
    }

    @Test
    void aLeaderCutOffFromTheApiServerStopsBeforeItsLeaseExpires() throws Exception {
        FakeKubernetes k8s = FakeKubernetes.start();
        Candidate a = candidate(k8s, "bridge-a");
        try {
            await("leader").atMost(Duration.ofSeconds(10)).until(a::leads);
            // a renewal or two, so the Lease on the server is one the leader renewed
            ZonedDateTime first = k8s.lease(FakeKubernetes.NAMESPACE, LEASE).getSpec().getRenewTime();
            await().atMost(Duration.ofSeconds(5)).until(() ->
                    k8s.lease(FakeKubernetes.NAMESPACE, LEASE).getSpec().getRenewTime().isAfter(first));
            k8s.close(); // from here on no renewal can succeed; the last one is at or after the one read below
            Instant lastSeenRenewal = Instant.now().minus(TIMINGS.retryPeriod());
            await("the leader gives up").atMost(TIMINGS.renewDeadline().plus(TIMINGS.retryPeriod().multipliedBy(5)))
                    .until(() -> !a.leads());
            // a standby may take the Lease only a lease duration after its last renewal: the leader stopped before that
            assertThat(a.lostAt()).isBefore(lastSeenRenewal.plus(TIMINGS.leaseDuration()));
        } finally {
            a.stop();
        }
    }
}
