package io.cdcbridge.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made at test time with the {@code openssl} command: a test CA, a server certificate it signs (for
 * 127.0.0.1 only, so a client that checks host names refuses the server reached as {@code localhost}), and a second CA
 * that signed nothing (a wrong CA file). EC P-256 keys: quick to make.
 */
public final class TestTls {

    /** The only name the server certificate holds (an IP subject alternative name). */
    public static final String SERVER_HOST = "127.0.0.1";
    /** A name that reaches the same server but is not in its certificate. */
    public static final String OTHER_HOST = "localhost";

    public final Path caCert;
    public final Path otherCaCert;
    public final Path serverCert;
    public final Path serverKey;

    private TestTls(Path dir) {
        this.caCert = dir.resolve("ca.crt");
        this.otherCaCert = dir.resolve("other-ca.crt");
        this.serverCert = dir.resolve("server.crt");
        this.serverKey = dir.resolve("server.key");
    }

    public static TestTls create(Path dir) {
        try {
            Files.createDirectories(dir);
            TestTls t = new TestTls(dir);
            Files.writeString(dir.resolve("server.ext"), "subjectAltName=IP:" + SERVER_HOST + "\nbasicConstraints=CA:FALSE\n"
                    + "keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n", StandardCharsets.US_ASCII);
            ca(dir, "ca", "cdc-bridge test CA");
            ca(dir, "other-ca", "some other CA");
            openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key",
                    "-out", "server.csr", "-subj", "/CN=cdc-bridge test server");
            openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", "server.crt", "-days", "7", "-extfile", "server.ext");
            // Postgres refuses a key file others may read
            Files.setPosixFilePermissions(t.serverKey, PosixFilePermissions.fromString("rw-------"));
            return t;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void ca(Path dir, String name, String cn) {
        openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key",
                "-out", name + ".crt", "-days", "7", "-subj", "/CN=" + cn,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private static void openssl(Path dir, String... args) {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run openssl (installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
