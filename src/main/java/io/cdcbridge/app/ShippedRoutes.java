package io.cdcbridge.app;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The route files inside the application (jar or classes directory), as explicit {@code classpath:} locations.
 * A wildcard ({@code classpath:routes/*.camel.yaml}) makes Camel scan every entry of the 170 MB jar, which cost
 * 2.6 s of a 4 s start-up; reading the jar's directory once here takes a few milliseconds.
 */
final class ShippedRoutes {

    private static final String DIR = "routes/";
    private static final String SUFFIX = ".camel.yaml";

    private ShippedRoutes() {
    }

    static String locations() {
        List<String> out = new ArrayList<>();
        try {
            Path here = Path.of(ShippedRoutes.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(here)) {
                Path dir = here.resolve(DIR);
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> files = Files.list(dir)) {
                        files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(SUFFIX)).sorted()
                                .forEach(n -> out.add("classpath:" + DIR + n));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(here.toFile())) {
                    jar.stream().map(JarEntry::getName)
                            .filter(n -> n.startsWith(DIR) && n.endsWith(SUFFIX) && n.indexOf('/', DIR.length()) < 0)
                            .sorted().forEach(n -> out.add("classpath:" + n));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the shipped routes", e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot locate the application's code", e);
        }
        return String.join(",", out);
    }
}
