package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.carol.CarolSink;
import io.cdcbridge.config.Settings;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.TestInfra;
import org.apache.camel.Route;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Editing routes/carol.camel.yaml under a running bridge: the new routing takes effect within seconds without a
 * restart, the other tables' events are neither lost nor skipped across the reloads, and a broken file is refused
 * with a log line while the previous route keeps delivering.
 */
class HotReloadIT {

    @Test
    void editingTheCarolRouteChangesRoutingWhileRunningAndABrokenFileIsRefused() throws Exception {
        String prefix = TestInfra.newPrefix("reload");
        Path dir = TestInfra.newDir(prefix);
        Path routes = Files.createDirectories(dir.resolve("routes"));
        for (String f : List.of("bigquery.camel.yaml", "carol.camel.yaml")) {
            Files.copy(Path.of("routes", f), routes.resolve(f));
        }
        ListAppender<ILoggingEvent> log = new ListAppender<>();
        log.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
        try (FakeCarol carol = FakeCarol.start(Clock.systemUTC())) {
            Map<String, String> s = TestInfra.deliverySettings(prefix, dir, carol);
            s.put("cdc.routes.dir", routes.toString());
            s.put("cdc.routes.reload", "true");
            try (Bridge b = Bridge.start(Settings.of(s))) {
                events(prefix, "Users", 0, 5);
                events(prefix, "Books", 0, 5);
                await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("users").size() == 5 && carol.records("books").size() == 5);

                // stop routing Users to Carol: an edit of the route file
                Path file = routes.resolve("carol.camel.yaml");
                String original = Files.readString(file);
                reload(b, file, original.replace("exclude: \"{{cdc.carol.exclude}}\"", "exclude: \"public.Users\""));
                events(prefix, "Users", 5, 10);
                events(prefix, "Books", 5, 10);
                await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("books").size() == 10);
                assertThat(carol.records("users")).hasSize(5);

                // and back: Users flow again
                reload(b, file, original);
                events(prefix, "Users", 10, 15);
                events(prefix, "Books", 10, 15);
                await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("books").size() == 15 && carol.records("users").size() == 10);
                assertThat(ids(carol, "books")).isEqualTo(IntStream.range(0, 15).boxed().toList());
                assertThat(ids(carol, "users")).isEqualTo(List.of(0, 1, 2, 3, 4, 10, 11, 12, 13, 14));

                // a broken file: refused with a log line, the running route keeps delivering
                Route before = b.camel().getRoute(CarolSink.ROUTE_ID);
                Files.writeString(file, original.replace("- route:", "- route:\n    bogus: [unclosed"));
                await().atMost(Duration.ofSeconds(30)).until(() -> log.list.stream()
                        .anyMatch(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)
                                && e.getFormattedMessage().contains("carol.camel.yaml")));
                assertThat(b.camel().getRoute(CarolSink.ROUTE_ID)).isSameAs(before);
                events(prefix, "Books", 15, 20);
                await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("books").size() == 20);

                // a file that parses but whose route cannot be built (an unknown sink): rejected, the route put back
                log.list.clear();
                Files.writeString(file, original.replace("uri: sink:carol", "uri: sink:nosuchsink"));
                await().atMost(Duration.ofSeconds(30)).until(() -> log.list.stream()
                        .anyMatch(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)
                                && e.getFormattedMessage().contains("carol.camel.yaml")));
                await().atMost(Duration.ofSeconds(30)).until(() -> b.camel().getRoute(CarolSink.ROUTE_ID) != null
                        && b.camel().getRouteController().getRouteStatus(CarolSink.ROUTE_ID).isStarted());
                events(prefix, "Books", 20, 25);
                await().atMost(Duration.ofSeconds(30)).until(() -> carol.records("books").size() == 25);
            }
        } finally {
            ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
        }
    }

    /** Writes the file and waits until Camel has replaced the route (a new Route object). */
    private static void reload(Bridge b, Path file, String content) throws Exception {
        Route before = b.camel().getRoute(CarolSink.ROUTE_ID);
        Files.writeString(file, content);
        await("route reloaded").atMost(Duration.ofSeconds(30)).until(() -> {
            Route now = b.camel().getRoute(CarolSink.ROUTE_ID);
            return now != null && now != before && b.camel().getRouteController().getRouteStatus(CarolSink.ROUTE_ID).isStarted();
        });
    }

    private static List<Integer> ids(FakeCarol carol, String staging) {
        return carol.records(staging).stream().map(r -> r.path("Id").asInt()).sorted().toList();
    }

    private static void events(String prefix, String table, int from, int to) {
        for (int i = from; i < to; i++) {
            TestInfra.produce(prefix + ".public." + table, "{\"Id\":" + i + "}",
                    "{\"v\":1,\"op\":\"c\",\"schema\":\"public\",\"table\":\"" + table + "\",\"key\":{\"Id\":" + i + "},\"before\":null,"
                            + "\"after\":{\"Id\":" + i + ",\"Name\":\"n" + i + "\"},\"source\":{\"lsn\":" + i + ",\"txId\":1,\"tsMs\":1,\"snapshot\":false}}",
                    "cdc.types", "{\"Id\":\"int4\",\"Name\":\"text\"}");
        }
    }
}
