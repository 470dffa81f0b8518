package io.cdcbridge.app;

import io.cdcbridge.util.Module;
import java.nio.file.Files;
import java.nio.file.Path;

import io.cdcbridge.config.OpsSettings;
import io.cdcbridge.config.Settings;
import io.cdcbridge.ops.RouteFileReload;
import org.apache.camel.main.Main;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The YAML delivery routes: {@code routes/*.camel.yaml} from {@code cdc.routes.dir} (default {@code routes}, relative
 * to the working directory) if that directory exists, else the files inside the jar. With {@code cdc.routes.reload}
 * the directory is watched and an edited file replaces its own routes.
 */
final class RouteFiles implements Module {

    private static final Logger LOG = LoggerFactory.getLogger(RouteFiles.class);
    private static final String PATTERN = "*.camel.yaml";

    private final Settings settings;

    RouteFiles(Settings settings) {
        this.settings = settings;
    }

    @Override
    public void install(Main main) {
        Path dir = settings.get(OpsSettings.ROUTES_DIR);
        boolean onDisk = Files.isDirectory(dir);
        main.configure().setRoutesIncludePattern(onDisk ? "file:" + dir.toAbsolutePath() + "/" + PATTERN : ShippedRoutes.locations());
        if (!settings.get(OpsSettings.ROUTES_RELOAD)) {
            return;
        }
        if (!onDisk) {
            LOG.warn("{}=true but there is no {} directory; hot reload is off", OpsSettings.ROUTES_RELOAD.key(), dir.toAbsolutePath());
            return;
        }
        // Camel's watcher with a safety net (RouteFileReload): only the changed file's routes are replaced, the Java
        // capture route keeps running, a file that does not load leaves the previous routes running.
        Module.whenContextCreated(main, "route reload", ctx -> ctx.addService(new RouteFileReload(dir, PATTERN)));
        LOG.info("Hot reload of {}/{} is on (a development feature: edits take effect within seconds)", dir, PATTERN);
    }
}
