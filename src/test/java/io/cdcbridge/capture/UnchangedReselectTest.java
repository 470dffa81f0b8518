package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

/**
 * The re-select of unchanged TOAST values (docs/architecture.md §4): the statement quotes every identifier (mixed case,
 * reserved words, an embedded quote), binds the key as untyped text, fills only the missing columns in Debezium's form,
 * leaves the event as it is when the row is gone or the server fails after the retries, and never throws. The JDBC
 * objects are stand-ins recording what the driver would be asked; CurrentTableIT runs it against Postgres.
 */
class UnchangedReselectTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String U = ChangeEventEncoder.UNAVAILABLE;

    private static Schema typed(SchemaBuilder b, String type) {
        return b.parameter("__debezium.source.column.type", type).build();
    }

    private static final Schema ROW = SchemaBuilder.struct()
            .field("Id", typed(SchemaBuilder.int32(), "INT4"))
            .field("order", typed(SchemaBuilder.string().optional(), "TEXT"))
            .field("Body", typed(SchemaBuilder.string().optional(), "TEXT"))
            .field("Blob", typed(SchemaBuilder.bytes().optional(), "BYTEA"))
            .field("Tags", typed(SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).optional(), "_TEXT"))
            .field("Name", typed(SchemaBuilder.string().optional(), "VARCHAR"))
            .build();
    private static final Schema KEY = SchemaBuilder.struct().field("Id", Schema.INT32_SCHEMA).build();

    @Test
    void theStatementQuotesMixedCaseReservedWordsAndQuotes() {
        assertThat(UnchangedReselect.sql("Sales", "Order Lines", List.of("Body", "order", "select"), List.of("Id", "user")))
                .isEqualTo("SELECT \"Body\",\"order\",\"select\" FROM \"Sales\".\"Order Lines\" WHERE \"Id\"=? AND \"user\"=?");
        assertThat(UnchangedReselect.quote("a\"b")).isEqualTo("\"a\"\"b\"");
    }

    /** What the stand-in driver was asked, and what it answers. */
    static final class Server {
        final List<String> statements = new ArrayList<>();
        final List<List<Object>> parameters = new ArrayList<>();
        int connects;
        int failures;
        boolean rowGone;
        Object[] row;

        Connection connect() throws SQLException {
            connects++;
            if (failures > 0) {
                failures--;
                throw new SQLException("Connection refused", "08001");
            }
            return proxy(Connection.class, (m, args) -> switch (m) {
                case "prepareStatement" -> statement((String) args[0]);
                case "isClosed" -> false;
                default -> null;
            });
        }

        private PreparedStatement statement(String sql) {
            statements.add(sql);
            List<Object> bound = new ArrayList<>();
            parameters.add(bound);
            return proxy(PreparedStatement.class, (m, args) -> switch (m) {
                case "setObject" -> {
                    bound.add(args[1] + ":" + args[2]);
                    yield null;
                }
                case "executeQuery" -> result();
                default -> null;
            });
        }

        private ResultSet result() {
            boolean[] read = {false};
            return proxy(ResultSet.class, (m, args) -> switch (m) {
                case "next" -> {
                    boolean has = !rowGone && !read[0];
                    read[0] = true;
                    yield has;
                }
                case "getString" -> (String) row[(Integer) args[0] - 1];
                case "getBytes" -> (byte[]) row[(Integer) args[0] - 1];
                case "getArray" -> row[(Integer) args[0] - 1] == null ? null : proxy(java.sql.Array.class, (n, a) ->
                        "getArray".equals(n) ? row[(Integer) args[0] - 1] : null);
                default -> null;
            });
        }
    }

    interface Answer {
        Object answer(String method, Object[] args) throws Exception;
    }

    @SuppressWarnings("unchecked")
    static <T> T proxy(Class<T> type, Answer answer) {
        return (T) Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[]{type}, (p, m, a) -> answer.answer(m.getName(), a));
    }

    private static Struct after() {
        return new Struct(ROW).put("Id", 7).put("order", U).put("Body", U).put("Blob", U.getBytes(StandardCharsets.UTF_8))
                .put("Tags", List.of(U)).put("Name", "novo");
    }

    @Test
    void theMissingColumnsAreFilledInDebeziumsFormAndTheEventCarriesThem() throws Exception {
        Server server = new Server();
        String body = "x".repeat(10_000);
        byte[] blob = {0, 1, 2, (byte) 0xff};
        server.row = new Object[]{"primeiro", body, blob, new String[]{"a", null, "Ação"}};
        UnchangedReselect reselect = new UnchangedReselect(server::connect, 1);
        ChangeEventEncoder encoder = new ChangeEventEncoder();
        Struct key = new Struct(KEY).put("Id", 7);
        ChangeEventEncoder.Source source = new ChangeEventEncoder.Source(100L, 5L, 1L, false);

        List<String> unchanged = new ArrayList<>();
        byte[] plain = encoder.value("u", "Sales", "Order Lines", key, null, after(), source, unchanged);
        assertThat(unchanged).containsExactly("order", "Body", "Blob", "Tags");
        assertThat(JSON.readTree(plain).path("after").has("Body")).isFalse();

        Struct filled = reselect.fill("Sales", "Order Lines", encoder.key(key), after(), unchanged);
        assertThat(server.statements).containsExactly(
                "SELECT \"order\",\"Body\",\"Blob\",\"Tags\" FROM \"Sales\".\"Order Lines\" WHERE \"Id\"=?");
        assertThat(server.parameters).containsExactly(List.of("7:" + Types.OTHER));
        JsonNode after = JSON.readTree(encoder.value("u", "Sales", "Order Lines", key, null, filled, source)).path("after");
        assertThat(after.path("order").asText()).isEqualTo("primeiro");
        assertThat(after.path("Body").asText()).isEqualTo(body);
        assertThat(Base64.getDecoder().decode(after.path("Blob").asText())).isEqualTo(blob);
        assertThat(JSON.convertValue(after.path("Tags"), List.class)).containsExactly("a", null, "Ação");
        assertThat(after.path("Name").asText()).as("columns the update carried are kept").isEqualTo("novo");
        assertThat(after.path("Id").asInt()).isEqualTo(7);

        // the next one reuses the connection
        reselect.fill("Sales", "Order Lines", encoder.key(key), after(), List.of("Body"));
        assertThat(server.connects).isEqualTo(1);
    }

    @Test
    void aRowDeletedSinceLeavesTheEventAsItIs() {
        Server server = new Server();
        server.rowGone = true;
        UnchangedReselect reselect = new UnchangedReselect(server::connect, 1);
        assertThat(reselect.fill("public", "Docs", "{\"Id\":7}".getBytes(StandardCharsets.UTF_8), after(), List.of("Body"))).isNull();
        assertThat(server.statements).hasSize(1);
    }

    @Test
    void aServerThatStaysDownLeavesTheEventAsItIsAfterTheRetriesAndOneThatComesBackIsUsed() {
        Server server = new Server();
        server.failures = UnchangedReselect.ATTEMPTS;
        server.row = new Object[]{"b"};
        UnchangedReselect reselect = new UnchangedReselect(server::connect, 1);
        byte[] key = "{\"Id\":7}".getBytes(StandardCharsets.UTF_8);
        assertThat(reselect.fill("public", "Docs", key, after(), List.of("Body"))).isNull();
        assertThat(server.connects).isEqualTo(UnchangedReselect.ATTEMPTS);
        // down once, then up: the retry reconnects and fills
        server.failures = 1;
        Struct filled = reselect.fill("public", "Docs", key, after(), List.of("Body"));
        assertThat(filled).isNotNull();
        assertThat(filled.getString("Body")).isEqualTo("b");
        assertThat(server.connects).isEqualTo(UnchangedReselect.ATTEMPTS + 2);
    }

    @Test
    void aColumnOfATypeItDoesNotConvertIsLeftOutAndAStatementErrorIsNotRetried() {
        Schema row = SchemaBuilder.struct().field("Id", typed(SchemaBuilder.int32(), "INT4"))
                .field("Attrs", typed(SchemaBuilder.string().optional(), "HSTORE")).build();
        Server server = new Server();
        UnchangedReselect reselect = new UnchangedReselect(server::connect, 1);
        Struct after = new Struct(row).put("Id", 1).put("Attrs", U);
        assertThat(reselect.fill("public", "Docs", "{\"Id\":1}".getBytes(StandardCharsets.UTF_8), after, List.of("Attrs"))).isNull();
        assertThat(server.statements).as("nothing to select").isEmpty();

        UnchangedReselect failing = new UnchangedReselect(() -> proxy(Connection.class, (m, args) -> {
            if ("prepareStatement".equals(m)) {
                throw new SQLException("column \"Body\" does not exist", "42703");
            }
            return "isClosed".equals(m) ? false : null;
        }), 1);
        int[] connects = {0};
        UnchangedReselect counted = new UnchangedReselect(() -> {
            connects[0]++;
            throw new SQLException("column \"Body\" does not exist", "42703");
        }, 1);
        assertThat(failing.fill("public", "Docs", "{\"Id\":7}".getBytes(StandardCharsets.UTF_8), after(), List.of("Body"))).isNull();
        assertThat(counted.fill("public", "Docs", "{\"Id\":7}".getBytes(StandardCharsets.UTF_8), after(), List.of("Body"))).isNull();
        assertThat(connects[0]).isEqualTo(1);
    }
}
