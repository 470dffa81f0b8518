package io.cdcbridge.bigquery;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.DatasetInfo;
import com.google.cloud.bigquery.Field;
import com.google.cloud.bigquery.FieldList;
import com.google.cloud.bigquery.Schema;
import com.google.cloud.bigquery.StandardSQLTypeName;
import com.google.cloud.bigquery.Clustering;
import com.google.cloud.bigquery.StandardTableDefinition;
import com.google.cloud.bigquery.TimePartitioning;
import com.google.cloud.bigquery.Table;
import com.google.cloud.bigquery.TableId;
import com.google.cloud.bigquery.TableInfo;
import com.google.cloud.bigquery.ViewDefinition;
import io.cdcbridge.config.BigQuerySettings;
import io.cdcbridge.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Table management (the Camel producer only inserts): creates the dataset and a changelog table on first sight of a
 * source table, with its columns and the metadata columns; adds columns the source gained (never drops one, never
 * changes a type: BigQuery cannot); a column whose source type changed so that its values no longer fit gets a new
 * column {@code <column>_<type>} beside it ({@link #retypedName}, docs/types.md "Schema changes") and
 * {@link #column} sends the values there; keeps the {@code <table>_latest} view's column list in step with the table.
 *
 * <p>What it has seen is cached, so a batch whose columns are all known costs no API call.
 */
public final class BigQueryTables {

    private static final Logger LOG = LoggerFactory.getLogger(BigQueryTables.class);
    public static final String VIEW_SUFFIX = "_latest";
    public static final String CURRENT_SUFFIX = "_current";

    /** @param columns lower-case column name → its type in BigQuery */
    private record Known(Map<String, ColumnType> columns, List<String> keyColumns) {
    }

    private final BigQuery bigquery;
    private final String project;
    private final String dataset;
    private final Map<String, Known> known = new ConcurrentHashMap<>();
    private final Map<String, Object> locks = new ConcurrentHashMap<>();
    private final Set<String> conflictsLogged = ConcurrentHashMap.newKeySet();
    private final Set<String> unpartitionedLogged = ConcurrentHashMap.newKeySet();
    /** changelog table → the key columns of its {@code _current} table and a version bumped whenever its schema grew */
    private final Map<String, Current> currents = new ConcurrentHashMap<>();
    private final Set<String> tooWideLogged = ConcurrentHashMap.newKeySet();

    /** A current-state table as made: its key and how often its schema changed (a writer built before is stale). */
    record Current(List<String> keyColumns, int version) {
    }
    private final Layout layout;
    private volatile boolean datasetReady;

    /** With the layout the settings' defaults give (tests). */
    public BigQueryTables(BigQuery bigquery, String project, String dataset) {
        this(bigquery, project, dataset, Layout.from(Settings.of(Map.of())));
    }

    public BigQueryTables(BigQuery bigquery, String project, String dataset, Layout layout) {
        this.bigquery = bigquery;
        this.project = project;
        this.dataset = dataset;
        this.layout = layout;
    }

    /** Makes sure the table exists with at least these source columns, and its latest-state view. */
    public void ensure(String tableId, Map<String, ColumnType> columns, List<String> keyColumns) {
        Known k = known.get(tableId);
        if (k != null && placed(k, columns) && (keyColumns.isEmpty() || k.keyColumns().equals(keyColumns))) {
            return;
        }
        // one table at a time, tables side by side (the engine prepares a batch's tables in parallel): all that doEnsure
        // keeps is per table, and the dataset's creation tolerates a race (409)
        synchronized (locks.computeIfAbsent(tableId, t -> new Object())) {
            try {
                doEnsure(tableId, columns, keyColumns);
            } catch (BigQueryException e) {
                throw BigQueryFailures.classify(e);
            }
        }
    }

    /**
     * The column a source column's values of this type go to: the column itself, unless its BigQuery type cannot take
     * them (the source type changed, e.g. int → text) and {@link #ensure} made {@link #retypedName} for them.
     */
    public String column(String tableId, String name, ColumnType type) {
        Known k = known.get(tableId);
        ColumnType have = k == null ? null : k.columns().get(name.toLowerCase(Locale.ROOT));
        if (have == null || fits(type, have)) {
            return name;
        }
        String retyped = retypedName(name, type);
        ColumnType alt = k.columns().get(retyped.toLowerCase(Locale.ROOT));
        return alt != null && fits(type, alt) ? retyped : name;
    }

    /** The column made for a source column's values once its type changed incompatibly: {@code code_string}. */
    static String retypedName(String name, ColumnType type) {
        return name + "_" + type.type().toLowerCase(Locale.ROOT) + (type.repeated() ? "_array" : "");
    }

    /**
     * Whether a column typed {@code have} takes values mapped as {@code want} without loss: the same type; whole numbers
     * in FLOAT64 or (BIG)NUMERIC; any scalar but JSON in STRING (BigQuery takes them as their text).
     */
    static boolean fits(ColumnType want, ColumnType have) {
        if (want.repeated() != have.repeated()) {
            return false;
        }
        String w = want.type();
        String h = ColumnType.normalize(have.type());
        return w.equals(h)
                || (w.equals(ColumnType.INT64) && Set.of(ColumnType.FLOAT64, ColumnType.BIGNUMERIC, "NUMERIC").contains(h))
                || (h.equals(ColumnType.STRING) && !w.equals(ColumnType.JSON));
    }

    /** Whether every column has a place known already: itself, or its retyped column. */
    private static boolean placed(Known k, Map<String, ColumnType> columns) {
        for (Map.Entry<String, ColumnType> c : columns.entrySet()) {
            ColumnType have = k.columns().get(c.getKey().toLowerCase(Locale.ROOT));
            if (have == null) {
                return false;
            }
            if (!fits(c.getValue(), have)) {
                ColumnType alt = k.columns().get(retypedName(c.getKey(), c.getValue()).toLowerCase(Locale.ROOT));
                if (alt == null || !fits(c.getValue(), alt)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Forgets what is known of a table (and of the dataset): BigQuery answered that it does not exist (deleted behind
     * the bridge's back, e.g. by a dataset's default table expiration), so the next {@link #ensure} makes it again.
     */
    public void forget(String tableId) {
        known.remove(tableId);
        datasetReady = false;
    }

    /**
     * How a changelog table the bridge creates is laid out (docs/bigquery.md, "Partitioning"): time partitioning on
     * {@code _ingested_at} (the default, {@code day}, or per table), and clustering by the key columns, then {@code _lsn}.
     */
    public record Layout(String partitioning, Map<String, String> perTable, boolean clustering, boolean currentTable,
                         String maxStaleness) {

        public static Layout from(Settings s) {
            return new Layout(s.get(BigQuerySettings.PARTITIONING), s.under(BigQuerySettings.PARTITIONING_TABLE),
                    s.get(BigQuerySettings.CLUSTERING),
                    // CDC upserts exist only on the Storage Write API
                    s.get(BigQuerySettings.CURRENT_TABLE) && "storage".equals(s.get(BigQuerySettings.WRITE_API)),
                    s.get(BigQuerySettings.MAX_STALENESS));
        }

        String partitioning(String tableId) {
            return perTable.getOrDefault(tableId, partitioning);
        }
    }

    /** Column types BigQuery clusters by (FLOAT64, BYTES, JSON and arrays it does not). */
    private static final Set<String> CLUSTERABLE = Set.of("INT64", "STRING", "NUMERIC", "BIGNUMERIC", "BOOL", "DATE",
            "DATETIME", "TIMESTAMP", "GEOGRAPHY");
    /** BigQuery's limit of clustering columns. */
    private static final int MAX_CLUSTERING = 4;

    /** The definition of a new changelog table: its fields, time partitioning and clustering as the layout says. */
    StandardTableDefinition definition(String tableId, List<Field> fields, Map<String, ColumnType> columns, List<String> keyColumns) {
        StandardTableDefinition.Builder def = StandardTableDefinition.newBuilder().setSchema(Schema.of(fields));
        String unit = layout.partitioning(tableId);
        if (!"none".equals(unit)) {
            def.setTimePartitioning(TimePartitioning.newBuilder(TimePartitioning.Type.valueOf(unit.toUpperCase(Locale.ROOT)))
                    .setField(BigQueryRowMapper.INGESTED_AT).build());
        }
        if (layout.clustering()) {
            List<String> by = new ArrayList<>();
            for (String k : keyColumns) {
                ColumnType t = columns.get(k);
                if (by.size() < MAX_CLUSTERING - 1 && t != null && !t.repeated() && CLUSTERABLE.contains(t.type())) {
                    by.add(k);
                }
            }
            by.add(BigQueryRowMapper.LSN);
            def.setClustering(Clustering.newBuilder().setFields(by).build());
        }
        return def.build();
    }

    private void doEnsure(String tableId, Map<String, ColumnType> columns, List<String> keyColumns) {
        ensureDataset();
        TableId id = TableId.of(dataset, tableId);
        Table table = bigquery.getTable(id);
        if (table == null) {
            List<Field> fields = new ArrayList<>();
            columns.forEach((name, type) -> fields.add(field(name, type)));
            BigQueryRowMapper.METADATA.forEach((name, type) -> fields.add(field(name, type)));
            try {
                StandardTableDefinition def = definition(tableId, fields, columns, keyColumns);
                table = bigquery.create(TableInfo.of(id, def));
                LOG.info("Created BigQuery table {}.{} with {} columns{}{}", dataset, tableId, fields.size(),
                        def.getTimePartitioning() == null ? "" : ", partitioned by " + def.getTimePartitioning().getType()
                                + " on " + def.getTimePartitioning().getField(),
                        def.getClustering() == null ? "" : ", clustered by " + def.getClustering().getFields());
            } catch (BigQueryException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                table = bigquery.getTable(id);
            }
        }
        if (table.getDefinition() instanceof StandardTableDefinition std && std.getTimePartitioning() == null
                && !"none".equals(layout.partitioning(tableId)) && unpartitionedLogged.add(tableId)) {
            // BigQuery cannot partition a table after the fact: a copy can (docs/bigquery.md, "Partitioning: migration")
            LOG.warn("BigQuery table {}.{} exists without partitioning and is left as it is; to partition it, see "
                    + "docs/bigquery.md (Partitioning: migration), or set {}{}=none to silence this", dataset, tableId,
                    BigQuerySettings.PARTITIONING_TABLE.key(), tableId);
        }
        FieldList existing = table.getDefinition().getSchema() == null ? FieldList.of() : table.getDefinition().getSchema().getFields();
        Map<String, Field> byName = new LinkedHashMap<>();
        existing.forEach(f -> byName.put(f.getName().toLowerCase(Locale.ROOT), f));
        List<Field> added = new ArrayList<>();
        Map<String, ColumnType> wanted = new LinkedHashMap<>(columns);
        // metadata columns a table made by an older version lacks
        BigQueryRowMapper.METADATA.forEach(wanted::putIfAbsent);
        wanted.forEach((name, type) -> {
            Field f = byName.get(name.toLowerCase(Locale.ROOT));
            if (f == null) {
                added.add(field(name, type));
            } else if (!fits(type, typeOf(f))) {
                // BigQuery cannot retype a column: the new type's values get a column of their own, the old column
                // keeps its earlier values (docs/types.md, "Schema changes")
                String retyped = retypedName(name, type);
                Field alt = byName.get(retyped.toLowerCase(Locale.ROOT));
                if (alt == null) {
                    if (added.stream().noneMatch(a -> a.getName().equalsIgnoreCase(retyped))) {
                        added.add(field(retyped, type));
                        LOG.warn("Column {}.{} is {} in BigQuery but the source now sends {}: its values go to the new "
                                + "column {} (the old column keeps the earlier values)", tableId, name, f.getType(), shown(type), retyped);
                    }
                } else if (!fits(type, typeOf(alt)) && conflictsLogged.add(tableId + "." + name + ":" + type)) {
                    LOG.warn("Column {}.{} is {} in BigQuery but the source now sends {}, and column {} is {}: BigQuery "
                            + "decides row by row (a rejected row goes to the dead-letter topic)", tableId, name, f.getType(),
                            shown(type), retyped, alt.getType());
                }
            }
        });
        if (!added.isEmpty()) {
            List<Field> all = new ArrayList<>(existing);
            all.addAll(added);
            // the table's own definition with the wider schema: its partitioning and clustering stay (BigQuery refuses
            // a change of partitioning)
            StandardTableDefinition wider = ((StandardTableDefinition) table.getDefinition()).toBuilder().setSchema(Schema.of(all)).build();
            table = bigquery.update(table.toBuilder().setDefinition(wider).build());
            LOG.info("Added columns {} to BigQuery table {}.{}", added.stream().map(Field::getName).toList(), dataset, tableId);
        }
        Map<String, ColumnType> names = new LinkedHashMap<>();
        List<LatestViewSql.Column> viewColumns = new ArrayList<>();
        table.getDefinition().getSchema().getFields().forEach(f -> {
            names.put(f.getName().toLowerCase(Locale.ROOT), typeOf(f));
            viewColumns.add(new LatestViewSql.Column(f.getName(), ColumnType.normalize(f.getType().name()), f.getMode() == Field.Mode.REPEATED));
        });
        Known previous = known.get(tableId);
        if (columns.isEmpty() && keyColumns.isEmpty() && previous == null) {
            // only truncates (op t carries no row and no key): nothing here says the table's key, and a keyless view
            // over a keyed table would be wrong, so the view is left as it is; the next batch with rows makes it. A
            // current table made before (an earlier run) names its key: the truncate is applied to it (§7)
            List<String> currentKey = layout.currentTable() ? existingCurrentKey(tableId) : List.of();
            if (!currentKey.isEmpty()) {
                ensureCurrent(tableId, table.getDefinition().getSchema().getFields(), currentKey);
            }
            return;
        }
        List<String> keys = !keyColumns.isEmpty() ? keyColumns : previous != null ? previous.keyColumns() : List.of();
        ensureView(tableId, viewColumns, keys);
        if (layout.currentTable() && !keys.isEmpty()) {
            ensureCurrent(tableId, table.getDefinition().getSchema().getFields(), keys);
        }
        known.put(tableId, new Known(names, keys));
    }

    /** The primary key of an existing {@code <table>_current}, or empty: none, or without a primary key. */
    private List<String> existingCurrentKey(String tableId) {
        Table current = bigquery.getTable(TableId.of(dataset, tableId + CURRENT_SUFFIX));
        if (current == null || current.getTableConstraints() == null || current.getTableConstraints().getPrimaryKey() == null) {
            return List.of();
        }
        List<String> keys = current.getTableConstraints().getPrimaryKey().getColumns();
        return keys == null ? List.of() : List.copyOf(keys);
    }

    /** The current-state table of a changelog table, or null: none (keyless, too wide a key, or the setting off). */
    public Current current(String tableId) {
        return currents.get(tableId);
    }

    /**
     * Makes {@code <table>_current} (docs/architecture.md §7): the changelog's columns, the key as primary key NOT
     * ENFORCED (BigQuery CDC applies upserts by it), {@code maxStaleness} from {@code cdc.bigquery.max-staleness}; later
     * columns of the changelog are added to it too. Not partitioned: BigQuery CDC tables may be, but a key's row must
     * not move between partitions, and the table only holds one row per key.
     */
    private void ensureCurrent(String tableId, FieldList changelogFields, List<String> keys) {
        if (keys.size() > CurrentTableRows.MAX_KEY_COLUMNS) {
            if (tooWideLogged.add(tableId)) {
                LOG.warn("BigQuery table {}.{}: its key has {} columns, BigQuery CDC takes at most {}: no {} table, the "
                        + "changelog and its {} view only", dataset, tableId, keys.size(), CurrentTableRows.MAX_KEY_COLUMNS,
                        CURRENT_SUFFIX, VIEW_SUFFIX);
            }
            return;
        }
        Current had = currents.get(tableId);
        TableId id = TableId.of(dataset, tableId + CURRENT_SUFFIX);
        Table table = bigquery.getTable(id);
        if (table == null) {
            try {
                table = bigquery.create(TableInfo.newBuilder(id, StandardTableDefinition.of(Schema.of(changelogFields)))
                        .setTableConstraints(com.google.cloud.bigquery.TableConstraints.newBuilder()
                                .setPrimaryKey(com.google.cloud.bigquery.PrimaryKey.newBuilder().setColumns(keys).build()).build())
                        .build());
                setMaxStaleness(id);
                LOG.info("Created BigQuery table {}.{} (current state, primary key {}, max staleness {})", dataset,
                        id.getTable(), keys, layout.maxStaleness());
            } catch (BigQueryException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                table = bigquery.getTable(id);
            }
        }
        FieldList existing = table.getDefinition().getSchema() == null ? FieldList.of() : table.getDefinition().getSchema().getFields();
        Set<String> have = new java.util.HashSet<>();
        existing.forEach(f -> have.add(f.getName().toLowerCase(Locale.ROOT)));
        List<Field> all = new ArrayList<>(existing);
        changelogFields.forEach(f -> {
            if (!have.contains(f.getName().toLowerCase(Locale.ROOT))) {
                all.add(f);
            }
        });
        int version = had == null ? 0 : had.version();
        if (all.size() > existing.size()) {
            StandardTableDefinition wider = ((StandardTableDefinition) table.getDefinition()).toBuilder().setSchema(Schema.of(all)).build();
            bigquery.update(table.toBuilder().setDefinition(wider).build());
            LOG.info("Added columns to BigQuery table {}.{}", dataset, id.getTable());
            version++;
        }
        currents.put(tableId, new Current(keys, version));
    }

    /**
     * The Java client's TableInfo has no {@code maxStaleness} (the REST table resource's field, an INTERVAL string): set
     * through the client's own REST layer, a PATCH of that field alone.
     */
    private void setMaxStaleness(TableId id) {
        com.google.api.services.bigquery.model.Table patch = new com.google.api.services.bigquery.model.Table()
                .setTableReference(new com.google.api.services.bigquery.model.TableReference()
                        .setProjectId(project).setDatasetId(dataset).setTableId(id.getTable()))
                .setMaxStaleness(layout.maxStaleness());
        try {
            ((com.google.cloud.bigquery.spi.v2.BigQueryRpc) bigquery.getOptions().getRpc()).patch(patch, Map.of());
        } catch (com.google.cloud.bigquery.BigQueryException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BigQueryException(0, "cannot set maxStaleness on " + dataset + "." + id.getTable() + ": " + e.getMessage(), e);
        }
    }

    private void ensureDataset() {
        if (datasetReady) {
            return;
        }
        if (bigquery.getDataset(dataset) == null) {
            try {
                bigquery.create(DatasetInfo.newBuilder(dataset).build());
                LOG.info("Created BigQuery dataset {}", dataset);
            } catch (BigQueryException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        datasetReady = true;
    }

    private void ensureView(String tableId, List<LatestViewSql.Column> columns, List<String> keys) {
        String query = LatestViewSql.bigQuery(project, dataset, tableId, columns, keys);
        TableId viewId = TableId.of(dataset, tableId + VIEW_SUFFIX);
        ViewDefinition definition = ViewDefinition.newBuilder(query).setUseLegacySql(false).build();
        Table view = bigquery.getTable(viewId);
        if (view == null) {
            try {
                bigquery.create(TableInfo.of(viewId, definition));
                LOG.info("Created BigQuery view {}.{}", dataset, viewId.getTable());
                return;
            } catch (BigQueryException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                view = bigquery.getTable(viewId);
            }
        }
        if (view.getDefinition() instanceof ViewDefinition current && query.equals(current.getQuery())) {
            return;
        }
        bigquery.update(view.toBuilder().setDefinition(definition).build());
        LOG.info("Updated BigQuery view {}.{}", dataset, viewId.getTable());
    }

    static Field field(String name, ColumnType type) {
        return Field.newBuilder(name, StandardSQLTypeName.valueOf(type.type()))
                .setMode(type.repeated() ? Field.Mode.REPEATED : Field.Mode.NULLABLE).build();
    }

    private static String shown(ColumnType type) {
        return type.type() + (type.repeated() ? "[]" : "");
    }

    private static ColumnType typeOf(Field f) {
        return new ColumnType(ColumnType.normalize(f.getType().name()), f.getMode() == Field.Mode.REPEATED);
    }
}
