package io.cdcbridge.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpServer;

/** The loopback HTTP server both cloud fakes run on (not started: the fake adds its handler first). */
final class FakeHttpServer {

    static {
        // Answer without Nagle's delay, as Google's front ends do: otherwise the JDK server's small responses wait for
        // the client's delayed ACK, a 40 ms floor per request that bench/e2e.sh measured as the sinks' limit.
        // Read once per JVM (OpsServer sets it too, in case its server is the first one created).
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private FakeHttpServer() {
    }

    static HttpServer create(int port, String threadName, int threads) {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
            s.setExecutor(Executors.newFixedThreadPool(threads, r -> {
                Thread t = new Thread(r, threadName);
                t.setDaemon(true);
                return t;
            }));
            return s;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
