package io.cdcbridge.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.Awaitility;

/**
 * A runnable jar, built by {@code mvn package} before the ITs, as a child JVM: the way users run it. {@link #start}
 * runs {@code target/cdc-bridge.jar} (with the demo), {@link #startServer} the production
 * {@code target/cdc-bridge-server.jar}. Settings go in as {@code -D} system properties; output goes to
 * {@code <dir>/bridge-N.log}.
 */
public final class BridgeProcess implements AutoCloseable {

    private static int seq;

    private final Process process;
    private final Path log;

    private BridgeProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    public static Path jar() {
        return built(System.getProperty("cdc.test.jar", "target/cdc-bridge.jar"));
    }

    /** The production jar: no demo classes, no embedded servers. */
    public static Path serverJar() {
        return built(System.getProperty("cdc.test.server-jar", "target/cdc-bridge-server.jar"));
    }

    private static Path built(String jar) {
        Path p = Path.of(jar);
        if (!Files.isRegularFile(p)) {
            throw new IllegalStateException("the runnable jar " + p.toAbsolutePath() + " is missing: run the ITs with mvn verify");
        }
        return p.toAbsolutePath();
    }

    /** Starts {@code java -jar cdc-bridge.jar args...} in {@code workDir} with the given settings. */
    public static BridgeProcess start(Path workDir, Map<String, String> settings, String... args) {
        return start(jar(), workDir, settings, args);
    }

    /** Starts {@code java -jar cdc-bridge-server.jar args...} in {@code workDir} with the given settings. */
    public static BridgeProcess startServer(Path workDir, Map<String, String> settings, String... args) {
        return start(serverJar(), workDir, settings, args);
    }

    private static BridgeProcess start(Path jar, Path workDir, Map<String, String> settings, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx512m");
        settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        cmd.add(jar.toString());
        cmd.addAll(List.of(args));
        try {
            Files.createDirectories(workDir);
            Path log;
            synchronized (BridgeProcess.class) {
                log = workDir.resolve("bridge-" + (++seq) + ".log");
            }
            Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            return new BridgeProcess(p, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String output() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** Waits until the output contains the text (failing early, with the output, if the process exits). */
    public BridgeProcess awaitOutput(String text, Duration timeout) {
        Awaitility.await("'" + text + "' in " + log).atMost(timeout).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    String out = output();
                    if (!out.contains(text) && !process.isAlive()) {
                        throw new AssertionError("the bridge exited (" + process.exitValue() + ") before printing '" + text + "':\n" + out);
                    }
                    return out.contains(text);
                });
        return this;
    }

    public BridgeProcess awaitStreaming() {
        return awaitOutput("Streaming changes from slot", Duration.ofSeconds(90));
    }

    /** SIGTERM, as a service manager or {@code docker stop} sends it; returns the exit code. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the bridge did not exit within " + timeout + " of SIGTERM:\n" + output());
        }
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook, no flush. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the bridge did not exit within " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
