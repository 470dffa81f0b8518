package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXServiceURL;

import org.junit.jupiter.api.Test;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;
import io.cdcbridge.demo.EmbeddedKafkaBroker;

/** Remote JMX over a real RMI connector on loopback: authentication, and no secrets through the Runtime MBean. */
class RemoteJmxTest {

    @Test
    void beyondLoopbackWithoutAPasswordStopsStartUpNamingTheSettings() {
        assertThatThrownBy(() -> RemoteJmx.refuseUnsafe(Settings.of(Map.of("cdc.jmx.port", "9010", "cdc.jmx.host", "0.0.0.0"))))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("cdc.jmx.host: 0.0.0.0 is beyond loopback, and remote JMX there needs cdc.jmx.password");
        RemoteJmx.refuseUnsafe(Settings.of(Map.of("cdc.jmx.port", "9010", "cdc.jmx.host", "0.0.0.0", "cdc.jmx.password", "pw")));
        RemoteJmx.refuseUnsafe(Settings.of(Map.of("cdc.jmx.port", "9010")));
    }

    @Test
    void onlyTheRightCredentialsGetInAndTheCommandLineStaysHidden() throws Exception {
        int port = EmbeddedKafkaBroker.freePort();
        System.setProperty("cdc.test.jmx-secret", "never-shown");
        JMXConnectorServer server = RemoteJmx.start(Settings.of(Map.of("cdc.jmx.port", String.valueOf(port),
                "cdc.jmx.user", "ops", "cdc.jmx.password", "jmx-S3cret")));
        try {
            JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + port + "/jmxrmi");
            assertThatThrownBy(() -> JMXConnectorFactory.connect(url)).isInstanceOf(SecurityException.class);
            assertThatThrownBy(() -> JMXConnectorFactory.connect(url, Map.of(JMXConnector.CREDENTIALS, new String[] {"ops", "wrong"})))
                    .isInstanceOf(SecurityException.class).hasMessageNotContaining("jmx-S3cret");
            try (JMXConnector c = JMXConnectorFactory.connect(url, Map.of(JMXConnector.CREDENTIALS, new String[] {"ops", "jmx-S3cret"}))) {
                var mbeans = c.getMBeanServerConnection();
                ObjectName runtime = new ObjectName("java.lang:type=Runtime");
                assertThat(mbeans.getAttribute(runtime, "VmName")).isNotNull();
                assertThatThrownBy(() -> mbeans.getAttribute(runtime, "SystemProperties")).isInstanceOf(SecurityException.class);
                assertThatThrownBy(() -> mbeans.getAttribute(runtime, "InputArguments")).isInstanceOf(SecurityException.class);
                var some = mbeans.getAttributes(runtime, new String[] {"VmName", "SystemProperties"});
                assertThat(some.asList()).extracting(javax.management.Attribute::getName).containsExactly("VmName");
            }
        } finally {
            server.stop();
            System.clearProperty("cdc.test.jmx-secret");
        }
    }
}
