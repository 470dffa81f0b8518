package io.cdcbridge.delivery;

import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * Which records of a delivery route reach the engine: the route's own choice (docs/architecture.md §6), set in the
 * route file as the {@code sink:} step's parameters. Applies to ChangeEvent topics ({@code <prefix>.<schema>.<table>});
 * a passthrough topic's records always pass.
 *
 * <ul>
 *   <li>{@code tables}: {@code schema.table,…} to deliver (empty: all)</li>
 *   <li>{@code exclude}: {@code schema.table,…} never to deliver</li>
 *   <li>{@code filter}: a Camel predicate (Simple by default) on each record; header {@value #TABLE_HEADER} holds its
 *   {@code schema.table}, the body its ChangeEvent JSON, e.g. {@code ${header.CdcTable} != 'public.Audit'}</li>
 * </ul>
 */
public final class Selection {

    /** The record's source table {@code schema.table}, for filters. */
    public static final String TABLE_HEADER = "CdcTable";

    private final String changeEventPrefix;
    private final Set<String> tables;
    private final Set<String> exclude;
    private final Predicate filter;

    public Selection(String topicPrefix, String tables, String exclude, Predicate filter) {
        this.changeEventPrefix = topicPrefix + ".";
        this.tables = list(tables);
        this.exclude = list(exclude);
        this.filter = filter;
    }

    public static Set<String> list(String csv) {
        if (csv == null || csv.isBlank()) {
            return Set.of();
        }
        return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty()).collect(Collectors.toUnmodifiableSet());
    }

    public boolean admits(Exchange record, String topic) {
        if (topic == null || !topic.startsWith(changeEventPrefix)) {
            return true;
        }
        String table = topic.substring(changeEventPrefix.length());
        if ((!tables.isEmpty() && !tables.contains(table)) || exclude.contains(table)) {
            return false;
        }
        if (filter == null) {
            return true;
        }
        record.getMessage().setHeader(TABLE_HEADER, table);
        return filter.matches(record);
    }

    @Override
    public String toString() {
        return "tables " + (tables.isEmpty() ? "all" : tables) + (exclude.isEmpty() ? "" : " except " + exclude)
                + (filter == null ? "" : " where " + filter);
    }
}
