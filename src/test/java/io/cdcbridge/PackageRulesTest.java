package io.cdcbridge;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The dependency rules of docs/architecture.md §2, checked on every reference in the main sources (imports and fully
 * qualified names alike): a package may use the packages of its row and nothing else of ours.
 */
class PackageRulesTest {

    /** package → the packages it may use besides itself and util (the table of docs/architecture.md §2). */
    private static final Map<String, Set<String>> MAY_USE = Map.ofEntries(
            Map.entry("config", Set.of()),
            Map.entry("util", Set.of()),
            Map.entry("event", Set.of("config", "errors")),
            Map.entry("errors", Set.of("config")),
            Map.entry("capture", Set.of("event", "config")),
            Map.entry("delivery", Set.of("event", "config", "errors")),
            Map.entry("bigquery", Set.of("delivery", "event", "config", "errors")),
            Map.entry("carol", Set.of("delivery", "event", "config", "errors")),
            Map.entry("ops", Set.of("config", "errors", "capture", "delivery")),
            Map.entry("app", Set.of("config", "errors", "capture", "delivery", "event", "bigquery", "carol", "ops")),
            Map.entry("demo", Set.of("config", "app")),
            Map.entry("", Set.of("app", "config", "errors", "ops")));

    private static final Pattern REF = Pattern.compile("io\\.cdcbridge\\.([a-z]+)\\.");

    @Test
    void everyPackageUsesOnlyWhatItsRowAllows() throws IOException {
        Path root = Path.of("src/main/java/io/cdcbridge");
        List<String> breaches = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Path rel = root.relativize(f);
                String pkg = rel.getNameCount() == 1 ? "" : rel.getName(0).toString();
                Set<String> allowed = MAY_USE.get(pkg);
                assertThat(allowed).as("package %s is in docs/architecture.md §2", pkg).isNotNull();
                Set<String> used = new TreeSet<>();
                Matcher m = REF.matcher(Files.readString(f));
                while (m.find()) {
                    used.add(m.group(1));
                }
                for (String u : used) {
                    if (!u.equals(pkg) && !u.equals("util") && !allowed.contains(u)) {
                        breaches.add(rel + " uses " + u + "/");
                    }
                }
            }
        }
        assertThat(breaches).as("references docs/architecture.md §2 does not allow").isEmpty();
    }
}
