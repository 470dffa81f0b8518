package io.cdcbridge.ops;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.rmi.registry.LocateRegistry;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.RMIServerSocketFactory;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.remote.JMXAuthenticator;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXPrincipal;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.MBeanServerForwarder;
import javax.management.remote.rmi.RMIConnectorServer;
import javax.rmi.ssl.SslRMIClientSocketFactory;
import javax.rmi.ssl.SslRMIServerSocketFactory;
import javax.security.auth.Subject;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.OpsSettings;
import io.cdcbridge.config.Settings;

/**
 * Remote JMX, only when {@code cdc.jmx.port} is set (docs/operations.md, "JMX"): bound to {@code cdc.jmx.host}; the
 * RMI registry and the connector share the one port, so {@code jconsole HOST:PORT} or an SSH tunnel reaches it.
 * <ul>
 *   <li>Beyond loopback only with a password ({@code cdc.jmx.user}, {@code cdc.jmx.password}): anyone who reaches the
 *   port could otherwise suspend capture, or call any MBean of the JVM.</li>
 *   <li>Optionally over TLS ({@code cdc.jmx.ssl}), with the JVM's key store.</li>
 *   <li>The JVM's system properties and command line ({@code java.lang:type=Runtime} SystemProperties and
 *   InputArguments) are not readable remotely: a {@code -Dcdc.carol.password=…} would be in them.</li>
 * </ul>
 */
public final class RemoteJmx {

    private static final Logger LOG = LoggerFactory.getLogger(RemoteJmx.class);
    private static final ObjectName RUNTIME = name("java.lang:type=Runtime");
    /** What would show secrets given on the command line. */
    static final Set<String> HIDDEN = Set.of("SystemProperties", "InputArguments");

    private RemoteJmx() {
    }

    /**
     * Stops start-up, before anything runs, when remote JMX would be open beyond loopback without a password, naming
     * the settings.
     */
    public static void refuseUnsafe(Settings settings) {
        if (!settings.has(OpsSettings.JMX_PORT)) {
            return;
        }
        String host = settings.get(OpsSettings.JMX_HOST);
        String password = settings.get(OpsSettings.JMX_PASSWORD);
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            throw new ConfigException(OpsSettings.JMX_HOST.key(), "unknown host " + host);
        }
        if (!loopback && (password == null || password.isEmpty())) {
            throw new ConfigException(OpsSettings.JMX_HOST.key(), host + " is beyond loopback, and remote JMX there needs "
                    + OpsSettings.JMX_PASSWORD.key() + " (and " + OpsSettings.JMX_USER.key() + "); or keep it on 127.0.0.1 "
                    + "and reach it through an SSH tunnel");
        }
    }

    /** Remote JMX as the settings say, or null when {@code cdc.jmx.port} is not set. */
    public static JMXConnectorServer start(Settings settings) throws IOException {
        if (!settings.has(OpsSettings.JMX_PORT)) {
            return null;
        }
        refuseUnsafe(settings);
        String host = settings.get(OpsSettings.JMX_HOST);
        int port = settings.get(OpsSettings.JMX_PORT);
        String password = settings.get(OpsSettings.JMX_PASSWORD);
        InetAddress bind = InetAddress.getByName(host);
        boolean ssl = settings.get(OpsSettings.JMX_SSL);
        RMIServerSocketFactory sockets = ssl ? new BoundSslServerSockets(bind) : p -> new ServerSocket(p, 50, bind);
        RMIClientSocketFactory clients = ssl ? new SslRMIClientSocketFactory() : null;
        System.setProperty("java.rmi.server.hostname", host);
        LocateRegistry.createRegistry(port, clients, sockets);
        Map<String, Object> env = new HashMap<>();
        env.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, sockets);
        if (clients != null) {
            env.put(RMIConnectorServer.RMI_CLIENT_SOCKET_FACTORY_ATTRIBUTE, clients);
            env.put("com.sun.jndi.rmi.factory.socket", clients); // the registry lookup over TLS too
        }
        if (password != null && !password.isEmpty()) {
            env.put(JMXConnectorServer.AUTHENTICATOR, authenticator(settings.get(OpsSettings.JMX_USER), password));
        }
        JMXServiceURL url = new JMXServiceURL("service:jmx:rmi://" + host + ":" + port + "/jndi/rmi://" + host + ":" + port + "/jmxrmi");
        JMXConnectorServer server = JMXConnectorServerFactory.newJMXConnectorServer(url, env, ManagementFactory.getPlatformMBeanServer());
        server.setMBeanServerForwarder(hidingSecrets());
        server.start();
        LOG.info("Remote JMX on {}:{} ({}; {}{})", host, port, url, password == null || password.isEmpty() ? "no authentication, loopback"
                : "user " + settings.get(OpsSettings.JMX_USER), ssl ? ", TLS" : "");
        return server;
    }

    /** Compares user and password in constant time; the refusal names neither. */
    static JMXAuthenticator authenticator(String user, String password) {
        byte[] u = user.getBytes(StandardCharsets.UTF_8);
        byte[] p = password.getBytes(StandardCharsets.UTF_8);
        return credentials -> {
            if (credentials instanceof String[] pair && pair.length == 2 && pair[0] != null && pair[1] != null
                    && MessageDigest.isEqual(pair[0].getBytes(StandardCharsets.UTF_8), u)
                    & MessageDigest.isEqual(pair[1].getBytes(StandardCharsets.UTF_8), p)) {
                return new Subject(true, Set.of(new JMXPrincipal(pair[0])), Set.of(), Set.of());
            }
            throw new SecurityException("remote JMX: wrong user or password");
        };
    }

    /** Every call passes through, but the Runtime MBean's system properties and command line read as hidden. */
    static MBeanServerForwarder hidingSecrets() {
        MBeanServer[] target = new MBeanServer[1];
        InvocationHandler handler = (proxy, method, args) -> {
            String m = method.getName();
            if (m.equals("setMBeanServer")) {
                target[0] = (MBeanServer) args[0];
                return null;
            }
            if (m.equals("getMBeanServer")) {
                return target[0];
            }
            if (m.equals("getAttribute") && RUNTIME.equals(args[0]) && HIDDEN.contains((String) args[1])) {
                throw new SecurityException("remote JMX does not show " + args[1] + " (they may hold secrets)");
            }
            if (m.equals("getAttributes") && RUNTIME.equals(args[0])) {
                String[] wanted = Arrays.stream((String[]) args[1]).filter(a -> !HIDDEN.contains(a)).toArray(String[]::new);
                args = new Object[] {args[0], wanted};
            }
            try {
                return method.invoke(target[0], args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (MBeanServerForwarder) Proxy.newProxyInstance(RemoteJmx.class.getClassLoader(),
                new Class<?>[] {MBeanServerForwarder.class}, handler);
    }

    private static ObjectName name(String n) {
        try {
            return new ObjectName(n);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalStateException(e);
        }
    }

    /** TLS server sockets bound to the one address (SslRMIServerSocketFactory binds to every address). */
    private static final class BoundSslServerSockets extends SslRMIServerSocketFactory {
        private final InetAddress bind;

        BoundSslServerSockets(InetAddress bind) {
            this.bind = bind;
        }

        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            javax.net.ssl.SSLServerSocketFactory f = (javax.net.ssl.SSLServerSocketFactory) javax.net.ssl.SSLServerSocketFactory.getDefault();
            return f.createServerSocket(port, 50, bind);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof BoundSslServerSockets b && b.bind.equals(bind);
        }

        @Override
        public int hashCode() {
            return bind.hashCode();
        }
    }
}
