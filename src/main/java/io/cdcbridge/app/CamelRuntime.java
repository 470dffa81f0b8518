package io.cdcbridge.app;

import io.cdcbridge.util.Module;
import java.util.Properties;

import io.cdcbridge.config.OpsSettings;
import io.cdcbridge.config.Settings;
import io.cdcbridge.config.SettingsCatalog;
import org.apache.camel.ManagementStatisticsLevel;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * camel-main's own configuration (name, JMX, health, shutdown timeout, the properties the route files read); closing
 * it stops Camel, which stops the routes and lets them drain within {@code cdc.shutdown-timeout-s}.
 */
final class CamelRuntime implements Module {

    private static final Logger LOG = LoggerFactory.getLogger(CamelRuntime.class);

    private final Settings settings;
    private Main main;

    CamelRuntime(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void install(Main main) {
        this.main = main;
        main.configure().setName("cdc-bridge");
        // Settings already merged application.properties, environment and -D: Camel must not read the file again
        // (the catalog gives every key its one default, below)
        main.setDefaultPropertyPlaceholderLocation("false");
        // Camel's start-up summary prints every property; ours include secrets (masking is by Camel's own word list)
        main.configure().setAutoConfigurationLogSummary(false);
        main.configure().setJmxEnabled(true);
        // route-level JMX statistics (exchanges, timings) but not one per processor: the capture route runs once per
        // event, and per-processor bookkeeping is measurable there
        main.configure().setJmxManagementStatisticsLevel(ManagementStatisticsLevel.RoutesOnly);
        main.configure().setShutdownTimeout((int) settings.get(OpsSettings.SHUTDOWN_TIMEOUT).toSeconds());
        main.configure().health().setEnabled(true);

        Properties props = new Properties();
        // every declared setting with its effective value (the default when not set): the route files need no
        // defaults of their own. Secrets stay out of Camel: the routes do not need them, and Camel would show its
        // properties (JMX, dev consoles) by its own word list.
        props.putAll(SettingsCatalog.effective(settings));
        main.setOverrideProperties(props);
    }

    @Override
    public void close() {
        try {
            if (main != null && (main.isStarted() || main.isStarting())) {
                main.stop();
            }
        } catch (Exception e) {
            LOG.warn("stopping Camel: {}", e.toString());
        }
    }
}
