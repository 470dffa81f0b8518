package io.cdcbridge.capture;

import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.config.SourceConfig;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the TOAST values an update left unchanged (docs/architecture.md §4, "TOAST"; {@code
 * cdc.capture.reselect-unchanged}): without {@code REPLICA IDENTITY FULL} Postgres logs no such value, Debezium puts its
 * placeholder there and the ChangeEvent would lack the column. For an update of a keyed table with such columns, one
 * {@code SELECT "c1","c2" FROM "schema"."table" WHERE "k"=?} (every identifier quoted: mixed case and reserved words, which
 * Debezium's own reselect post-processor does not quote) on a connection of its own gives the row's current values,
 * written into the event as Debezium would have (text as text, bytea base64, json as JSON, arrays of text as arrays).
 *
 * <p>Runs on the capture thread, only for events that lack columns (the others pay nothing), and never throws: Debezium
 * advances its offset even when the capture step fails (README, "How no change is lost"), so an event this step broke
 * would be lost. A row gone by now (deleted since: the delete follows on the key's partition), a column of a type it
 * does not convert, or a SELECT that fails after its retries leaves the event as it was (the column absent), the last
 * with one WARN per table.
 */
final class UnchangedReselect implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(UnchangedReselect.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE_TYPE = "__debezium.source.column.type";
    static final int ATTEMPTS = 3;
    /** Debezium's hstore_handling_mode json, not Postgres' text form: left out rather than written wrong. */
    private static final Set<String> NOT_AS_TEXT = Set.of("HSTORE");

    /** Opens the connection (the source's JDBC URL and properties, TLS included); a test may hand in its own. */
    interface Connector {
        Connection connect() throws SQLException;
    }

    private final Connector connector;
    private final long retryDelayMs;
    private Connection connection;
    private final Set<String> warned = ConcurrentHashMap.newKeySet();

    UnchangedReselect(Connector connector, long retryDelayMs) {
        this.connector = connector;
        this.retryDelayMs = retryDelayMs;
    }

    /** From the source settings, as the preflight connects (docs/postgres.md): its own connection, with the source's TLS. */
    static UnchangedReselect of(SourceConfig src) {
        return new UnchangedReselect(() -> {
            Properties p = src.jdbcProperties();
            p.setProperty("connectTimeout", "10");
            p.setProperty("loginTimeout", "10");
            p.setProperty("socketTimeout", "60");
            p.setProperty("ApplicationName", "cdc-bridge-reselect");
            Connection c = DriverManager.getConnection(src.jdbcUrl(), p);
            c.setReadOnly(true);
            c.setAutoCommit(true);
            return c;
        }, 500);
    }

    /** A Postgres identifier in double quotes, an inner quote doubled. */
    static String quote(String identifier) {
        return "\"" + identifier.replace("\"", "\"\"") + "\"";
    }

    /** The one statement: the columns by the row's primary key. */
    static String sql(String schema, String table, List<String> columns, List<String> keyColumns) {
        StringBuilder sb = new StringBuilder("SELECT ");
        for (int i = 0; i < columns.size(); i++) {
            sb.append(i == 0 ? "" : ",").append(quote(columns.get(i)));
        }
        sb.append(" FROM ").append(quote(schema)).append('.').append(quote(table)).append(" WHERE ");
        for (int i = 0; i < keyColumns.size(); i++) {
            // the parameter as text of no declared type: Postgres reads it as the key column's type (uuid, numeric...)
            sb.append(i == 0 ? "" : " AND ").append(quote(keyColumns.get(i))).append("=?");
        }
        return sb.toString();
    }

    /**
     * {@code after} with the {@code missing} columns' current values filled in, or null to leave the event as it is
     * (the row is gone, none of the columns could be read, or the SELECT failed). {@code keyJson} is the event's Kafka
     * key (the key columns as the ChangeEvent writes them, which Postgres reads back as their types).
     */
    synchronized Struct fill(String schema, String table, byte[] keyJson, Struct after, List<String> missing) {
        try {
            List<String> columns = new ArrayList<>();
            for (String c : missing) {
                Field f = after.schema().field(c);
                if (f != null && convertible(f.schema())) {
                    columns.add(c);
                }
            }
            JsonNode key = keyJson == null ? null : JSON.readTree(keyJson);
            if (columns.isEmpty() || key == null || !key.isObject() || key.isEmpty()) {
                return null;
            }
            List<String> keyColumns = new ArrayList<>();
            List<String> keyValues = new ArrayList<>();
            for (var it = key.fields(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue().isNull() || e.getValue().isContainerNode()) {
                    return null; // a key value no text form of which Postgres reads back: leave the event as it is
                }
                keyColumns.add(e.getKey());
                keyValues.add(e.getValue().asText());
            }
            Map<String, Object> values = select(schema, table, columns, keyColumns, keyValues, after.schema());
            if (values == null) {
                return null;
            }
            Struct filled = new Struct(after.schema());
            for (Field f : after.schema().fields()) {
                filled.put(f, values.containsKey(f.name()) ? values.get(f.name()) : after.getWithoutDefault(f.name()));
            }
            return filled;
        } catch (RuntimeException | java.io.IOException e) {
            warn(schema, table, e);
            return null;
        }
    }

    private Map<String, Object> select(String schema, String table, List<String> columns, List<String> keyColumns,
                                       List<String> keyValues, Schema row) {
        String sql = sql(schema, table, columns, keyColumns);
        SQLException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                if (connection == null || connection.isClosed()) {
                    connection = connector.connect();
                }
                try (PreparedStatement st = connection.prepareStatement(sql)) {
                    st.setQueryTimeout(30);
                    for (int i = 0; i < keyValues.size(); i++) {
                        st.setObject(i + 1, keyValues.get(i), Types.OTHER);
                    }
                    try (ResultSet rs = st.executeQuery()) {
                        if (!rs.next()) {
                            return null; // deleted since: its delete follows and puts the sinks right
                        }
                        Map<String, Object> out = new LinkedHashMap<>();
                        for (int i = 0; i < columns.size(); i++) {
                            out.put(columns.get(i), value(rs, i + 1, row.field(columns.get(i)).schema()));
                        }
                        return out;
                    }
                }
            } catch (SQLException e) {
                last = e;
                // a statement error on a live connection (a column dropped since) fails again: only I/O is retried
                closeConnection();
                if (!retryable(e) || attempt == ATTEMPTS) {
                    break;
                }
                if (!pause(retryDelayMs * attempt)) {
                    break;
                }
            }
        }
        warn(schema, table, last);
        return null;
    }

    /** Connection problems (SQLState class 08, 57P0x shutdown), timeouts: worth a new connection. */
    static boolean retryable(SQLException e) {
        String state = e.getSQLState();
        return state == null || state.startsWith("08") || state.startsWith("57P") || state.equals("57014")
                || e instanceof java.sql.SQLTransientException || e instanceof java.sql.SQLRecoverableException;
    }

    private static boolean pause(long ms) {
        try {
            Thread.sleep(ms); // a backoff between reconnects, on the capture thread that waits for this row anyway
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The types this step writes as Debezium would (docs/architecture.md §4); others stay absent. */
    static boolean convertible(Schema s) {
        String type = sourceType(s);
        if (s.type() == Schema.Type.STRING) {
            return type == null || !NOT_AS_TEXT.contains(type);
        }
        if (s.type() == Schema.Type.BYTES) {
            return s.name() == null; // bytea (not a logical type carried as bytes, such as bit strings)
        }
        return s.type() == Schema.Type.ARRAY && s.valueSchema().type() == Schema.Type.STRING && s.valueSchema().name() == null;
    }

    private static String sourceType(Schema s) {
        String t = s.parameters() == null ? null : s.parameters().get(SOURCE_TYPE);
        return t == null ? null : t.toUpperCase(java.util.Locale.ROOT);
    }

    /** A column's value in Debezium's form for this bridge (CaptureRoute: bytea as bytes, numeric as a string). */
    static Object value(ResultSet rs, int i, Schema s) throws SQLException {
        if (s.type() == Schema.Type.ARRAY) {
            Array a = rs.getArray(i);
            if (a == null) {
                return null;
            }
            List<Object> out = new ArrayList<>();
            for (Object e : (Object[]) a.getArray()) {
                out.add(e == null ? null : e.toString());
            }
            return out;
        }
        if (s.type() == Schema.Type.BYTES) {
            return rs.getBytes(i); // Debezium's bytea: the encoder writes it base64
        }
        if ("BYTEA".equals(sourceType(s))) {
            byte[] b = rs.getBytes(i);
            return b == null ? null : Base64.getEncoder().encodeToString(b);
        }
        return rs.getString(i);
    }

    private void warn(String schema, String table, Exception e) {
        if (warned.add(schema + "." + table)) {
            // the SQLState and the driver's message: never the URL's credentials (they are not in either)
            String why = e == null ? "?" : e instanceof SQLException s && s.getSQLState() != null
                    ? s.getSQLState() + " " + s.getMessage() : e.toString();
            LOG.warn("Capture could not re-select the TOAST values an update of {}.{} left unchanged ({}); such events go on "
                    + "without them, as with cdc.capture.reselect-unchanged=false (docs/bigquery.md, Current-state tables). "
                    + "Logged once per table.", schema, table, why);
        }
    }

    private void closeConnection() {
        Connection c = connection;
        connection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // gone already
            }
        }
    }

    @Override
    public synchronized void close() {
        closeConnection();
    }
}
