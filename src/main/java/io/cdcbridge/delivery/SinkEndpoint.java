package io.cdcbridge.delivery;

import org.apache.camel.Consumer;
import org.apache.camel.Exchange;
import org.apache.camel.Predicate;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;
import org.apache.camel.support.DefaultProducer;

/**
 * {@code sink:<name>?tables=…&exclude=…&filter=…}: the route's {@link Selection} in front of the sink's engine.
 * Producer only.
 */
public final class SinkEndpoint extends DefaultEndpoint {

    private final DeliveryEngine<?> engine;
    private String tables = "";
    private String exclude = "";
    private String filter = "";

    SinkEndpoint(String uri, SinkComponent component, DeliveryEngine<?> engine) {
        super(uri, component);
        this.engine = engine;
    }

    public void setTables(String tables) {
        this.tables = tables == null ? "" : tables;
    }

    public String getTables() {
        return tables;
    }

    public void setExclude(String exclude) {
        this.exclude = exclude == null ? "" : exclude;
    }

    public String getExclude() {
        return exclude;
    }

    public void setFilter(String filter) {
        this.filter = filter == null ? "" : filter;
    }

    public String getFilter() {
        return filter;
    }

    @Override
    public Producer createProducer() {
        Predicate predicate = filter.isBlank() ? null : getCamelContext().resolveLanguage("simple").createPredicate(filter);
        Selection selection = new Selection(((SinkComponent) getComponent()).topicPrefix(), tables, exclude, predicate);
        return new DefaultProducer(this) {
            @Override
            public void process(Exchange exchange) {
                engine.deliver(exchange, selection);
            }
        };
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("sink: is a delivery step (to), not a source (from)");
    }
}
