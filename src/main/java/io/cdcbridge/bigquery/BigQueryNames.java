package io.cdcbridge.bigquery;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import io.cdcbridge.config.BigQuerySettings;
import io.cdcbridge.config.KafkaSettings;
import io.cdcbridge.config.Settings;
import io.cdcbridge.util.LastValue;

/**
 * Which source tables go to BigQuery and under which table name (docs/architecture.md §7): {@code <prefix>_<schema>_<table>}
 * sanitized, unless renamed with {@code cdc.bigquery.table.<schema>.<table>=<name>}; {@code cdc.bigquery.tables} is an
 * include list ({@code schema.table,...}, empty = all), {@code cdc.bigquery.exclude} an exclude list.
 */
public final class BigQueryNames {

    private final String prefix;
    private final Set<String> include;
    private final Set<String> exclude;
    private final Map<String, String> renames;

    public BigQueryNames(String prefix, Set<String> include, Set<String> exclude, Map<String, String> renames) {
        this.prefix = prefix;
        this.include = include;
        this.exclude = exclude;
        this.renames = renames;
    }

    public static BigQueryNames from(Settings settings) {
        return new BigQueryNames(settings.get(KafkaSettings.TOPIC_PREFIX), new LinkedHashSet<>(settings.get(BigQuerySettings.TABLES)),
                new LinkedHashSet<>(settings.get(BigQuerySettings.EXCLUDE)), settings.under(BigQuerySettings.TABLE));
    }

    /** Whether changes of this source table are delivered. */
    public boolean delivers(String schema, String table) {
        String id = schema + "." + table;
        return (include.isEmpty() || include.contains(id)) && !exclude.contains(id);
    }

    /** The changelog table's id in the dataset. */
    public String tableId(String schema, String table) {
        return tableIds.get(new SourceTable(schema, table));
    }

    private record SourceTable(String schema, String table) {
    }

    /** A batch's records come table by table: the id is worked out once per run of them, not per row. */
    private final LastValue<SourceTable, String> tableIds = LastValue.byValue(this::idOf);

    private String idOf(SourceTable t) {
        String renamed = renames.get(t.schema() + "." + t.table());
        return renamed != null ? renamed : sanitize(prefix + "_" + t.schema() + "_" + t.table());
    }

    /**
     * Prefixes BigQuery reserves for its own pseudo-columns (case-insensitive): a column named so is refused when the
     * table is made ("Invalid field name"), see Google's "Specify a schema", column names.
     */
    static final List<String> RESERVED_PREFIXES = List.of("_partition", "_table_", "_file_", "_row_timestamp", "__root__", "_colidentifier");

    /** What a column whose sanitized name starts with a reserved prefix is given before it: {@code _PARTITIONTIME} → {@code c_PARTITIONTIME}. */
    static final String RESERVED_ESCAPE = "c";

    /**
     * The BigQuery column of each source column (docs/bigquery.md, column names): in source order (Postgres column
     * order, which is the order of the types header), each column gets its sanitized name, {@code c} before a name that
     * starts with a reserved prefix, and, when that name is already taken case-insensitively (BigQuery column names are
     * case-insensitive) by a metadata column or by an earlier source column, the first free {@code _2}, {@code _3}, …
     * after it. A column Postgres adds comes last in that order, so it never renames a column already there.
     *
     * @return source name → column name, in source order
     */
    public static Map<String, String> columnNames(Iterable<String> sourceColumns) {
        Set<String> taken = new java.util.HashSet<>();
        BigQueryRowMapper.METADATA.keySet().forEach(m -> taken.add(m.toLowerCase(Locale.ROOT)));
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String source : sourceColumns) {
            if (out.containsKey(source)) {
                continue;
            }
            String base = sanitize(source);
            String folded = base.toLowerCase(Locale.ROOT);
            if (RESERVED_PREFIXES.stream().anyMatch(folded::startsWith)) {
                base = RESERVED_ESCAPE + base;
            }
            String name = base;
            for (int n = 2; taken.contains(name.toLowerCase(Locale.ROOT)); n++) {
                String suffix = "_" + n;
                name = (base.length() + suffix.length() > MAX_NAME ? base.substring(0, MAX_NAME - suffix.length()) : base) + suffix;
            }
            taken.add(name.toLowerCase(Locale.ROOT));
            out.put(source, name);
        }
        return out;
    }

    /** BigQuery's longest column name. */
    static final int MAX_NAME = 300;

    /** A BigQuery-safe identifier: letters, digits and underscores, not starting with a digit; case kept. */
    public static String sanitize(String name) {
        StringBuilder b = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            b.append((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ? c : '_');
        }
        if (b.length() == 0 || Character.isDigit(b.charAt(0))) {
            b.insert(0, '_');
        }
        return b.length() > MAX_NAME ? b.substring(0, MAX_NAME) : b.toString();
    }

    @Override
    public String toString() {
        return "tables=" + (include.isEmpty() ? "all" : include) + " exclude=" + exclude + " renames=" + renames.keySet()
                + " prefix=" + prefix.toLowerCase(Locale.ROOT);
    }
}
