package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.TestInfra;
import org.junit.jupiter.api.Test;

/**
 * A table created while the bridge runs (issue 21 item 1): capturing every table ({@code cdc.source.tables} empty) as a
 * role that may create a publication FOR ALL TABLES, the new table's rows arrive on its topic within seconds, from the
 * first one (written in the transaction that created it), without a restart, while the other tables keep streaming.
 */
class NewTableIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aTableCreatedAtRunTimeIsCapturedFromItsFirstRow() throws Exception {
        CaptureFixture f = CaptureFixture.create("newtable", "CREATE TABLE \"Old\" (\"Id\" int PRIMARY KEY)");
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            assertThat(one(f, "SELECT puballtables FROM pg_publication WHERE pubname = '" + f.database + "'")).isEqualTo("t");

            f.sql("CREATE TABLE \"Fresh\" (\"Id\" int PRIMARY KEY, \"Name\" text)", "INSERT INTO \"Fresh\" VALUES (1, 'primeira')");
            f.sql("INSERT INTO \"Fresh\" VALUES (2, 'segunda')", "INSERT INTO \"Old\" VALUES (1)");
            f.sql("UPDATE \"Fresh\" SET \"Name\" = 'outra' WHERE \"Id\" = 1");
            List<KafkaTestConsumer.Rec> fresh = KafkaTestConsumer.read(f.topic("Fresh"), 3, Duration.ofSeconds(15));
            assertThat(fresh).extracting(r -> {
                JsonNode n = JSON.readTree(r.value());
                return n.get("op").asText() + n.get("after").get("Id").asInt() + n.get("after").get("Name").asText();
            }).containsExactly("c1primeira", "c2segunda", "u1outra");
            assertThat(fresh.get(0).headers().get("cdc.types")).contains("\"Name\":\"text\"");
            assertThat(KafkaTestConsumer.read(f.topic("Old"), 1, Duration.ofSeconds(15))).hasSize(1);
            assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.capture")).isEmpty();
        }
    }

    private static String one(CaptureFixture f, String sql) throws Exception {
        try (Connection c = TestInfra.postgres().connect(f.database); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
