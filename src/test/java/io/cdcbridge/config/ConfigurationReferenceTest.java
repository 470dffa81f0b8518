package io.cdcbridge.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md is what {@link SettingsCatalog#reference()} generates from the declarations: it fails when
 * the file is stale, and rewrites it when run with {@code -Dcdc.docs.update=true}.
 */
class ConfigurationReferenceTest {

    private static final Path FILE = Path.of("docs", "configuration.md");
    static final String REGENERATE = "mvn -q -o test -Dtest=ConfigurationReferenceTest -Dcdc.docs.update=true";

    @Test
    void docsConfigurationMdIsGeneratedFromTheCatalog() throws Exception {
        String generated = SettingsCatalog.reference();
        if (Boolean.getBoolean("cdc.docs.update")) {
            Files.writeString(FILE, generated, StandardCharsets.UTF_8);
        }
        String onDisk = Files.exists(FILE) ? Files.readString(FILE, StandardCharsets.UTF_8) : "";
        assertThat(onDisk).as("%s is stale (a setting was declared, changed or removed): regenerate it with `%s`", FILE, REGENERATE)
                .isEqualTo(generated);
    }

    @Test
    void everyDeclaredSettingHasARowWithItsDefault() {
        String doc = SettingsCatalog.reference();
        for (Setting<?> s : SettingsCatalog.all()) {
            Matcher row = Pattern.compile("(?m)^\\| `" + Pattern.quote(s.pattern()) + "` \\| ([^|]*) \\| (.*)$").matcher(doc);
            assertThat(row.find()).as("a row for %s", s).isTrue();
            assertThat(doc.indexOf("| `" + s.pattern() + "` |", row.end())).as("one row for %s", s).isEqualTo(-1);
            if (s.defaultValue() != null && !s.defaultDescription().isEmpty()) {
                assertThat(row.group(2)).as("%s shows its default", s).startsWith(s.defaultDescription() + " ");
            }
            assertThat(row.group(0).endsWith("| secret |")).as("%s secret column", s).isEqualTo(s.isSecret());
        }
        assertThat(doc).contains("| `cdc.bigquery.batch-size` | int, 1–500 | `500` | rows per insertAll request |  |")
                .contains("| `cdc.offsets.store` | one of `file`, `kafka` | `file` |")
                .contains("| `cdc.carol.password` | string | — (required when `cdc.carol.auth=password`) |");
    }
}
