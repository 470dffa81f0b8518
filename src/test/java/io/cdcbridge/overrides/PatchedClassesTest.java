package io.cdcbridge.overrides;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import io.cdcbridge.support.PatchedClasses;
import io.cdcbridge.support.PatchedClasses.Patch;
import org.junit.jupiter.api.Test;

/**
 * Guards the patches of library classes in src/patches/java (docs/overrides.md): each is recorded with the hash of
 * the original it replaces, that original is still the class it was written against, and the patch is what loads.
 */
class PatchedClassesTest {

    @Test
    void everyPatchIsRecordedWithTheOriginalItReplaces() throws IOException {
        Set<String> sources = new TreeSet<>();
        try (Stream<java.nio.file.Path> files = Files.walk(PatchedClasses.SOURCES)) {
            files.filter(f -> f.toString().endsWith(".java"))
                    .forEach(f -> sources.add(PatchedClasses.SOURCES.relativize(f).toString().replace('\\', '/')));
        }
        Set<String> recorded = new TreeSet<>();
        PatchedClasses.all().forEach(p -> recorded.add(p.source()));
        assertThat(sources).as("the classes in %s, each with a line in %s (docs/overrides.md)", PatchedClasses.SOURCES,
                PatchedClasses.MANIFEST).isNotEmpty().isEqualTo(recorded);
    }

    @Test
    void theReplacedOriginalsAreTheOnesThePatchesWereWrittenAgainst() {
        for (Patch p : PatchedClasses.all()) {
            List<URL> originals = PatchedClasses.inJars(p.resource());
            assertThat(originals).as("%s of %s on the test classpath", p.resource(), p.artifact()).hasSize(1);
            URL original = originals.get(0);
            String jar = original.getPath().substring(0, original.getPath().indexOf("!/"));
            jar = jar.substring(jar.lastIndexOf('/') + 1);
            String hash = PatchedClasses.sha256(PatchedClasses.bytes(original));
            assertThat(hash).as("""
                    %s in %s is not the class that src/patches/java/%s was written against (%s).
                    The library changed the class our patch replaces. Re-check the patch: compare it with the new upstream \
                    source (the constructor and every method Debezium calls, their signatures and what they return), \
                    fix it or delete it if it is no longer needed, check docs/benchmarks.md's reason still holds, then \
                    record the new hash and version in %s, and the version in pom.xml (debezium.version). \
                    See docs/overrides.md.""", p.resource(), jar, p.source(), p.artifact(), PatchedClasses.MANIFEST)
                    .isEqualTo(p.sha256());
            assertThat(jar).as("the jar the original comes from").isEqualTo(p.artifactId() + "-" + p.version() + ".jar");
        }
    }

    @Test
    void thePatchIsTheClassThatLoads() throws ClassNotFoundException {
        for (Patch p : PatchedClasses.all()) {
            List<URL> found = PatchedClasses.onClasspath(p.resource());
            assertThat(found.get(0).getProtocol()).as("the first %s on the classpath must be ours (a directory), found %s",
                    p.resource(), found).isEqualTo("file");
            Class<?> loaded = Class.forName(p.className(), false, getClass().getClassLoader());
            String from = loaded.getProtectionDomain().getCodeSource().getLocation().toString();
            assertThat(from).as("where %s was loaded from", p.className()).doesNotEndWith(".jar").doesNotContain(p.artifactId());
            assertThat(PatchedClasses.sha256(PatchedClasses.bytes(found.get(0)))).as("ours differs from the original")
                    .isNotEqualTo(p.sha256());
        }
    }
}
