package io.cdcbridge.event;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import io.cdcbridge.errors.PermanentDeliveryException;
import org.junit.jupiter.api.Test;

/** {@link ChangeEvent#readTree} builds what {@code ChangeEvent.JSON.readTree} builds, node for node. */
class ChangeEventTreeTest {

    private static final String[] NUMBERS = {"0", "-0", "1", "-1", "2147483647", "2147483648", "-2147483648", "-2147483649",
            "9223372036854775807", "9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
            "0.0", "-0.0", "1.0", "1.50", "1.25", "100.00", "1e10", "1E+10", "1e-10", "1.5e300", "1E-300", "-2.5E-7",
            "123456789012345678901234567890.123456789000", "0.000", "1e400", "1e-400", "3.14159265358979323846264338327950288"};
    private static final String[] TEXTS = {"", "a", "ção", "\\\"q\\\"", "\\\\", "\\u0001", "\\u2028", "日本語", "😀", "\\ud83d\\ude00",
            "__debezium_unavailable_value", "2024-02-29T09:34:56.123456Z", "null", "true"};

    @Test
    void sameTreeAsReadTreeForGeneratedDocuments() throws Exception {
        Random random = new Random(23);
        for (int i = 0; i < 20_000; i++) {
            String doc = value(random, 0);
            if (!doc.startsWith("{")) {
                doc = "{\"v\":" + doc + "}";
            }
            assertSame(doc);
        }
    }

    @Test
    void sameTreeForChangeEventsAndEdgeCases() throws Exception {
        List<String> docs = new ArrayList<>(List.of(
                "{\"v\":1,\"op\":\"u\",\"schema\":\"public\",\"table\":\"t\",\"key\":{\"id\":1},\"before\":null,"
                        + "\"after\":{\"id\":1,\"price\":\"12.50\",\"f\":1.50,\"d\":[1,2.0,\"x\"],\"j\":{\"a\":{\"b\":[]}}},"
                        + "\"source\":{\"lsn\":123456789012,\"txId\":77,\"tsMs\":1733000000000,\"snapshot\":false}}",
                "{\"a\":1,\"a\":2}", "{\"a\":{\"b\":1},\"a\":[true,false,null]}", "{}", "[]", "[1,[2,[3,[]]]]", "  {\"x\" : 1 }  ",
                "{\"x\":1} trailing", "\"text\"", "42", "4.20", "null", "true"));
        for (String n : NUMBERS) {
            docs.add("{\"n\":" + n + "}");
            docs.add("[" + n + "]");
        }
        for (String t : TEXTS) {
            docs.add("{\"" + t + "\":\"" + t + "\"}");
        }
        StringBuilder deep = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            deep.append("{\"d\":[");
        }
        deep.append("1");
        for (int i = 0; i < 400; i++) {
            deep.append("]}");
        }
        docs.add(deep.toString());
        for (String doc : docs) {
            assertSame(doc);
        }
    }

    @Test
    void emptyAndBrokenInputAreRefusedAsBefore() throws Exception {
        assertThat(ChangeEvent.readTree(new byte[0])).isNull();
        assertThat(ChangeEvent.JSON.readTree(new byte[0]).isMissingNode()).isTrue();
        for (String broken : new String[] {"{", "{\"a\":}", "{\"a\" 1}", "[1,", "{\"a\":01}", "nul", "{\"a\":NaN}"}) {
            byte[] b = broken.getBytes(StandardCharsets.UTF_8);
            assertThatThrownBy(() -> ChangeEvent.JSON.readTree(b)).as(broken).isInstanceOf(java.io.IOException.class);
            assertThatThrownBy(() -> ChangeEvent.readTree(b)).as(broken).isInstanceOf(java.io.IOException.class);
            assertThatThrownBy(() -> ChangeEvent.parse(b, null)).as(broken).isInstanceOf(PermanentDeliveryException.class)
                    .hasMessageStartingWith("not a ChangeEvent: value is not JSON");
        }
        assertThatThrownBy(() -> ChangeEvent.parse(new byte[0], null)).isInstanceOf(PermanentDeliveryException.class)
                .hasMessage("not a ChangeEvent: value is not a JSON object");
    }

    private static void assertSame(String doc) throws Exception {
        byte[] bytes = doc.getBytes(StandardCharsets.UTF_8);
        JsonNode expected = ChangeEvent.JSON.readTree(bytes);
        JsonNode actual = ChangeEvent.readTree(bytes);
        assertThat(actual).as(doc).isNotNull();
        assertSameNode(doc, "$", expected, actual);
    }

    /** Same node classes, same field order, numbers equal with their scale (BigDecimal.equals), same texts. */
    private static void assertSameNode(String doc, String path, JsonNode expected, JsonNode actual) {
        assertThat(actual.getClass()).as(doc + " at " + path).isEqualTo(expected.getClass());
        if (expected.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> e = expected.fields();
            Iterator<Map.Entry<String, JsonNode>> a = actual.fields();
            while (e.hasNext()) {
                assertThat(a.hasNext()).as(doc + " at " + path).isTrue();
                Map.Entry<String, JsonNode> x = e.next();
                Map.Entry<String, JsonNode> y = a.next();
                assertThat(y.getKey()).as(doc + " at " + path).isEqualTo(x.getKey());
                assertSameNode(doc, path + "." + x.getKey(), x.getValue(), y.getValue());
            }
            assertThat(a.hasNext()).as(doc + " at " + path).isFalse();
        } else if (expected.isArray()) {
            assertThat(actual.size()).as(doc + " at " + path).isEqualTo(expected.size());
            for (int i = 0; i < expected.size(); i++) {
                assertSameNode(doc, path + "[" + i + "]", expected.get(i), actual.get(i));
            }
        } else if (expected.isNumber()) {
            assertThat(actual.numberType()).as(doc + " at " + path).isEqualTo(expected.numberType());
            if (expected.isBigDecimal()) {
                assertThat(actual.decimalValue()).as(doc + " at " + path).isEqualTo(expected.decimalValue()); // scale too
            } else {
                assertThat(actual.bigIntegerValue()).as(doc + " at " + path).isEqualTo(expected.bigIntegerValue());
            }
        } else {
            assertThat(actual.asText()).as(doc + " at " + path).isEqualTo(expected.asText());
            assertThat(actual.getNodeType()).as(doc + " at " + path).isEqualTo(expected.getNodeType());
        }
    }

    private static String value(Random r, int depth) {
        int kind = r.nextInt(depth > 4 ? 5 : 7);
        switch (kind) {
            case 0:
                return NUMBERS[r.nextInt(NUMBERS.length)];
            case 1:
                return "\"" + TEXTS[r.nextInt(TEXTS.length)] + "\"";
            case 2:
                return r.nextBoolean() ? "true" : "false";
            case 3:
                return "null";
            case 4:
                return r.nextBoolean() ? Long.toString(r.nextLong()) : (r.nextInt(2_000_000) - 1_000_000) / 100.0 + "";
            case 5: {
                StringBuilder b = new StringBuilder("[");
                for (int i = 0, n = r.nextInt(4); i < n; i++) {
                    b.append(i == 0 ? "" : ",").append(value(r, depth + 1));
                }
                return b.append(']').toString();
            }
            default: {
                StringBuilder b = new StringBuilder("{");
                for (int i = 0, n = r.nextInt(5); i < n; i++) {
                    b.append(i == 0 ? "" : ",").append('"').append(TEXTS[r.nextInt(TEXTS.length)]).append(i % 3).append("\":")
                            .append(value(r, depth + 1));
                }
                return b.append('}').toString();
            }
        }
    }
}
