package io.cdcbridge.delivery;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.OpsSettings;
import org.apache.camel.Route;
import org.apache.camel.component.kafka.KafkaConfiguration;
import org.apache.camel.component.kafka.KafkaEndpoint;
import org.apache.camel.model.ChoiceDefinition;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.SendDefinition;
import org.apache.camel.support.LifecycleStrategySupport;

/**
 * Refuses a delivery route that could lose a change (docs/architecture.md §6), when it is added: at start-up (the
 * bridge stops with one line naming the route file) and on hot reload (the file is rejected and the routes that ran
 * keep running). A delivery route is one with a {@code sink:} step, or whose id ends in {@code -delivery}. It must:
 * read Kafka in batches with auto-commit off and manual commits allowed (the engine commits), break on the first
 * error (a batch that failed is read again), and have exactly one {@code sink:} step, at the top level of the route
 * (inside a filter, choice or split some batches would pass by the engine uncommitted, and a later batch's commit
 * would skip them).
 */
final class DeliveryRouteCheck extends LifecycleStrategySupport {

    @Override
    public void onRoutesAdd(Collection<Route> routes) {
        for (Route route : routes) {
            if (route.getRoute() instanceof RouteDefinition def) {
                check(route, def);
            }
        }
    }

    static void check(Route route, RouteDefinition def) {
        List<String> topLevel = new ArrayList<>();
        for (ProcessorDefinition<?> p : def.getOutputs()) {
            if (p instanceof SendDefinition<?> s && isSink(s)) {
                topLevel.add(s.getUri());
            }
        }
        List<String> nested = new ArrayList<>();
        for (ProcessorDefinition<?> p : def.getOutputs()) {
            if (!(p instanceof SendDefinition<?>)) {
                nested(p, nested);
            }
        }
        String id = route.getRouteId();
        if (topLevel.isEmpty() && nested.isEmpty() && !id.endsWith("-delivery")) {
            return; // not a delivery route
        }
        String where = where(route);
        if (!nested.isEmpty()) {
            throw refused(where, "the sink: step must be a step of the route itself, not inside " + nested.get(0));
        }
        if (topLevel.size() != 1) {
            throw refused(where, topLevel.isEmpty() ? "a delivery route needs one sink:<name> step (it delivers and commits)"
                    : "has " + topLevel.size() + " sink: steps, one is allowed");
        }
        if (!(route.getEndpoint() instanceof KafkaEndpoint kafka)) {
            throw refused(where, "a delivery route must read from kafka, not " + route.getEndpoint().getEndpointBaseUri());
        }
        KafkaConfiguration c = kafka.getConfiguration();
        require(where, !c.isAutoCommitEnable(), "autoCommitEnable must be false (the sink step commits what it delivered)");
        require(where, c.isAllowManualCommit(), "allowManualCommit must be true (the sink step commits what it delivered)");
        require(where, c.isBatching(), "batching must be true (the sink step takes the Kafka batch)");
        require(where, c.isBreakOnFirstError(), "breakOnFirstError must be true (a batch not delivered is read again)");
    }

    private static boolean isSink(SendDefinition<?> s) {
        String uri = s.getUri();
        return uri != null && uri.startsWith(SinkComponent.SCHEME + ":");
    }

    /** The sink steps found below a step: (the name of the step they are inside). */
    private static void nested(ProcessorDefinition<?> p, List<String> found) {
        List<ProcessorDefinition<?>> children = new ArrayList<>(p.getOutputs());
        if (p instanceof ChoiceDefinition choice) {
            choice.getWhenClauses().forEach(w -> children.addAll(w.getOutputs()));
            if (choice.getOtherwise() != null) {
                children.addAll(choice.getOtherwise().getOutputs());
            }
        }
        for (ProcessorDefinition<?> child : children) {
            if (child instanceof SendDefinition<?> s && isSink(s)) {
                found.add(p.getShortName());
            } else {
                nested(child, found);
            }
        }
    }

    private static String where(Route route) {
        String file = route.getSourceResource() == null ? null : route.getSourceResource().getLocation();
        return (file == null ? "" : file + ": ") + "route " + route.getRouteId();
    }

    private static void require(String where, boolean ok, String rule) {
        if (!ok) {
            throw refused(where, rule);
        }
    }

    private static ConfigException refused(String where, String problem) {
        return new ConfigException(OpsSettings.ROUTES_DIR.key(), where + " is refused: " + problem);
    }
}
