package io.cdcbridge;

import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.cdcbridge.app.Bridge;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Settings;

/**
 * {@code java -jar cdc-bridge.jar [run]}: runs the bridge (the embedded demo with the shipped settings).
 * Start-up problems end the process with one readable line and a non-zero exit code.
 */
public final class Main {

    /** The status the process ends with, also when a shutdown hook ends it. */
    private static volatile int exitStatus;

    private Main() {
    }

    public static void main(String[] args) {
        String command = args.length == 0 ? "run" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        int code;
        try {
            Settings settings = Settings.load(System.getenv(), System.getProperties());
            System.setProperty("cdc.log.format", settings.getChoice("cdc.log.format", "text", "text", "json"));
            code = switch (command) {
                case "run" -> run(settings);
                case "help", "--help", "-h" -> usage(0);
                default -> usage(2);
            };
        } catch (ConfigException e) {
            System.err.println("cdc-bridge: configuration error: " + e.getMessage());
            code = 2;
        } catch (Exception | Error e) {
            System.err.println("cdc-bridge: failed to start: " + rootMessage(e));
            code = 1;
        }
        exitStatus = code;
        System.exit(code);
    }

    private static int run(Settings settings) throws Exception {
        // On SIGTERM the JVM only waits for shutdown hooks, not for this thread: this hook holds the exit until the
        // bridge has stopped capture, drained and committed, then exits 0 (a requested stop is not a failure).
        CountDownLatch closed = new CountDownLatch(1);
        int timeoutS = settings.getInt("cdc.shutdown-timeout-s", 30) + 15;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                if (closed.await(timeoutS, TimeUnit.SECONDS)) {
                    Runtime.getRuntime().halt(exitStatus);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "cdc-bridge-shutdown"));
        try (Bridge bridge = Bridge.create(settings)) {
            bridge.runUntilShutdown();
        } finally {
            closed.countDown();
        }
        return 0;
    }

    private static int usage(int code) {
        System.out.println("""
                usage: java -jar cdc-bridge.jar [command]
                  run      capture Postgres changes and deliver them (default)
                  help     this text
                Settings: application.properties, CDC_* environment variables or -Dcdc.* (see README).""");
        return code;
    }

    /** The innermost cause's message: the one line a user can act on. */
    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            if (t instanceof ConfigException) {
                break;
            }
            t = t.getCause();
        }
        if (t instanceof ConfigException) {
            return "configuration error: " + t.getMessage();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }
}
