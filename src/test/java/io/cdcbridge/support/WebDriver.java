package io.cdcbridge.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;

/**
 * Headless Debian Chromium driven over the W3C WebDriver protocol (chromedriver), for browser tests: no Selenium,
 * just HTTP. Needs {@code /usr/bin/chromium} and {@code /usr/bin/chromedriver} (the build installs them
 * before the integration tests: src/test/sh/ensure-browser.sh).
 */
public final class WebDriver implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ELEMENT = "element-6066-11e4-a52e-4f735466cecf";
    private final Process driver;
    private final String base;
    private final String session;
    private final HttpClient http = HttpClient.newHttpClient();

    public WebDriver() throws Exception {
        for (String bin : List.of("/usr/bin/chromium", "/usr/bin/chromedriver")) {
            if (!Files.isExecutable(Path.of(bin))) {
                throw new IllegalStateException(bin + " is missing: apt-get install chromium chromium-driver (.ci/run does)");
            }
        }
        int port = io.cdcbridge.demo.EmbeddedKafkaBroker.freePort();
        driver = new ProcessBuilder("/usr/bin/chromedriver", "--port=" + port).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        base = "http://127.0.0.1:" + port;
        Awaitility.await("chromedriver").atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> call("GET", "/status", null).path("value").path("ready").asBoolean());
        JsonNode s = call("POST", "/session", Map.of("capabilities", Map.of("alwaysMatch", Map.of("browserName", "chrome",
                "goog:chromeOptions", Map.of("binary", "/usr/bin/chromium",
                        "args", List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"))))));
        session = s.path("value").path("sessionId").asText();
    }

    public void open(String url) throws Exception {
        call("POST", "/session/" + session + "/url", Map.of("url", url));
    }

    /** The text of the first element matching the CSS selector, or null if none. */
    public String text(String css) throws Exception {
        String id = find(css);
        return id == null ? null : call("GET", "/session/" + session + "/element/" + id + "/text", null).path("value").asText();
    }

    /** An attribute of the first element matching the CSS selector (SVG too: a polyline's points), or null if none. */
    public String attribute(String css, String name) throws Exception {
        String id = find(css);
        if (id == null) {
            return null;
        }
        JsonNode v = call("GET", "/session/" + session + "/element/" + id + "/attribute/" + name, null).path("value");
        return v.isNull() ? null : v.asText();
    }

    /**
     * Clicks the first element matching the selector. The console redraws its tables on every refresh, so the element
     * found may be replaced before the click lands ("stale element"): then it is found again and clicked, a few times.
     */
    public void click(String css) throws Exception {
        for (int attempt = 1; ; attempt++) {
            String id = find(css);
            if (id == null) {
                throw new IllegalStateException("no element " + css);
            }
            try {
                call("POST", "/session/" + session + "/element/" + id + "/click", Map.of());
                return;
            } catch (IllegalStateException e) {
                if (attempt >= 5 || e.getMessage() == null || !e.getMessage().contains("stale element")) {
                    throw e;
                }
            }
        }
    }

    /** Sets the window's size (a taller window shows the whole page in one screenshot). */
    public void resize(int width, int height) throws Exception {
        call("POST", "/session/" + session + "/window/rect", Map.of("width", width, "height", height));
    }

    /** Runs a script in the page (e.g. {@code window.scrollTo(0, 0)} before a screenshot). */
    public void script(String js) throws Exception {
        call("POST", "/session/" + session + "/execute/sync", Map.of("script", js, "args", List.of()));
    }

    public void screenshot(Path png) throws Exception {
        String b64 = call("GET", "/session/" + session + "/screenshot", null).path("value").asText();
        Files.createDirectories(png.toAbsolutePath().getParent());
        Files.write(png, Base64.getDecoder().decode(b64));
    }

    private String find(String css) throws Exception {
        JsonNode r = call("POST", "/session/" + session + "/elements", Map.of("using", "css selector", "value", css));
        JsonNode list = r.path("value");
        return list.isArray() && list.size() > 0 ? list.get(0).path(ELEMENT).asText() : null;
    }

    private JsonNode call(String method, String path, Object body) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json");
        b = switch (method) {
            case "GET" -> b.GET();
            case "DELETE" -> b.DELETE();
            default -> b.POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
        };
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode n = JSON.readTree(r.body());
        if (r.statusCode() >= 400) {
            throw new IllegalStateException("WebDriver " + method + " " + path + " → " + r.statusCode() + ": " + n.path("value").path("message").asText());
        }
        return n;
    }

    @Override
    public void close() {
        try {
            if (session != null) {
                call("DELETE", "/session/" + session, null);
            }
        } catch (Exception ignored) {
            // the browser goes with the driver anyway
        }
        driver.destroy();
    }
}
