package io.cdcbridge.ops;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.camel.support.RouteWatcherReloadStrategy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel's route-file watcher, made safe for a running bridge: only the routes of the edited file are replaced (the
 * Java capture route is never touched), and a file that does not load is rejected with one ERROR line naming the file
 * and the reason, while the routes that ran before keep running.
 *
 * <p>Why more than Camel's own: Camel parses the file first (a YAML syntax error leaves the old routes alone) but then
 * replaces route by route, so an error found only while building or starting a route (an unknown bean, a bad endpoint
 * option) would leave that route removed. This keeps the last content of each file that loaded and puts it back.
 */
public final class RouteFileReload extends RouteWatcherReloadStrategy {

    private static final Logger LOG = LoggerFactory.getLogger(RouteFileReload.class);

    private final Map<String, String> lastGood = new ConcurrentHashMap<>();

    public RouteFileReload(Path dir, String pattern) {
        super(dir.toAbsolutePath().toString(), false);
        setPattern(pattern);
        setRemoveAllRoutes(false);
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        // what was loaded at start-up is the first known-good content
        try (var files = Files.list(Path.of(getFolder()))) {
            for (Path p : files.filter(f -> f.getFileName().toString().endsWith(".camel.yaml")).toList()) {
                lastGood.put(key(p), Files.readString(p, StandardCharsets.UTF_8));
            }
        }
    }

    @Override
    protected void onRouteReload(Collection<Resource> resources, boolean removeEverything) {
        List<String> files = new ArrayList<>();
        Map<String, Set<String>> before = new ConcurrentHashMap<>();
        if (resources != null) {
            for (Resource r : resources) {
                files.add(r.getLocation());
                before.put(r.getLocation(), routesFrom(r.getLocation()));
            }
        }
        Map<String, String> attempted = new ConcurrentHashMap<>();
        for (String f : files) {
            read(f).ifPresent(text -> attempted.put(key(f), text));
        }
        try {
            super.onRouteReload(resources, removeEverything);
            lastGood.putAll(attempted);
        } catch (RuntimeException e) {
            LOG.error("Route file {} rejected, the routes that ran before keep running: {}", names(files), reason(e));
            for (String f : files) {
                restore(f, before.getOrDefault(f, Set.of()));
            }
        }
    }

    /** Puts back the last good content of a file if the failed reload took down any of its routes. */
    private void restore(String location, Set<String> routeIds) {
        Set<String> down = new TreeSet<>();
        for (String id : routeIds) {
            if (getCamelContext().getRoute(id) == null) {
                down.add(id);
            }
        }
        String good = lastGood.get(key(location));
        if (down.isEmpty() || good == null) {
            return;
        }
        try {
            PluginHelper.getRoutesLoader(getCamelContext()).updateRoutes(List.of(ResourceHelper.fromString(location, good)));
            LOG.warn("Restored routes {} from the last version of {} that loaded", down, names(List.of(location)));
        } catch (Exception e) {
            LOG.error("Could not restore routes {} of {}: {}", down, names(List.of(location)), reason(e));
        }
    }

    private Set<String> routesFrom(String location) {
        Set<String> ids = new TreeSet<>();
        for (Route r : getCamelContext().getRoutes()) {
            Resource src = r.getSourceResource();
            if (src != null && key(src.getLocation()).equals(key(location))
                    && getCamelContext().getRouteController().getRouteStatus(r.getRouteId()) != ServiceStatus.Stopped) {
                ids.add(r.getRouteId());
            }
        }
        return ids;
    }

    private static java.util.Optional<String> read(String location) {
        try {
            return java.util.Optional.of(Files.readString(Path.of(key(location)), StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException e) {
            return java.util.Optional.empty();
        }
    }

    /** A file's absolute path, whatever form of location Camel gives (file:..., plain path). */
    static String key(Object location) {
        String s = location.toString();
        if (s.startsWith("file:")) {
            s = s.substring("file:".length());
        }
        return Path.of(s).toAbsolutePath().normalize().toString();
    }

    private static String names(List<String> locations) {
        return locations.stream().map(l -> Path.of(key(l)).getFileName().toString()).toList().toString();
    }

    /** The innermost cause, on one line: YAML errors carry the line and column there. */
    static String reason(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = String.valueOf(t.getMessage()).replaceAll("\\s+", " ").trim();
        return t.getClass().getSimpleName() + ": " + (m.length() > 500 ? m.substring(0, 500) + "..." : m);
    }
}
