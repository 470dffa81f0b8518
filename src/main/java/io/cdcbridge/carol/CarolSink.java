package io.cdcbridge.carol;

import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

import io.cdcbridge.delivery.SinkModule;
import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.config.OpsSettings;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SinkSettings;
import io.cdcbridge.delivery.DeliveryEngine;
import io.cdcbridge.delivery.DryRunClient;
import io.cdcbridge.delivery.Outcome;
import io.cdcbridge.delivery.SinkClient;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.delivery.Passthrough;
import org.apache.camel.CamelContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Carol sink's wiring: validates {@code cdc.carol.*} and registers the engine that the {@code sink:carol} step of
 * routes/carol.camel.yaml calls, made of {@link CarolMapper} and {@link CarolClient} (token cache, intake) or, in a dry
 * run, a {@link DryRunClient}. A disabled sink registers an inert engine (its route file is loaded anyway).
 */
public final class CarolSink implements SinkModule {

    private static final Logger LOG = LoggerFactory.getLogger(CarolSink.class);
    /** The route of routes/carol.camel.yaml. */
    public static final String ROUTE_ID = "carol-delivery";

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
        return settings.get(CarolSettings.ENABLED);
    }

    @Override
    public void install(Settings settings, CamelContext context) {
        Passthrough passthrough = Passthrough.from(settings);
        SinkModule.publishTopicPattern(context, name(), SinkModule.topicPattern(settings, name(), passthrough));
        if (!enabled(settings)) {
            // the route is loaded but never started: it only needs its sink to exist
            SinkModule.register(context, settings, new DeliveryEngine<>(name(), record -> List.of(),
                    (target, records) -> Outcome.DELIVERED,
                    SinkModule.options(settings, name(), CarolConfig.MAX_RECORDS, CarolConfig.MAX_BYTES, 1), () -> null));
            return;
        }
        CarolConfig config = CarolConfig.from(settings);
        boolean dryRun = settings.get(SinkSettings.DRY_RUN);
        Path out = settings.get(OpsSettings.DATA_DIR).resolve("out").resolve("carol");
        SinkClient<CarolMapper.Record> client;
        if (dryRun) {
            // each request body as one JSON line (the array Carol would receive: each key once)
            client = new DryRunClient<>(out, records -> new String(CarolMapper.body(CarolMapper.lastPerKey(records)), StandardCharsets.UTF_8) + "\n");
        } else {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofMillis(config.timeoutMs())).build();
            CarolTokenCache tokens = config.auth().equals("apikey") ? null : new CarolTokenCache(config, http, clock);
            client = new CarolClient(config, tokens, http,
                    config.manageSchemas() ? new CarolStagingSchemas(config, tokens, http, clock) : null);
        }
        // in order, one request at a time: versions of a key must reach Carol in the order they happened
        SinkModule.register(context, settings, new DeliveryEngine<>(name(), new CarolMapper(new CarolRecordMapper(config), passthrough, config, !dryRun && config.manageSchemas()),
                client, SinkModule.options(settings, name(), config.batchSize(), config.maxRequestBytes(), 1),
                () -> context.getRegistry().lookupByNameAndType("deadLetters", DeadLetters.class)));
        LOG.info("Carol sink: {}{}", config, dryRun ? " (dry run: request bodies written to " + out + ")" : "");
    }
}
