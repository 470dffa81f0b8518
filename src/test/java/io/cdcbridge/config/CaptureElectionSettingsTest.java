package io.cdcbridge.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** {@code cdc.capture.election} and the Lease settings: the default rule, the derived Lease name, the timings' order. */
class CaptureElectionSettingsTest {

    @Test
    void theDefaultKeepsWhatTheSettingsDidBeforeTheKeyExisted() {
        assertThat(Settings.of(Map.of()).get(CaptureSettings.ELECTION)).isEqualTo("none");
        assertThat(Settings.of(Map.of("cdc.capture.lock-dir", "/shared/locks")).get(CaptureSettings.ELECTION)).isEqualTo("file");
        assertThat(Settings.of(Map.of("cdc.capture.election", "Kubernetes")).get(CaptureSettings.ELECTION)).isEqualTo("kubernetes");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.capture.election", "zookeeper")).get(CaptureSettings.ELECTION))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.capture.election").hasMessageContaining("kubernetes, file, none");
    }

    @Test
    void theLeaseIsNamedAfterTheSlotAsKubernetesAllows() {
        assertThat(Settings.of(Map.of()).get(CaptureSettings.LEASE_NAME)).isEqualTo("capture-cdc-bridge");
        assertThat(Settings.of(Map.of("cdc.source.slot", "orders_slot")).get(CaptureSettings.LEASE_NAME)).isEqualTo("capture-orders-slot");
        assertThatThrownBy(() -> Settings.of(Map.of("cdc.capture.lease-name", "Capture_1")).get(CaptureSettings.LEASE_NAME))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cdc.capture.lease-name");
    }

    @Test
    void theRenewDeadlineIsShorterThanTheLeaseAndTheRetryPeriodShorterThanTheDeadline() {
        CaptureSettings.checkLeaseTimings(Settings.of(Map.of()));
        assertThatThrownBy(() -> CaptureSettings.checkLeaseTimings(Settings.of(Map.of("cdc.capture.lease-duration-ms", "10000"))))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("cdc.capture.lease-renew-deadline-ms");
        assertThatThrownBy(() -> CaptureSettings.checkLeaseTimings(Settings.of(Map.of("cdc.capture.lease-retry-period-ms", "10000"))))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("cdc.capture.lease-retry-period-ms");
    }
}
