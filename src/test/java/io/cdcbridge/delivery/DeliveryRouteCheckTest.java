package io.cdcbridge.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import io.cdcbridge.config.ConfigException;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A route file that could lose a change is refused when its routes are added (docs/architecture.md §6); the shipped
 * ones are accepted. No broker is needed: the routes are added, not started.
 */
class DeliveryRouteCheckTest {

    private static CamelContext context() {
        DefaultCamelContext ctx = new DefaultCamelContext();
        Properties p = new Properties();
        p.put("cdc.kafka.brokers", "127.0.0.1:1");
        ctx.getPropertiesComponent().setInitialProperties(p);
        SinkComponent sinks = SinkComponent.of(ctx, "p");
        for (String sink : List.of("bigquery", "carol")) {
            sinks.register(new DeliveryEngine<String>(sink, r -> List.of(), (t, i) -> Outcome.DELIVERED,
                    new DeliveryOptions(1, 1, 1, 0, 1, 1, 1), () -> null));
            for (String key : List.of("enabled", "topic-pattern", "metadata-max-age-ms", "group-id", "consumers", "max-poll-records",
                    "max-poll-interval-ms", "batch-timeout-ms", "batch-size", "tables", "exclude")) {
                p.put("cdc." + sink + "." + key, switch (key) {
                    case "enabled" -> "false";
                    case "topic-pattern" -> "p\\..+";
                    case "group-id", "tables", "exclude" -> key.equals("group-id") ? "g" : "";
                    default -> "1000";
                });
            }
        }
        p.put("cdc.kafka.session-timeout-ms", "10000");
        return ctx;
    }

    private static void load(CamelContext ctx, String yaml) throws Exception {
        Path f = Files.createTempFile("route", ".camel.yaml");
        Files.writeString(f, yaml);
        PluginHelper.getRoutesLoader(ctx).loadRoutes(ResourceHelper.resolveMandatoryResource(ctx, "file:" + f));
        ctx.start();
    }

    private static String shipped(String sink) throws Exception {
        return Files.readString(Path.of("routes", sink + ".camel.yaml"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"bigquery", "carol"})
    void theShippedRoutesAreAccepted(String sink) throws Exception {
        try (CamelContext ctx = context()) {
            load(ctx, shipped(sink));
            assertThat(ctx.getRoute(sink + "-delivery")).isNotNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"autoCommitEnable: false|autoCommitEnable: true|autoCommitEnable must be false",
            "allowManualCommit: true|allowManualCommit: false|allowManualCommit must be true",
            "batching: true|batching: false|batching must be true",
            "breakOnFirstError: true|breakOnFirstError: false|breakOnFirstError must be true"})
    void aRouteThatCouldLoseAChangeIsRefused(String edit) throws Exception {
        String[] e = edit.split("\\|");
        String yaml = shipped("carol").replace(e[0], e[1]);
        assertThat(yaml).isNotEqualTo(shipped("carol"));
        try (CamelContext ctx = context()) {
            assertThatThrownBy(() -> load(ctx, yaml)).hasStackTraceContaining(e[2])
                    .satisfies(t -> assertThat(rootConfigError(t)).isNotNull());
        }
    }

    /** The shipped carol route with its sink step replaced. */
    private static String withSinkStep(String steps) throws Exception {
        String yaml = shipped("carol");
        int at = yaml.indexOf("        - to:\n            uri: sink:carol");
        assertThat(at).isPositive();
        return yaml.substring(0, at) + steps;
    }

    @Test
    void aDeliveryRouteWithoutItsSinkStepIsRefused() throws Exception {
        String yaml = withSinkStep("        - to:\n            uri: log:carol\n");
        try (CamelContext ctx = context()) {
            assertThatThrownBy(() -> load(ctx, yaml)).hasStackTraceContaining("needs one sink:<name> step");
        }
    }

    @Test
    void aSinkStepInsideAFilterIsRefused() throws Exception {
        String yaml = withSinkStep("        - filter:\n            simple: \"${header.x} == 'y'\"\n            steps:\n"
                + "              - to:\n                  uri: sink:carol\n");
        try (CamelContext ctx = context()) {
            assertThatThrownBy(() -> load(ctx, yaml)).hasStackTraceContaining("not inside filter");
        }
    }

    private static ConfigException rootConfigError(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ConfigException ce) {
                return ce;
            }
        }
        return null;
    }
}
