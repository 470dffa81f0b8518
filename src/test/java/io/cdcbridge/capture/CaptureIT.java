package io.cdcbridge.capture;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.app.Bridge;
import io.cdcbridge.demo.Bookstore;
import io.cdcbridge.support.CaptureFixture;
import io.cdcbridge.support.KafkaTestConsumer;
import io.cdcbridge.support.KafkaTestConsumer.Rec;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Capture against the real embedded Postgres and the real broker: the exact ChangeEvents of docs/architecture.md §4. */
class CaptureIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void bookstoreSnapshotAndStreamingEventsAreExact() throws Exception {
        CaptureFixture f = CaptureFixture.create("bookstore", Bookstore.SCHEMA_SQL, "ALTER TABLE \"Sales\" REPLICA IDENTITY FULL",
                Bookstore.SEED_SQL,
                "INSERT INTO \"Sales\" (\"BookId\", \"BookTypeId\", \"UserId\", \"Value\", \"EntryDateTime\") VALUES (4, 1, 2, 123.45, '2025-03-01 10:15:30.123456')");
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            // snapshot: every seed row as an "r" event, Portuguese text intact
            List<Rec> types = KafkaTestConsumer.read(f.topic("BookTypes"), 4, WAIT);
            assertThat(types).hasSize(4);
            JsonNode acao = JSON.readTree(types.get(0).value());
            assertThat(withoutSource(acao)).isEqualTo(JSON.readTree("""
                    {"v":1,"op":"r","schema":"public","table":"BookTypes","key":{"BookTypeId":1},"before":null,
                     "after":{"BookTypeId":1,"Description":"Ação"}}"""));
            assertThat(acao.get("source").get("snapshot").asBoolean()).isTrue();
            assertThat(acao.get("source").get("lsn").asLong()).isPositive();
            assertThat(types.get(0).key()).isEqualTo("{\"BookTypeId\":1}");
            assertThat(JSON.readTree(types.get(0).headers().get("cdc.types")))
                    .isEqualTo(JSON.readTree("{\"BookTypeId\":\"int4\",\"Description\":\"varchar\"}"));

            // numeric without precision loss (a decimal string), the Books type header
            List<Rec> books = KafkaTestConsumer.read(f.topic("Books"), 7, WAIT);
            JsonNode dom = JSON.readTree(books.get(0).value()).get("after");
            assertThat(dom.get("Price").isTextual()).isTrue();
            assertThat(dom.get("Price").asText()).isEqualTo("39.90");
            assertThat(dom.get("Title").asText()).isEqualTo("Dom Casmurro");
            assertThat(JSON.readTree(books.get(0).headers().get("cdc.types")).get("Price").asText()).isEqualTo("numeric");

            // table without primary key: null Kafka key, timestamp without zone as ISO local date-time, double as number
            List<Rec> sales = KafkaTestConsumer.read(f.topic("Sales"), 1, WAIT);
            assertThat(sales.get(0).key()).isNull();
            JsonNode sale = JSON.readTree(sales.get(0).value());
            assertThat(sale.get("key").isNull()).isTrue();
            assertThat(sale.get("after").get("EntryDateTime").asText()).isEqualTo("2025-03-01T10:15:30.123456");
            assertThat(sale.get("after").get("Value").isDouble()).isTrue();
            assertThat(sale.get("after").get("Value").asDouble()).isEqualTo(123.45);

            // streaming: insert with unicode and a null, update, delete
            f.sql("INSERT INTO \"Users\" (\"UserName\", \"Department\") VALUES ('Zé Ninguém ✓', NULL)");
            f.sql("UPDATE \"Users\" SET \"Department\" = 'Logística' WHERE \"UserId\" = 4");
            f.sql("DELETE FROM \"Users\" WHERE \"UserId\" = 4");
            f.sql("UPDATE \"Sales\" SET \"Value\" = 99.5 WHERE \"BookId\" = 4");
            f.sql("DELETE FROM \"Sales\" WHERE \"BookId\" = 4");
            List<Rec> users = KafkaTestConsumer.read(f.topic("Users"), 6, WAIT);
            assertThat(users).hasSize(6);
            assertThat(withoutSource(JSON.readTree(users.get(3).value()))).isEqualTo(JSON.readTree("""
                    {"v":1,"op":"c","schema":"public","table":"Users","key":{"UserId":4},"before":null,
                     "after":{"UserId":4,"UserName":"Zé Ninguém ✓","Department":null}}"""));
            assertThat(users.get(3).key()).isEqualTo("{\"UserId\":4}");
            JsonNode upd = JSON.readTree(users.get(4).value());
            assertThat(upd.get("op").asText()).isEqualTo("u");
            assertThat(upd.get("after").get("Department").asText()).isEqualTo("Logística");
            assertThat(upd.get("source").get("snapshot").asBoolean()).isFalse();
            assertThat(upd.get("source").get("txId").asLong()).isPositive();
            JsonNode del = JSON.readTree(users.get(5).value());
            assertThat(del.get("op").asText()).isEqualTo("d");
            assertThat(del.get("after").isNull()).isTrue();
            assertThat(del.get("before").get("UserId").asInt()).isEqualTo(4);
            assertThat(del.get("key")).isEqualTo(JSON.readTree("{\"UserId\":4}"));
            assertThat(upd.get("source").get("lsn").asLong()).isGreaterThan(JSON.readTree(users.get(3).value()).get("source").get("lsn").asLong());

            // REPLICA IDENTITY FULL on the key-less table: update and delete carry the whole before-image
            List<Rec> sales3 = KafkaTestConsumer.read(f.topic("Sales"), 3, WAIT);
            JsonNode saleUpd = JSON.readTree(sales3.get(1).value());
            assertThat(saleUpd.get("op").asText()).isEqualTo("u");
            assertThat(saleUpd.get("before").get("Value").asDouble()).isEqualTo(123.45);
            assertThat(saleUpd.get("after").get("Value").asDouble()).isEqualTo(99.5);
            JsonNode saleDel = JSON.readTree(sales3.get(2).value());
            assertThat(saleDel.get("op").asText()).isEqualTo("d");
            assertThat(saleDel.get("before").get("Value").asDouble()).isEqualTo(99.5);
        }
    }

    @Test
    void typedValuesAndUnchangedToastColumnIsAbsent() throws Exception {
        CaptureFixture f = CaptureFixture.create("types", """
                CREATE TABLE "Docs" ("DocId" bigint PRIMARY KEY, "Body" text, "Rev" smallint, "Amount" numeric(30,10),
                  "Ratio" real, "Flag" boolean, "Born" date, "At" timestamptz, "Meta" jsonb, "Raw" bytea, "Tags" text[], "Uid" uuid)""");
        // random text does not compress, so 200 kB is stored out of line (TOAST)
        String big = ThreadLocalRandom.current().ints(200_000, 'a', 'z' + 1)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        // the re-select off: what Postgres logs alone (the default re-selects: byDefaultAnUpdateCarriesTheToastValues...)
        try (Bridge bridge = Bridge.start(f.settings(Map.of("cdc.capture.reselect-unchanged", "false")))) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"Docs\" VALUES (1, '" + big + "', 1, 12345678901234567890.0123456789, 0.5, true, '2024-02-29', "
                    + "'2025-01-02 03:04:05.678+02', '{\"a\": [1, 2]}', '\\xdeadbeef', ARRAY['x','y'], 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')");
            f.sql("UPDATE \"Docs\" SET \"Rev\" = 2 WHERE \"DocId\" = 1");
            List<Rec> docs = KafkaTestConsumer.read(f.topic("Docs"), 2, WAIT);
            assertThat(docs).hasSize(2);
            JsonNode ins = JSON.readTree(docs.get(0).value()).get("after");
            assertThat(ins.get("Body").asText()).isEqualTo(big);
            assertThat(ins.get("Amount").asText()).isEqualTo("12345678901234567890.0123456789");
            assertThat(ins.get("Ratio").asDouble()).isEqualTo(0.5);
            assertThat(ins.get("Flag").asBoolean()).isTrue();
            assertThat(ins.get("Born").asText()).isEqualTo("2024-02-29");
            assertThat(ins.get("At").asText()).isEqualTo("2025-01-02T01:04:05.678000Z");
            assertThat(ins.get("Meta")).isEqualTo(JSON.readTree("{\"a\": [1, 2]}"));
            assertThat(ins.get("Raw").asText()).isEqualTo("3q2+7w==");
            assertThat(ins.get("Tags")).isEqualTo(JSON.readTree("[\"x\",\"y\"]"));
            assertThat(ins.get("Uid").asText()).isEqualTo("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
            assertThat(JSON.readTree(docs.get(0).headers().get("cdc.types"))).isEqualTo(JSON.readTree("""
                    {"DocId":"int8","Body":"text","Rev":"int2","Amount":"numeric","Ratio":"float4","Flag":"bool","Born":"date",
                     "At":"timestamptz","Meta":"jsonb","Raw":"bytea","Tags":"_text","Uid":"uuid"}"""));

            JsonNode upd = JSON.readTree(docs.get(1).value());
            assertThat(upd.get("after").has("Body")).as("unchanged TOAST column is absent").isFalse();
            assertThat(docs.get(1).value()).doesNotContain("__debezium_unavailable_value");
            assertThat(upd.get("after").get("Rev").asInt()).isEqualTo(2);
            assertThat(upd.get("after").get("Amount").asText()).isEqualTo("12345678901234567890.0123456789");
        }
    }

    @Test
    void tenThousandRowTransactionArrivesCompleteAndInCommitOrderPerKey() throws Exception {
        CaptureFixture f = CaptureFixture.create("bigtx", "CREATE TABLE \"Items\" (\"Id\" int PRIMARY KEY, \"N\" int)");
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"Items\" SELECT g, 0 FROM generate_series(1, 10000) g",
                    "UPDATE \"Items\" SET \"N\" = 1 WHERE \"Id\" % 10 = 0");
            f.sql("UPDATE \"Items\" SET \"N\" = 2 WHERE \"Id\" % 10 = 0");
            int expected = 10_000 + 1_000 + 1_000;
            List<Rec> recs = KafkaTestConsumer.read(f.topic("Items"), expected, Duration.ofSeconds(120));
            assertThat(recs).hasSize(expected);
            Map<String, List<JsonNode>> perKey = recs.stream().map(r -> read(r.value()))
                    .collect(Collectors.groupingBy(n -> n.get("key").toString(), java.util.LinkedHashMap::new, Collectors.toList()));
            assertThat(perKey).hasSize(10_000);
            for (var e : perKey.entrySet()) {
                List<JsonNode> events = e.getValue();
                int id = events.get(0).get("key").get("Id").asInt();
                List<String> ops = events.stream().map(n -> n.get("op").asText() + n.get("after").get("N").asInt()).toList();
                assertThat(ops).as("events of key %s", e.getKey()).isEqualTo(id % 10 == 0 ? List.of("c0", "u1", "u2") : List.of("c0"));
                for (int i = 1; i < events.size(); i++) {
                    assertThat(events.get(i).get("source").get("lsn").asLong()).isGreaterThan(events.get(i - 1).get("source").get("lsn").asLong());
                }
            }
        }
    }

    @Test
    void aTruncateTravelsAsOpTOnItsTableTopic() throws Exception {
        CaptureFixture f = CaptureFixture.create("truncate", "CREATE TABLE \"Items\" (\"Id\" int PRIMARY KEY)",
                "CREATE TABLE \"Other\" (\"Id\" int PRIMARY KEY)");
        // the bridge's default: Debezium's skipped.operations=t would drop it without a word (docs/architecture.md §4)
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"Items\" VALUES (1)", "INSERT INTO \"Other\" VALUES (1)");
            f.sql("TRUNCATE \"Items\", \"Other\"");
            f.sql("INSERT INTO \"Items\" VALUES (2)");
            List<Rec> items = KafkaTestConsumer.read(f.topic("Items"), 3, WAIT);
            assertThat(items).extracting(r -> read(r.value()).get("op").asText()).containsExactly("c", "t", "c");
            JsonNode truncate = read(items.get(1).value());
            assertThat(truncate.get("table").asText()).isEqualTo("Items");
            assertThat(truncate.get("key").isNull()).isTrue();
            assertThat(truncate.get("before").isNull()).isTrue();
            assertThat(truncate.get("after").isNull()).isTrue();
            assertThat(truncate.get("source").get("txId").isNumber()).isTrue();
            assertThat(truncate.get("source").get("tsMs").asLong()).isPositive();
            assertThat(items.get(1).key()).isNull();
            assertThat(items.get(1).headers()).doesNotContainKey("cdc.types");
            // its LSN orders it between the rows before and after it
            assertThat(truncate.get("source").get("lsn").asLong())
                    .isGreaterThan(read(items.get(0).value()).get("source").get("lsn").asLong())
                    .isLessThan(read(items.get(2).value()).get("source").get("lsn").asLong());
            // one truncate event per table, each on its table's topic
            assertThat(KafkaTestConsumer.read(f.topic("Other"), 2, WAIT)).extracting(r -> read(r.value()).get("op").asText())
                    .containsExactly("c", "t");
            assertThat(KafkaTestConsumer.readAll(f.prefix + ".dlq.capture")).isEmpty();
        }
    }

    @Test
    void aUserWhoSkipsTruncatesStillSkipsThem() throws Exception {
        CaptureFixture f = CaptureFixture.create("skiptrunc", "CREATE TABLE \"Items\" (\"Id\" int PRIMARY KEY)");
        try (Bridge bridge = Bridge.start(f.settings(Map.of("cdc.capture.debezium.skipped.operations", "t")))) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"Items\" VALUES (1)", "TRUNCATE \"Items\"", "INSERT INTO \"Items\" VALUES (2)");
            List<Rec> items = KafkaTestConsumer.read(f.topic("Items"), 2, WAIT);
            assertThat(items).extracting(r -> read(r.value()).get("op").asText() + read(r.value()).get("key").get("Id").asInt())
                    .containsExactly("c1", "c2");
        }
    }

    @Test
    void anEventTheEncoderCannotWriteIsParkedNotLostAndCaptureGoesOn() throws Exception {
        CaptureFixture f = CaptureFixture.create("message", "CREATE TABLE \"Items\" (\"Id\" int PRIMARY KEY)");
        // a logical decoding message (Debezium's op m: no row images) has no ChangeEvent form
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"Items\" VALUES (1)", "SELECT pg_logical_emit_message(true, 'app', 'hello')",
                    "INSERT INTO \"Items\" VALUES (2)");
            List<Rec> items = KafkaTestConsumer.read(f.topic("Items"), 2, WAIT);
            assertThat(items).extracting(r -> read(r.value()).get("key").get("Id").asInt()).containsExactly(1, 2);
            List<Rec> parked = KafkaTestConsumer.read(f.prefix + ".dlq.capture", 1, WAIT);
            assertThat(parked).hasSize(1);
            JsonNode letter = read(parked.get(0).value());
            assertThat(letter.get("op").asText()).isEqualTo("m");
            assertThat(letter.get("error").asText()).isNotEmpty();
        }
    }

    @Test
    void aRowAboveKafkasDefaultLimitArrivesAndOneAboveTheBridgesLimitIsDeadLetteredAsAReference() throws Exception {
        CaptureFixture f = CaptureFixture.create("oversize", "CREATE TABLE \"Blobs\" (\"Id\" int PRIMARY KEY, \"Data\" bytea)");
        int limit = 2 * 1024 * 1024;
        try (Bridge bridge = Bridge.start(f.settings(Map.of("cdc.kafka.max-record-bytes", String.valueOf(limit))))) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            // 1.2 MB of bytea is 1.6 MB of base64: above Kafka's 1 MB defaults, within the bridge's limit
            f.sql("INSERT INTO \"Blobs\" SELECT 1, decode(string_agg(md5(i::text), ''), 'hex') FROM generate_series(1, 75000) i");
            // 2 MB is 2.8 MB of base64: above the limit, so a reference instead; capture goes on with the next row
            f.sql("INSERT INTO \"Blobs\" SELECT 2, decode(string_agg(md5(i::text), ''), 'hex') FROM generate_series(1, 131072) i");
            f.sql("INSERT INTO \"Blobs\" VALUES (3, '\\x00')");
            List<Rec> blobs = KafkaTestConsumer.read(f.topic("Blobs"), 2, WAIT);
            assertThat(blobs).extracting(r -> read(r.value()).get("key").get("Id").asInt()).containsExactly(1, 3);
            assertThat(read(blobs.get(0).value()).get("after").get("Data").asText()).hasSize(1_600_000);

            List<Rec> refs = KafkaTestConsumer.read(f.prefix + ".dlq.capture", 1, WAIT);
            assertThat(refs).hasSize(1);
            JsonNode ref = read(refs.get(0).value());
            assertThat(ref.get("reason").asText()).isEqualTo("oversize");
            assertThat(ref.get("schema").asText() + "." + ref.get("table").asText()).isEqualTo("public.Blobs");
            assertThat(ref.get("topic").asText()).isEqualTo(f.topic("Blobs"));
            assertThat(ref.get("key")).isEqualTo(JSON.readTree("{\"Id\":2}"));
            assertThat(ref.get("op").asText()).isEqualTo("c");
            assertThat(ref.get("lsn").asLong()).isGreaterThan(read(blobs.get(0).value()).get("source").get("lsn").asLong())
                    .isLessThan(read(blobs.get(1).value()).get("source").get("lsn").asLong());
            assertThat(ref.get("bytes").asInt()).isGreaterThan(2_790_000);
            assertThat(ref.get("limit").asInt()).isEqualTo(limit - 16 * 1024);
            assertThat(refs.get(0).key()).isEqualTo("{\"Id\":2}");
            assertThat(refs.get(0).headers().get("cdc.origin.topic")).isEqualTo(f.topic("Blobs"));

            // the topics the bridge made take what its producer sends
            try (var admin = org.apache.kafka.clients.admin.Admin.create(
                    io.cdcbridge.config.KafkaClients.of(io.cdcbridge.support.TestInfra.kafka().bootstrapServers()).admin("t", WAIT))) {
                var resource = new org.apache.kafka.common.config.ConfigResource(org.apache.kafka.common.config.ConfigResource.Type.TOPIC,
                        f.topic("Blobs"));
                assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource).get("max.message.bytes").value())
                        .isEqualTo(String.valueOf(limit));
            }
        }
    }

    @Test
    void warnsAboutTablesWithoutKeyOrFullReplicaIdentity() throws Exception {
        CaptureFixture f = CaptureFixture.create("nokey", "CREATE TABLE \"Logs\" (\"Line\" text)",
                "CREATE TABLE \"Audit\" (\"Line\" text)", "ALTER TABLE \"Audit\" REPLICA IDENTITY FULL");
        Logger logger = (Logger) LoggerFactory.getLogger(SourcePreflight.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            assertThat(appender.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
                    .contains("public.Logs").doesNotContain("public.Audit").contains("REPLICA IDENTITY FULL"));
            f.sql("INSERT INTO \"Logs\" VALUES ('olá')");
            List<Rec> recs = KafkaTestConsumer.read(f.topic("Logs"), 1, WAIT);
            assertThat(JSON.readTree(recs.get(0).value()).get("after").get("Line").asText()).isEqualTo("olá");
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void underReplicaIdentityFullAnUpdateCarriesTheToastValueItLeftUnchanged() throws Exception {
        CaptureFixture f = CaptureFixture.create("toastfull", "CREATE TABLE \"Docs\" (\"DocId\" bigint PRIMARY KEY, \"Body\" text, \"Rev\" smallint)",
                "ALTER TABLE \"Docs\" REPLICA IDENTITY FULL");
        String big = ThreadLocalRandom.current().ints(200_000, 'a', 'z' + 1)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"Docs\" VALUES (1, '" + big + "', 1)");
            f.sql("UPDATE \"Docs\" SET \"Rev\" = 2 WHERE \"DocId\" = 1");
            List<Rec> docs = KafkaTestConsumer.read(f.topic("Docs"), 2, WAIT);
            JsonNode upd = JSON.readTree(docs.get(1).value());
            // Postgres logs the whole old row, and Debezium takes the unchanged value from it: the record is complete
            // (Carol's mapper would fill it from before otherwise; docs/carol.md, "Records")
            assertThat(upd.get("before").get("Body").asText()).isEqualTo(big);
            assertThat(upd.get("after").get("Body").asText()).isEqualTo(big);
            assertThat(upd.get("after").get("Rev").asInt()).isEqualTo(2);
        }
    }

    @Test
    void byDefaultAnUpdateCarriesTheToastValuesItLeftUnchangedReselectedInTheirTypesForm() throws Exception {
        // default replica identity: the WAL holds none of the unchanged values; EXTERNAL storage keeps them out of line
        CaptureFixture f = CaptureFixture.create("reselect", """
                CREATE TABLE "Docs" ("DocId" bigint PRIMARY KEY, "Body" text, "order" jsonb, "Raw" bytea, "Tags" text[],
                  "Amount" numeric, "Rev" smallint)""",
                "ALTER TABLE \"Docs\" ALTER COLUMN \"Body\" SET STORAGE EXTERNAL",
                "ALTER TABLE \"Docs\" ALTER COLUMN \"order\" SET STORAGE EXTERNAL",
                "ALTER TABLE \"Docs\" ALTER COLUMN \"Raw\" SET STORAGE EXTERNAL",
                "ALTER TABLE \"Docs\" ALTER COLUMN \"Tags\" SET STORAGE EXTERNAL",
                "ALTER TABLE \"Docs\" ALTER COLUMN \"Amount\" SET STORAGE EXTERNAL");
        try (Bridge bridge = Bridge.start(f.settings())) {
            bridge.awaitStreaming(Duration.ofSeconds(60));
            f.sql("INSERT INTO \"Docs\" VALUES (1, repeat('b', 10000), jsonb_build_object('k', repeat('j', 5000), 'n', 1), "
                    + "decode(repeat('deadbeef', 2000), 'hex'), array_fill('t'::text, ARRAY[1500]) || ARRAY['Ação', NULL], "
                    + "(repeat('9', 3000) || '.25')::numeric, 1)");
            f.sql("UPDATE \"Docs\" SET \"Rev\" = 2 WHERE \"DocId\" = 1");
            List<Rec> docs = KafkaTestConsumer.read(f.topic("Docs"), 2, WAIT);
            assertThat(docs).hasSize(2);
            JsonNode ins = JSON.readTree(docs.get(0).value()).get("after");
            JsonNode upd = JSON.readTree(docs.get(1).value()).get("after");
            assertThat(docs.get(1).value()).doesNotContain("__debezium_unavailable_value");
            assertThat(upd.get("Rev").asInt()).isEqualTo(2);
            // every column as the insert carried it (text, jsonb, bytea as base64, text[], numeric as a decimal string)
            for (String column : List.of("Body", "order", "Raw", "Tags", "Amount")) {
                assertThat(upd.get(column)).as(column).isEqualTo(ins.get(column));
            }
            assertThat(upd.get("Body").asText()).hasSize(10000);
            assertThat(upd.get("Tags")).hasSize(1502);
        }
    }

    @Test
    void withCarolDeliveringWarnsAboutTablesWhoseUnchangedToastValuesUpdatesLeaveOut() {
        CaptureFixture f = CaptureFixture.create("toastwarn", "CREATE TABLE \"Posts\" (\"Id\" int PRIMARY KEY, \"Body\" text)",
                "CREATE TABLE \"Counts\" (\"Id\" int PRIMARY KEY, \"N\" bigint)",
                "CREATE TABLE \"Notes\" (\"Id\" int PRIMARY KEY, \"Body\" jsonb)", "ALTER TABLE \"Notes\" REPLICA IDENTITY FULL");
        Logger logger = (Logger) LoggerFactory.getLogger(SourcePreflight.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            io.cdcbridge.config.SourceConfig source = io.cdcbridge.config.SourceConfig.from(f.settings());
            SourcePreflight.check(source, false);
            assertThat(appender.list).noneSatisfy(e -> assertThat(e.getFormattedMessage()).contains("TOAST"));
            SourcePreflight.check(source, true);
            assertThat(appender.list).filteredOn(e -> e.getFormattedMessage().contains("TOAST")).singleElement()
                    .satisfies(e -> assertThat(e.getFormattedMessage()).contains("public.Posts").doesNotContain("public.Counts")
                            .doesNotContain("public.Notes").contains("Carol").contains("REPLICA IDENTITY FULL"));
        } finally {
            logger.detachAppender(appender);
        }
    }

    private static JsonNode read(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static JsonNode withoutSource(JsonNode n) {
        ObjectNode copy = n.deepCopy();
        copy.remove("source");
        return copy;
    }
}
