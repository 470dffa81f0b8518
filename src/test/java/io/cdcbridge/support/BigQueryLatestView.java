package io.cdcbridge.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Evaluates a {@code <table>_latest} view the sink created in a {@link FakeBigQuery}: its SQL, exactly as sent to
 * BigQuery except for the dialect (double quotes for backticks, TEXT for STRING), runs on the shared embedded Postgres
 * over the changelog rows the fake stored. Gives the latest state per key as BigQuery would show it.
 */
public final class BigQueryLatestView {

    private BigQueryLatestView() {
    }

    public static List<Map<String, Object>> evaluate(FakeBigQuery fake, String project, String dataset, String table, String database)
            throws Exception {
        try (Connection c = TestInfra.postgres().connect(database)) {
            return evaluate(fake, project, dataset, table, c);
        }
    }

    /**
     * The same on a connection of one's own (a Postgres other than the shared test one); the scratch table is a
     * temporary one, dropped at the end.
     */
    public static List<Map<String, Object>> evaluate(FakeBigQuery fake, String project, String dataset, String table, Connection c)
            throws Exception {
        Map<String, String> schema = fake.schema(project, dataset, table);
        String local = table + "_" + System.nanoTime();
        String columns = schema.entrySet().stream().map(e -> "\"" + e.getKey() + "\" " + switch (e.getValue()) {
            case "INTEGER" -> "bigint";
            case "FLOAT" -> "double precision";
            default -> "text";
        }).collect(Collectors.joining(", "));
        try {
            try (Statement st = c.createStatement()) {
                // TEMPORARY: the scratch table often lives in the captured database, and a temporary table is in no
                // publication (not even FOR ALL TABLES), so capture never sees it
                st.execute("CREATE TEMPORARY TABLE \"" + local + "\" (" + columns + ")");
            }
            List<String> names = List.copyOf(schema.keySet());
            String insert = "INSERT INTO \"" + local + "\" (" + names.stream().map(n -> "\"" + n + "\"").collect(Collectors.joining(", "))
                    + ") VALUES (" + names.stream().map(n -> "?").collect(Collectors.joining(", ")) + ")";
            try (PreparedStatement ps = c.prepareStatement(insert)) {
                for (ObjectNode row : fake.rows(project, dataset, table)) {
                    for (int i = 0; i < names.size(); i++) {
                        JsonNode v = row.get(names.get(i));
                        String type = schema.get(names.get(i));
                        Object value = v == null || v.isNull() ? null
                                : "INTEGER".equals(type) ? (Object) v.asLong()
                                : "FLOAT".equals(type) ? (Object) v.asDouble()
                                : v.isValueNode() ? v.asText() : v.toString();
                        ps.setObject(i + 1, value);
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            String bigQuerySql = fake.viewQuery(project, dataset, table + "_latest");
            if (bigQuerySql == null) {
                throw new IllegalStateException("no view " + table + "_latest");
            }
            String postgresSql = bigQuerySql.replace("`" + project + "." + dataset + "." + table + "`", "\"" + local + "\"")
                    .replace('`', '"').replace(" AS STRING)", " AS TEXT)");
            List<Map<String, Object>> out = new ArrayList<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(postgresSql)) {
                while (rs.next()) {
                    Map<String, Object> r = new LinkedHashMap<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        r.put(rs.getMetaData().getColumnName(i), rs.getObject(i));
                    }
                    out.add(r);
                }
            }
            return out;
        } finally {
            try (Statement st = c.createStatement()) {
                st.execute("DROP TABLE IF EXISTS \"" + local + "\"");
            }
        }
    }
}
