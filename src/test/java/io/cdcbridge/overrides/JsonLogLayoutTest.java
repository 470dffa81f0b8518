package io.cdcbridge.overrides;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/**
 * The shipped logback.xml (docs/overrides.md): {@code cdc.log.format=json} gives one JSON object per line carrying the
 * message with its arguments filled in (logback's JsonEncoder writes only the "{}" template by default), and the text
 * format stays the default.
 */
class JsonLogLayoutTest {

    @Test
    void jsonLinesCarryTheFormattedMessage() throws Exception {
        String line = logOneLine("json");
        JsonNode n = new ObjectMapper().readTree(line);
        assertThat(n.path("formattedMessage").asText()).isEqualTo("Sink carol enabled (dry-run)");
        assertThat(n.has("message")).as("the bare template is left out").isFalse();
        assertThat(n.path("level").asText()).isEqualTo("INFO");
        assertThat(n.path("loggerName").asText()).isEqualTo("io.cdcbridge.logtest");
    }

    @Test
    void textIsTheDefault() throws Exception {
        assertThat(logOneLine(null)).doesNotStartWith("{").contains("INFO").endsWith("Sink carol enabled (dry-run)");
    }

    /** Configures a fresh logback context from the shipped logback.xml and returns the line one INFO call writes. */
    private static String logOneLine(String format) throws Exception {
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new ch.qos.logback.classic.util.LogbackMDCAdapter()); // as SLF4J's binding gives its own
        if (format != null) {
            context.putProperty("cdc.log.format", format);
        }
        PrintStream was = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // logback's console appender writes to whatever System.out is at the time of each write
        System.setOut(new PrintStream(out, true, UTF_8));
        try {
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(JsonLogLayoutTest.class.getResource("/logback.xml"));
            context.getLogger("io.cdcbridge.logtest").info("Sink {} enabled{}", "carol", " (dry-run)");
        } finally {
            context.stop();
            System.setOut(was);
        }
        return out.toString(UTF_8).lines().filter(l -> l.contains("logtest") || l.contains("Sink carol")).findFirst()
                .orElseThrow(() -> new AssertionError("nothing logged: " + out.toString(UTF_8) + context.getStatusManager().getCopyOfStatusList()));
    }
}
