package io.cdcbridge.delivery;

import io.cdcbridge.config.KafkaClients;
import org.apache.camel.CamelContext;
import org.apache.camel.component.kafka.KafkaComponent;

/**
 * The sinks' Kafka consumers are the route files' camel-kafka endpoints; what every Kafka client of the bridge takes
 * ({@code cdc.kafka.client.*}: security) is set once on Camel's {@code kafka} component, whose configuration each
 * endpoint copies, so the route files need not name it. camel-kafka applies these additional properties after its
 * typed options (so {@code security.protocol} here wins over the component's default PLAINTEXT). The properties never
 * appear in an endpoint URI (Camel logs and shows those); what would weaken delivery is refused before
 * ({@link KafkaClients#from}), and {@link DeliveryRouteCheck} still checks each delivery route's own options.
 */
public final class SinkConsumers {

    private SinkConsumers() {
    }

    /** Before the routes are added: Camel's {@code kafka} component takes the client properties. */
    public static void configure(CamelContext ctx, KafkaClients clients) {
        KafkaComponent kafka = ctx.getComponent("kafka", KafkaComponent.class);
        kafka.getConfiguration().getAdditionalProperties().putAll(clients.sinkConsumerProperties());
    }
}
