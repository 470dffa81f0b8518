package io.cdcbridge.bigquery;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.google.api.client.json.gson.GsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class JsonSizeTest {

    private static final ObjectMapper JACKSON = new ObjectMapper();

    /** What the BigQuery client itself sends (google-http-client's gson writer) and what Jackson writes. */
    private static long[] written(Object v) throws Exception {
        return new long[] {GsonFactory.getDefaultInstance().toByteArray(v).length, JACKSON.writeValueAsBytes(v).length};
    }

    @Test
    void neverBelowWhatEitherWriterProduces() throws Exception {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("Id", 9007199254740993L);
        row.put("Value", 20.5);
        row.put("Tiny", 1.0E-300);
        row.put("Price", new BigDecimal("12345678901234567890.123456789012").toPlainString());
        row.put("Name", "Ação \"q\" \\ <b>&amp;</b> = 'x' \u0001 \u2028 ✓ 😀");
        row.put("Paid", true);
        row.put("Tags", List.of("x", "y<"));
        row.put("Doc", Map.of("a", List.of(1, 2), "b", Map.of("c", "d")));
        row.put("Nothing", null);
        row.put("_op", "c");
        for (Object v : Arrays.asList(row, "", "plain ascii", 0L, -1L, Long.MIN_VALUE, true, false, List.of(), Map.of(),
                "\ud800 lone surrogate", "日本語")) {
            long[] w = written(v);
            assertThat(JsonSize.of(v)).as(String.valueOf(v)).isGreaterThanOrEqualTo(Math.max(w[0], w[1]));
        }
    }

    @Test
    void closeForOrdinaryRows() throws Exception {
        Map<String, Object> row = new LinkedHashMap<>();
        for (int i = 0; i < 50; i++) {
            row.put("Column" + i, i % 2 == 0 ? (Object) ("value number " + i) : (Object) (i * 1000L));
        }
        long exact = JACKSON.writeValueAsString(row).getBytes(StandardCharsets.UTF_8).length;
        assertThat(JsonSize.of(row)).isBetween(exact, exact + exact / 10);
    }

    /** The per-character rule the table implements, written out: every UTF-16 unit costs what it did before the table. */
    @Test
    void everyCharacterCostsWhatTheRuleSays() {
        for (int c = 0; c <= 0xFFFF; c++) {
            char ch = (char) c;
            long rule = ch < 0x20 || ch == '"' || ch == '\\' || ch == '<' || ch == '>' || ch == '&' || ch == '=' || ch == '\''
                    || ch == '\u2028' || ch == '\u2029' ? 6 : ch < 0x80 ? 1 : ch < 0x800 ? 2 : Character.isSurrogate(ch) ? 6 : 3;
            assertThat(JsonSize.string(String.valueOf(ch))).as("U+%04X", c).isEqualTo(2 + rule);
        }
    }

    @Test
    void longsCountTheirDigits() {
        for (long v : new long[] {0, 7, -7, 9, 10, -10, 99, 100, 123456789, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1, -1}) {
            assertThat(JsonSize.digits(v)).as("%d", v).isEqualTo(Long.toString(v).length());
            assertThat(JsonSize.of(v)).isEqualTo(Long.toString(v).length() + 2);
        }
    }
}
