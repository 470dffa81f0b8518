package io.cdcbridge.delivery;

import static io.cdcbridge.support.KafkaBatches.event;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.cdcbridge.bigquery.BigQuerySink;
import io.cdcbridge.carol.CarolSink;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.DeadLetters;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.KafkaBatches;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * Each sink's {@code sink:} step as its shipped route calls it, with the route's parameters, against the sink's fake
 * through the real client library: a batch in, rows or records at the fake, a poison record dead-lettered, an excluded
 * table left out, the batch committed once. No broker: the batch is built as camel-kafka hands it over, so these run in
 * seconds (the same paths with the broker: BigQueryDeliveryIT, CarolDeliveryIT).
 */
class SinkStepTest {

    private static final String USERS = "{\"UserId\":\"int4\",\"UserName\":\"text\",\"Department\":\"text\"}";

    private final MockProducer<byte[], byte[]> dlq = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());

    private CamelContext context(Map<String, String> settings, SinkModule sink) throws Exception {
        DefaultCamelContext ctx = new DefaultCamelContext();
        ctx.getRegistry().bind("deadLetters", new DeadLetters(dlq, "p"));
        sink.install(Settings.of(settings), ctx);
        ctx.start();
        return ctx;
    }

    private static Map<String, String> common() throws Exception {
        Map<String, String> s = new HashMap<>();
        s.put("cdc.kafka.topic-prefix", "p");
        s.put("cdc.data-dir", Files.createTempDirectory("sinkstep").toString());
        s.put("cdc.delivery.max-retries", "1");
        s.put("cdc.delivery.retry-delay-ms", "10");
        s.put("cdc.delivery.max-retry-delay-ms", "10");
        return s;
    }

    private static KafkaBatches batch(CamelContext ctx) {
        return new KafkaBatches(ctx)
                .add("p.public.Users", "{\"UserId\":1}", event("c", "Users", "{\"UserId\":1}", "null",
                        "{\"UserId\":1,\"UserName\":\"Ana\",\"Department\":\"Vendas\"}", 10), USERS)
                .add("p.public.Users", null, "not json", null)
                .add("p.public.Audit", "{\"Id\":1}", event("c", "Audit", "{\"Id\":1}", "null", "{\"Id\":1}", 11), "{\"Id\":\"int4\"}")
                .add("p.public.Users", "{\"UserId\":1}", event("d", "Users", "{\"UserId\":1}",
                        "{\"UserId\":1,\"UserName\":\"Ana\",\"Department\":\"Vendas\"}", "null", 12), USERS);
    }

    private List<String> deadLettered() {
        return dlq.history().stream().map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
    }

    @Test
    void bigQueryRowsArriveAndTheBatchCommits() throws Exception {
        try (FakeBigQuery fake = FakeBigQuery.start()) {
            Map<String, String> s = common();
            s.put("cdc.bigquery.project", "test-project");
            s.put("cdc.bigquery.dataset", "ds");
            s.putAll(fake.bridgeSettings());
            try (CamelContext ctx = context(s, new BigQuerySink(Clock.systemUTC()))) {
                KafkaBatches b = batch(ctx);
                ProducerTemplate t = ctx.createProducerTemplate();
                t.send("sink:bigquery?exclude=public.Audit", b.batch("bigquery-delivery"));
                assertThat(fake.rows("test-project", "ds", "p_public_Users")).extracting(r -> r.path("_op").asText())
                        .containsExactly("c", "d");
                assertThat(fake.hasDataset("test-project", "ds")).isTrue();
                assertThat(fake.table("test-project", "ds", "p_public_Audit")).isNull();
                assertThat(deadLettered()).containsExactly("not json");
                // every partition of the batch, the excluded table's too (not this sink's: committed without being sent)
                assertThat(b.committed).containsExactlyInAnyOrder("p.public.Users-0@3", "p.public.Audit-0@2");
            }
        }
    }

    private static Map<String, String> bigQuery(FakeBigQuery fake) throws Exception {
        Map<String, String> s = common();
        s.put("cdc.bigquery.project", "test-project");
        s.put("cdc.bigquery.dataset", "ds");
        s.putAll(fake.bridgeSettings());
        return s;
    }

    @Test
    void bigQueryColumnsThatCollideGetDistinctNamesAndCostNoOtherTable() throws Exception {
        String types = "{\"Id\":\"int4\",\"Name\":\"text\",\"name\":\"text\",\"e-mail\":\"text\",\"e_mail\":\"text\","
                + "\"_lsn\":\"int8\",\"_TABLE_SUFFIX\":\"text\"}";
        try (FakeBigQuery fake = FakeBigQuery.start();
             CamelContext ctx = context(bigQuery(fake), new BigQuerySink(Clock.systemUTC()))) {
            KafkaBatches b = new KafkaBatches(ctx)
                    .add("p.public.People", "{\"Id\":1}", event("c", "People", "{\"Id\":1}", "null",
                            "{\"Id\":1,\"Name\":\"Ana\",\"name\":\"ana\",\"e-mail\":\"a@x\",\"e_mail\":\"b@x\",\"_lsn\":99,"
                                    + "\"_TABLE_SUFFIX\":\"s\"}", 10), types)
                    .add("p.public.Users", "{\"UserId\":1}", event("c", "Users", "{\"UserId\":1}", "null",
                            "{\"UserId\":1,\"UserName\":\"Ana\",\"Department\":\"Vendas\"}", 11), USERS);
            ctx.createProducerTemplate().send("sink:bigquery", b.batch("bigquery-delivery"));
            assertThat(deadLettered()).isEmpty();
            assertThat(fake.schema("test-project", "ds", "p_public_People")).containsKeys("Id", "Name", "name_2", "e_mail",
                    "e_mail_2", "_lsn_2", "c_TABLE_SUFFIX", "_lsn");
            var row = fake.rows("test-project", "ds", "p_public_People").get(0);
            assertThat(row.path("Name").asText()).isEqualTo("Ana");
            assertThat(row.path("name_2").asText()).isEqualTo("ana");
            assertThat(row.path("e_mail").asText()).isEqualTo("a@x");
            assertThat(row.path("e_mail_2").asText()).isEqualTo("b@x");
            assertThat(row.path("_lsn_2").asLong()).isEqualTo(99);
            assertThat(row.path("_lsn").asLong()).isEqualTo(10);
            assertThat(fake.rows("test-project", "ds", "p_public_Users")).hasSize(1);
        }
    }

    @Test
    void aBigQueryTableDeletedBehindTheBridgesBackIsMadeAgainAndItsRowsDelivered() throws Exception {
        try (FakeBigQuery fake = FakeBigQuery.start();
             CamelContext ctx = context(bigQuery(fake), new BigQuerySink(Clock.systemUTC()))) {
            ProducerTemplate t = ctx.createProducerTemplate();
            t.send("sink:bigquery", new KafkaBatches(ctx).add("p.public.Users", "{\"UserId\":1}", event("c", "Users", "{\"UserId\":1}",
                    "null", "{\"UserId\":1,\"UserName\":\"Ana\",\"Department\":\"Vendas\"}", 10), USERS).batch("bigquery-delivery"));
            assertThat(fake.rows("test-project", "ds", "p_public_Users")).hasSize(1);

            // the dataset's default table expiration, or an operator, deletes the table and its view
            assertThat(fake.dropTable("test-project", "ds", "p_public_Users")).isTrue();
            fake.dropTable("test-project", "ds", "p_public_Users_latest");
            KafkaBatches next = new KafkaBatches(ctx).add("p.public.Users", "{\"UserId\":2}", event("c", "Users", "{\"UserId\":2}",
                    "null", "{\"UserId\":2,\"UserName\":\"Bia\",\"Department\":\"Vendas\"}", 11), USERS);
            t.send("sink:bigquery", next.batch("bigquery-delivery"));

            assertThat(deadLettered()).isEmpty();
            assertThat(fake.rows("test-project", "ds", "p_public_Users")).extracting(r -> r.path("UserId").asInt()).containsExactly(2);
            assertThat(fake.viewQuery("test-project", "ds", "p_public_Users_latest")).isNotNull();
            assertThat(next.committed).containsExactly("p.public.Users-0@0");
        }
    }

    @Test
    void aReplayedPassthroughRecordKeepsTheInsertIdsOfItsFirstDelivery() throws Exception {
        try (FakeBigQuery fake = FakeBigQuery.start()) {
            Map<String, String> s = bigQuery(fake);
            s.put("cdc.passthrough.orders.bigquery-table", "orders");
            s.put("cdc.bigquery.write-api", "insertall"); // insertIds are insertAll's
            try (CamelContext ctx = context(s, new BigQuerySink(Clock.systemUTC()))) {
                ProducerTemplate t = ctx.createProducerTemplate();
                String value = "[{\"id\":1},{\"id\":2}]";
                KafkaBatches topic = new KafkaBatches(ctx).add("orders", null, value, null);
                t.send("sink:bigquery", topic.batch("bigquery-delivery"));
                assertThat(fake.rows("test-project", "ds", "orders")).hasSize(2);

                // the record read again (offset 0), its copy replayed from the dead-letter topic (offset 1, its first
                // position in a header) and a new record (offset 2)
                topic.add("orders", null, value, null).header("cdc.first.position", "orders/0/0")
                        .header("cdc.replay.sink", "bigquery")
                        .add("orders", null, "{\"id\":9}", null);
                t.send("sink:bigquery", topic.batch("bigquery-delivery"));
                assertThat(fake.rows("test-project", "ds", "orders")).extracting(r -> r.path("id").asInt()).containsExactly(1, 2, 9);
                assertThat(fake.table("test-project", "ds", "orders").insertIdsReceived.values()).containsExactlyInAnyOrder(3, 3, 1);
            }
        }
    }

    @Test
    void carolRecordsArriveInAStagingTheBridgeMadeAndTheBatchCommits() throws Exception {
        try (FakeCarol fake = FakeCarol.start(Clock.systemUTC())) {
            Map<String, String> s = common();
            s.putAll(fake.settings());
            try (CamelContext ctx = context(s, new CarolSink(Clock.systemUTC()))) {
                KafkaBatches b = batch(ctx);
                ctx.createProducerTemplate().send("sink:carol?tables=public.Users", b.batch("carol-delivery"));
                // the insert and the delete of one key share a request: Carol gets the last change only
                assertThat(fake.records("users")).extracting(Object::toString).containsExactly("{\"UserId\":1,\"mdmDeleted\":true}");
                assertThat(fake.repeatedKeys()).isZero();
                assertThat(fake.schema("users").path("mdmCrosswalkTemplate").path("mdmCrossreference").path("users").get(0).asText())
                        .isEqualTo("UserId");
                assertThat(fake.count("audit")).isZero();
                assertThat(deadLettered()).containsExactly("not json");
                // every partition of the batch, the excluded table's too (not this sink's: committed without being sent)
                assertThat(b.committed).containsExactlyInAnyOrder("p.public.Users-0@3", "p.public.Audit-0@2");
            }
        }
    }
}
