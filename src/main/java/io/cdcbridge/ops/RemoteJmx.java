package io.cdcbridge.ops;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.rmi.registry.LocateRegistry;
import java.rmi.server.RMIServerSocketFactory;
import java.util.HashMap;
import java.util.Map;

import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Remote JMX, only when {@code cdc.jmx.port} is set, and bound to {@code cdc.jmx.host} (default 127.0.0.1): the RMI
 * registry and the connector share the one port, so {@code jconsole 127.0.0.1:PORT} or an SSH tunnel reaches it.
 * No authentication: keep it on loopback unless the network is trusted.
 */
public final class RemoteJmx {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteJmx.class);

    private RemoteJmx() {
    }

    public static JMXConnectorServer start(String host, int port) throws IOException {
        InetAddress bind = InetAddress.getByName(host);
        RMIServerSocketFactory sockets = p -> new ServerSocket(p, 50, bind);
        System.setProperty("java.rmi.server.hostname", host);
        LocateRegistry.createRegistry(port, null, sockets);
        Map<String, Object> env = new HashMap<>();
        env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, sockets);
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi://" + host + ":" + port + "/jndi/rmi://" + host + ":" + port + "/jmxrmi");
        JMXConnectorServer server = JMXConnectorServerFactory.newJMXConnectorServer(url, env, ManagementFactory.getPlatformMBeanServer());
        server.start();
        LOG.info("Remote JMX on {}:{} ({})", host, port, url);
        return server;
    }
}
