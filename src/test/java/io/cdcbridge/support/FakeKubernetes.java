package io.cdcbridge.support;

import java.net.InetAddress;
import java.util.HashMap;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;

/**
 * A Kubernetes API server for the Lease election tests: fabric8's mock server in CRUD mode (objects are stored and
 * served back, resource versions checked on update), plain HTTP on loopback. The bridges reach it with the real
 * client, through {@link #config()} in-process or the {@code kubernetes.*} system properties of
 * {@link #clientProperties()} in a child JVM.
 */
public final class FakeKubernetes implements AutoCloseable {

    public static final String NAMESPACE = "cdc";

    private final KubernetesMockServer server;
    private final KubernetesClient admin;

    private FakeKubernetes() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        admin = server.createClient();
    }

    public static FakeKubernetes start() {
        return new FakeKubernetes();
    }

    /** The API server's URL. */
    public String url() {
        return admin.getConfiguration().getMasterUrl();
    }

    /** A fresh client configuration for this server (each service mutates its own). */
    public Config config() {
        return server.createClient().getConfiguration();
    }

    /** For a child JVM: fabric8 reads these system properties; no kubeconfig or service account of the machine. */
    public java.util.Map<String, String> clientProperties() {
        return java.util.Map.of(
                "kubernetes.master", url(),
                "kubernetes.namespace", NAMESPACE,
                "kubernetes.auth.tryKubeConfig", "false",
                "kubernetes.auth.tryServiceAccount", "false");
    }

    /** The Lease as the API server stores it, or null. */
    public Lease lease(String namespace, String name) {
        return admin.leases().inNamespace(namespace).withName(name).get();
    }

    /** The Lease's holder, or null when there is no Lease or it names none. */
    public String holder(String namespace, String name) {
        Lease l = lease(namespace, name);
        return l == null || l.getSpec() == null ? null : l.getSpec().getHolderIdentity();
    }

    public KubernetesClient admin() {
        return admin;
    }

    @Override
    public void close() {
        admin.close();
        server.destroy();
    }
}
