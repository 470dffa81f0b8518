package io.cdcbridge.carol;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

import io.cdcbridge.app.SinkModule;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.passthrough.Passthrough;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Carol sink's wiring for routes/carol.camel.yaml: validates {@code cdc.carol.*}, builds the token cache and binds
 * the route's bean {@code carolDelivery}. A disabled sink binds an inert bean (its route file is loaded anyway).
 */
public final class CarolSink implements SinkModule {

    private static final Logger LOG = LoggerFactory.getLogger(CarolSink.class);
    private final Clock clock;

    public CarolSink() {
        this(Clock.systemUTC());
    }

    public CarolSink(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String name() {
        return "carol";
    }

    @Override
    public boolean enabled(Settings settings) {
        return settings.getBool("cdc.carol.enabled", settings.has("cdc.carol.url"));
    }

    @Override
    public void install(Settings settings, CamelContext context) {
        Passthrough passthrough = Passthrough.from(settings);
        SinkModule.publishTopicPattern(context, name(), SinkModule.topicPattern(settings, name(), passthrough));
        if (!enabled(settings)) {
            context.getRegistry().bind("carolDelivery", new CarolDelivery(null, null, null, true, Path.of("."), () -> null));
            return;
        }
        CarolConfig config = CarolConfig.from(settings);
        SinkModule.consumers(settings, name());
        boolean dryRun = settings.getBool("cdc.sink.dry-run", false);
        CarolTokenCache tokens = dryRun || config.auth().equals("apikey") ? null
                : new CarolTokenCache(config, HttpClient.newBuilder().connectTimeout(Duration.ofMillis(config.timeoutMs())).build(), clock);
        Path out = Path.of(settings.get("cdc.data-dir", "data")).resolve("out").resolve("carol");
        context.getRegistry().bind("carolDelivery", new CarolDelivery(config, passthrough, new CarolRecordMapper(config), tokens, dryRun, out,
                () -> context.getRegistry().lookupByNameAndType("deadLetters", DeadLetters.class)));
        LOG.info("Carol sink: {}{}", config, dryRun ? " (dry run: request bodies written to " + out + ")" : "");
    }
}
