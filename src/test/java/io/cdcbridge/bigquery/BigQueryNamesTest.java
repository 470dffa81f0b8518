package io.cdcbridge.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

/** Column names (docs/bigquery.md, "Column names"): distinct case-insensitively, never a metadata or reserved name. */
class BigQueryNamesTest {

    @Test
    void collidingNamesGetTheFirstFreeSuffixBySourceOrder() {
        assertThat(BigQueryNames.columnNames(List.of("Name", "name", "NAME", "e-mail", "e_mail", "e mail")))
                .containsExactly(Map.entry("Name", "Name"), Map.entry("name", "name_2"), Map.entry("NAME", "NAME_3"),
                        Map.entry("e-mail", "e_mail"), Map.entry("e_mail", "e_mail_2"), Map.entry("e mail", "e_mail_3"));
    }

    @Test
    void metadataColumnsAndReservedPrefixesAreNeverASourceColumnsName() {
        assertThat(BigQueryNames.columnNames(List.of("_op", "_LSN", "_PARTITIONTIME", "_table_suffix", "_FILE_NAME",
                "_ROW_TIMESTAMP", "__ROOT__", "_COLIDENTIFIER_x", "_partition_2")))
                .containsExactly(Map.entry("_op", "_op_2"), Map.entry("_LSN", "_LSN_2"),
                        Map.entry("_PARTITIONTIME", "c_PARTITIONTIME"), Map.entry("_table_suffix", "c_table_suffix"),
                        Map.entry("_FILE_NAME", "c_FILE_NAME"), Map.entry("_ROW_TIMESTAMP", "c_ROW_TIMESTAMP"),
                        Map.entry("__ROOT__", "c__ROOT__"), Map.entry("_COLIDENTIFIER_x", "c_COLIDENTIFIER_x"),
                        Map.entry("_partition_2", "c_partition_2"));
    }

    @Test
    void aColumnAddedLaterNeverRenamesOneAlreadyThere() {
        Map<String, String> before = BigQueryNames.columnNames(List.of("id", "e-mail", "e_mail"));
        // Postgres adds columns at the end; one even takes the name an earlier column was given
        Map<String, String> after = BigQueryNames.columnNames(List.of("id", "e-mail", "e_mail", "E_MAIL", "e_mail_2"));
        before.forEach((source, column) -> assertThat(after).containsEntry(source, column));
        assertThat(after).containsEntry("E_MAIL", "E_MAIL_3").containsEntry("e_mail_2", "e_mail_2_2");
        // and the same columns give the same names in a new process
        assertThat(BigQueryNames.columnNames(List.of("id", "e-mail", "e_mail"))).isEqualTo(before);
    }

    @Test
    void aSuffixedNameStaysWithinBigQuerysLength() {
        String longName = "x".repeat(300);
        Map<String, String> names = BigQueryNames.columnNames(List.of(longName, longName.toUpperCase()));
        assertThat(names.get(longName.toUpperCase())).hasSize(300).endsWith("_2");
    }
}
