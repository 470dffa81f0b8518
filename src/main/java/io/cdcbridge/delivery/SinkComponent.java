package io.cdcbridge.delivery;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code sink:<name>} step of a delivery route: hands the route's Kafka batch to the named sink's
 * {@link DeliveryEngine}, which delivers, dead-letters and commits it. Sinks register their engine when they install
 * ({@link #register}); the component also installs the {@link DeliveryRouteCheck} that refuses an unsafe route file.
 */
public final class SinkComponent extends DefaultComponent {

    public static final String SCHEME = "sink";

    private final Map<String, DeliveryEngine<?>> engines = new ConcurrentHashMap<>();
    private final String topicPrefix;

    private SinkComponent(String topicPrefix) {
        this.topicPrefix = topicPrefix;
    }

    /** The context's sink component, added (with the route check) on first use. */
    public static synchronized SinkComponent of(CamelContext context, String topicPrefix) {
        SinkComponent c = context.hasComponent(SCHEME) instanceof SinkComponent existing ? existing : null;
        if (c == null) {
            c = new SinkComponent(topicPrefix);
            context.addComponent(SCHEME, c);
            context.addLifecycleStrategy(new DeliveryRouteCheck());
        }
        return c;
    }

    public void register(DeliveryEngine<?> engine) {
        engines.put(engine.sink(), engine);
    }

    public DeliveryEngine<?> engine(String sink) {
        return engines.get(sink);
    }

    String topicPrefix() {
        return topicPrefix;
    }

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        DeliveryEngine<?> engine = engines.get(remaining);
        if (engine == null) {
            throw new IllegalArgumentException("sink:" + remaining + " is not a sink of this bridge (known: "
                    + new java.util.TreeSet<>(engines.keySet()) + ")");
        }
        SinkEndpoint endpoint = new SinkEndpoint(uri, this, engine);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    @Override
    protected void doStop() throws Exception {
        super.doStop();
        engines.values().forEach(DeliveryEngine::close);
    }
}
