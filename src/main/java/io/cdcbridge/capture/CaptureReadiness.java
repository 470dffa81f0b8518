package io.cdcbridge.capture;

import java.lang.management.ManagementFactory;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Whether the Debezium engine has finished its snapshot and is streaming from the replication slot, read from the
 * streaming metrics Debezium registers in the platform MBean server ({@code Connected} turns true when the
 * replication stream is open). From then on every committed change arrives as a streamed event.
 */
public final class CaptureReadiness {

    private CaptureReadiness() {
    }

    public static boolean streaming(String topicPrefix) {
        return attribute(topicPrefix, "streaming", "Connected");
    }

    /** The engine works: streaming from the slot, or taking its snapshot. */
    public static boolean engineActive(String topicPrefix) {
        return streaming(topicPrefix) || attribute(topicPrefix, "snapshot", "SnapshotRunning");
    }

    private static boolean attribute(String topicPrefix, String context, String attribute) {
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            Set<ObjectName> names = server.queryNames(
                    new ObjectName("debezium.postgres:type=connector-metrics,context=" + context + ",*"), null);
            for (ObjectName name : names) {
                if (topicPrefix.equals(name.getKeyProperty("server"))
                        && Boolean.TRUE.equals(server.getAttribute(name, attribute))) {
                    return true;
                }
            }
            return false;
        } catch (Exception e) {
            return false;
        }
    }
}
