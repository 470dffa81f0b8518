package io.cdcbridge.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Files, route files, HTTP, console, JMX, logs, progress lines, shutdown. */
public final class OpsSettings {

    public static final SettingsArea AREA = new SettingsArea("Files and operations",
            "Where the bridge keeps its files, the delivery route files, and how it is watched and stopped "
                    + "([docs/operations.md](operations.md)).");

    public static final Setting<Path> CONFIG = AREA.declare(Setting.path("cdc.config", "application.properties")
            .describe("settings file read after the shipped one (only as `-Dcdc.config=` or `CDC_CONFIG`); a missing "
                    + "file named this way stops start-up"));

    public static final Setting<Path> DATA_DIR = AREA.declare(Setting.path("cdc.data-dir", "data")
            .describe("offsets, dry-run output, the demo servers' data"));

    public static final Setting<Path> ROUTES_DIR = AREA.declare(Setting.path("cdc.routes.dir", "routes")
            .describe("delivery route files `*.camel.yaml`; when the directory is missing, the ones in the jar"));

    public static final Setting<Boolean> ROUTES_RELOAD = AREA.declare(Setting.bool("cdc.routes.reload", false)
            .describe("hot reload of the route files: delivery routes only, capture keeps running (a development "
                    + "feature: off unless set; the embedded demo switches it on)"));

    public static final Setting<Duration> PROGRESS_INTERVAL = AREA.declare(Setting.millis("cdc.progress-interval-ms", 5000).min(1)
            .describe("period of the capture and delivery status lines"));

    public static final Setting<Duration> SHUTDOWN_TIMEOUT = AREA.declare(Setting.seconds("cdc.shutdown-timeout-s", 30)
            .range(1, Integer.MAX_VALUE)
            .describe("bound of the graceful shutdown (routes drain and commit)"));

    public static final Setting<String> LOG_FORMAT = AREA.declare(Setting.choice("cdc.log.format", "text", "text", "json")
            .describe("`json` writes one JSON object per log line"));

    public static final Setting<Integer> HTTP_PORT = AREA.declare(Setting.integer("cdc.http.port", 8080).range(-1, 65535)
            .describe("status console, health and metrics; 0 = any free port, -1 = off"));

    public static final Setting<String> HTTP_HOST = AREA.declare(Setting.string("cdc.http.host", "127.0.0.1")
            .describe("address the HTTP port binds to (0.0.0.0 in the container)"));

    public static final Setting<String> CONSOLE_TOKEN = AREA.declare(Setting.string("cdc.console.token")
            .secret()
            .describe("required (header `X-Console-Token`) for every `/api/*` request when `cdc.http.host` is not loopback; "
                    + "without it the API is off there (health and metrics stay open)"));

    public static final Setting<List<String>> CONSOLE_SENSITIVE_COLUMNS = AREA.declare(Setting.list("cdc.console.sensitive-columns")
            .describe("`Column` or `Table.Column`, comma separated: masked in the console's events and dead letters"));

    public static final Setting<Integer> JMX_PORT = AREA.declare(Setting.port("cdc.jmx.port")
            .defaultText("*(off)*")
            .describe("remote JMX port (local JMX is always on); the `routes` command's default is 1099"));

    public static final Setting<String> JMX_HOST = AREA.declare(Setting.string("cdc.jmx.host", "127.0.0.1")
            .describe("address remote JMX binds to; beyond loopback only with `cdc.jmx.password` set (else start-up stops)"));

    public static final Setting<String> JMX_USER = AREA.declare(Setting.string("cdc.jmx.user", "cdc")
            .describe("user remote JMX asks for when `cdc.jmx.password` is set (the `routes` command sends both)"));

    public static final Setting<String> JMX_PASSWORD = AREA.declare(Setting.string("cdc.jmx.password")
            .secret()
            .describe("password of remote JMX; empty: no authentication, which only loopback allows"));

    public static final Setting<Boolean> JMX_SSL = AREA.declare(Setting.bool("cdc.jmx.ssl", false)
            .describe("remote JMX over TLS, with the JVM's key store (`-Djavax.net.ssl.keyStore=…`, "
                    + "`-Djavax.net.ssl.keyStorePassword=…`); clients need the matching trust store"));

    private OpsSettings() {
    }
}
