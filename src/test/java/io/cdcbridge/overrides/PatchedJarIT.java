package io.cdcbridge.overrides;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import io.cdcbridge.support.PatchedClasses;
import io.cdcbridge.support.PatchedClasses.Patch;
import org.junit.jupiter.api.Test;

/** The shaded jar holds our patches of library classes, not the originals (docs/overrides.md, pom.xml shade filters). */
class PatchedJarIT {

    @Test
    void theShadedJarHoldsEachPatchNotTheOriginal() throws IOException {
        Path jar = Path.of(System.getProperty("cdc.test.jar", "target/cdc-bridge.jar"));
        assertThat(jar).as("the shaded jar (mvn package)").isRegularFile();
        try (JarFile shaded = new JarFile(jar.toFile())) {
            for (Patch p : PatchedClasses.all()) {
                JarEntry entry = shaded.getJarEntry(p.resource());
                assertThat(entry).as("%s in %s", p.resource(), jar).isNotNull();
                byte[] inJar;
                try (InputStream in = shaded.getInputStream(entry)) {
                    inJar = in.readAllBytes();
                }
                URL ours = PatchedClasses.onClasspath(p.resource()).get(0);
                assertThat(ours.getProtocol()).as("our compiled patch").isEqualTo("file");
                assertThat(PatchedClasses.sha256(inJar)).as("%s in the shaded jar: our patch, not %s's original",
                        p.resource(), p.artifact()).isEqualTo(PatchedClasses.sha256(PatchedClasses.bytes(ours)))
                        .isNotEqualTo(p.sha256());
            }
        }
    }
}
