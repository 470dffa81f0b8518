package io.cdcbridge.capture;

import org.apache.camel.Exchange;
import org.apache.camel.component.debezium.DebeziumComponent;
import org.apache.camel.component.debezium.DebeziumConsumer;
import org.apache.camel.component.debezium.DebeziumEndpoint;
import org.apache.camel.component.debezium.postgres.configuration.PostgresConnectorEmbeddedDebeziumConfiguration;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * camel-debezium-postgres's endpoint, as its component would build it, but with a leaner exchange: the body is
 * Debezium's {@link SourceRecord} itself and the only header is the operation (what the route filters on).
 *
 * <p>Why: the stock endpoint copies every record into eight headers, converts its source block into a map, and asks
 * the envelope for a {@code ddl} field that Postgres records never have, which throws (and fills in) an exception per
 * event. The capture route reads the record directly instead (docs/benchmarks.md).
 */
public final class CaptureEndpoint extends DebeziumEndpoint<PostgresConnectorEmbeddedDebeziumConfiguration> {

    private PostgresConnectorEmbeddedDebeziumConfiguration configuration;

    CaptureEndpoint(String uri, DebeziumComponent<PostgresConnectorEmbeddedDebeziumConfiguration> component,
                    PostgresConnectorEmbeddedDebeziumConfiguration configuration) {
        super(uri, component);
        this.configuration = configuration;
    }

    @Override
    public Exchange createDbzExchange(DebeziumConsumer consumer, SourceRecord record) {
        Exchange exchange = consumer != null ? consumer.createExchange(false) : createExchange();
        // no headers at all: the processor reads the operation from the record (a header went through the exchange's
        // case-insensitive map, ~6% of capture's thread with camel-headersmap, docs/benchmarks.md)
        exchange.getIn().setBody(record);
        return exchange;
    }

    /** The change's operation (c, u, d, r), or null for heartbeats and tombstones, which carry none. */
    static String operation(SourceRecord record) {
        if (record == null || !(record.value() instanceof Struct value)) {
            return null;
        }
        Field op = value.schema().field("op"); // a schema lookup: Struct.get of a missing field throws
        return op == null ? null : (String) value.get(op);
    }

    @Override
    public PostgresConnectorEmbeddedDebeziumConfiguration getConfiguration() {
        return configuration;
    }

    @Override
    public void setConfiguration(PostgresConnectorEmbeddedDebeziumConfiguration configuration) {
        this.configuration = configuration;
    }

    /** The component for {@link CaptureRoute}: the same configuration class and engine, this endpoint. */
    static final class Component extends DebeziumComponent<PostgresConnectorEmbeddedDebeziumConfiguration> {

        private PostgresConnectorEmbeddedDebeziumConfiguration configuration = new PostgresConnectorEmbeddedDebeziumConfiguration();

        @Override
        protected DebeziumEndpoint<PostgresConnectorEmbeddedDebeziumConfiguration> initializeDebeziumEndpoint(
                String uri, PostgresConnectorEmbeddedDebeziumConfiguration configuration) {
            return new CaptureEndpoint(uri, this, configuration);
        }

        @Override
        public PostgresConnectorEmbeddedDebeziumConfiguration getConfiguration() {
            return configuration;
        }

        @Override
        public void setConfiguration(PostgresConnectorEmbeddedDebeziumConfiguration configuration) {
            this.configuration = configuration;
        }
    }
}
