package io.cdcbridge.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;

/**
 * The patches of library classes (src/patches/java) as src/patches/patched-classes.txt records them, and where a
 * class file is found on the classpath: ours (a directory) and the library's original (a jar). docs/overrides.md.
 */
public final class PatchedClasses {

    public static final Path SOURCES = Path.of("src/patches/java");
    public static final Path MANIFEST = Path.of("src/patches/patched-classes.txt");

    /**
     * One patch: the class file it replaces ({@code io/debezium/.../EventFormatter.class}), the artifact that class
     * comes from ({@code group:artifact:version}) and the SHA-256 of that original class file.
     */
    public record Patch(String resource, String artifact, String sha256) {

        public String className() {
            return resource.substring(0, resource.length() - ".class".length()).replace('/', '.');
        }

        /** The source file: a nested class ({@code Outer$Inner.class}) is in its outer class's. */
        public String source() {
            String name = resource.substring(0, resource.length() - ".class".length());
            int nested = name.indexOf('$');
            return (nested < 0 ? name : name.substring(0, nested)) + ".java";
        }

        public String artifactId() {
            return artifact.split(":")[1];
        }

        public String version() {
            return artifact.split(":")[2];
        }
    }

    private PatchedClasses() {
    }

    public static List<Patch> all() {
        List<Patch> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(MANIFEST, StandardCharsets.UTF_8)) {
                String l = line.strip();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                String[] f = l.split("\\s+");
                if (f.length != 3 || f[1].split(":").length != 3 || !f[2].matches("[0-9a-f]{64}")) {
                    throw new IllegalStateException(MANIFEST + ": expected '<class file> <group:artifact:version> <sha256>', got: " + line);
                }
                out.add(new Patch(f[0], f[1], f[2]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** Every place the class file is found on this classpath, in the order the class loader looks. */
    public static List<URL> onClasspath(String resource) {
        try {
            return Collections.list(PatchedClasses.class.getClassLoader().getResources(resource));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The copies found inside jars (the library's originals). */
    public static List<URL> inJars(String resource) {
        return onClasspath(resource).stream().filter(u -> u.getProtocol().equals("jar")).toList();
    }

    public static byte[] bytes(URL url) {
        try (InputStream in = url.openStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
