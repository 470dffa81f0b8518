package io.cdcbridge.support;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.cdcbridge.bigquery.BigQuerySink;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.DeadLetters;
import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The BigQuery delivery as the application runs it, for integration tests: a Camel context with the shipped
 * routes/bigquery.camel.yaml, the {@code deadLetters} bean and {@link BigQuerySink}, on
 * the shared broker, against a {@link FakeBigQuery}. (Stands in for the application's own wiring until that exists.)
 */
public final class BigQueryTestBridge implements AutoCloseable {

    public final String prefix;
    public final String project = "test-project";
    public final String dataset;
    public final Path dir;
    public final Map<String, String> settings = new HashMap<>();
    private CamelContext context;
    /** The dead-letter publisher to bind (default: one on the shared broker). */
    public DeadLetters deadLetters;
    private KafkaProducer<byte[], byte[]> producer;

    /**
     * Rows through the Storage Write API ({@code cdc.bigquery.write-api=storage}) into {@code write}, tables over REST
     * into {@code fake} ({@code write} must serve {@code fake}'s tables: {@link FakeBigQueryWrite#start(FakeBigQuery)}).
     */
    public BigQueryTestBridge(String hint, FakeBigQuery fake, FakeBigQueryWrite write) {
        this(hint, fake);
        settings.put("cdc.bigquery.write-api", "storage");
        settings.put("cdc.bigquery.storage-endpoint", write.endpoint());
    }

    /** Rows through insertAll ({@code cdc.bigquery.write-api=insertall}, the fallback path) into {@code fake}. */
    public static BigQueryTestBridge insertAll(String hint, FakeBigQuery fake) {
        BigQueryTestBridge b = new BigQueryTestBridge(hint, fake);
        b.settings.put("cdc.bigquery.write-api", "insertall");
        return b;
    }

    /**
     * Rows through the default write API ({@code cdc.bigquery.write-api}, the Storage Write API) into {@code fake}'s
     * Storage Write sibling, tables over REST ({@link FakeBigQuery#bridgeSettings()}).
     */
    public BigQueryTestBridge(String hint, FakeBigQuery fake) {
        prefix = TestInfra.newPrefix(hint);
        dataset = "ds_" + prefix;
        dir = TestInfra.newDir(prefix);
        settings.put("cdc.kafka.brokers", TestInfra.kafka().bootstrapServers());
        settings.put("cdc.kafka.topic-prefix", prefix);
        settings.put("cdc.kafka.topic-pattern", Pattern.quote(prefix) + "\\.(?!dlq\\.).+");
        settings.put("cdc.bigquery.enabled", "true");
        settings.put("cdc.bigquery.project", project);
        settings.put("cdc.bigquery.dataset", dataset);
        settings.putAll(fake.bridgeSettings());
        settings.put("cdc.bigquery.group-id", "cdc-bridge-bigquery-" + prefix);
        settings.put("cdc.bigquery.batch-timeout-ms", "50");
        settings.put("cdc.sink.dry-run", "false");
        settings.put("cdc.data-dir", dir.toString());
        settings.put("cdc.delivery.max-retries", "8");
        settings.put("cdc.delivery.retry-delay-ms", "50");
        settings.put("cdc.delivery.max-retry-delay-ms", "400");
    }

    public String topic(String table) {
        return prefix + ".public." + table;
    }

    public String dlqTopic() {
        return prefix + ".dlq.bigquery";
    }

    public String group() {
        return settings.get("cdc.bigquery.group-id");
    }

    /** Starts the routes (again, after {@link #stop()}). */
    public synchronized BigQueryTestBridge start() throws Exception {
        Settings s = Settings.of(settings);
        CamelContext ctx = new DefaultCamelContext();
        Properties props = new Properties();
        // as app/CamelRuntime does: every setting's effective value, for the route file's placeholders
        props.putAll(io.cdcbridge.config.SettingsCatalog.effective(s));
        ctx.getPropertiesComponent().setInitialProperties(props);
        ctx.getRegistry().bind("deadLetters", deadLetters != null ? deadLetters : new DeadLetters(producer(), prefix));
        new BigQuerySink().install(s, ctx);
        PluginHelper.getRoutesLoader(ctx).loadRoutes(
                ResourceHelper.resolveMandatoryResource(ctx, "file:routes/bigquery.camel.yaml"));
        ctx.start();
        context = ctx;
        return this;
    }

    public CamelContext context() {
        return context;
    }

    public synchronized void stop() {
        if (context != null) {
            context.stop();
            context = null;
        }
    }

    @Override
    public synchronized void close() {
        stop();
        if (producer != null) {
            producer.close(Duration.ofSeconds(5));
            producer = null;
        }
    }

    public synchronized KafkaProducer<byte[], byte[]> producer() {
        if (producer == null) {
            Properties p = new Properties();
            p.put("bootstrap.servers", TestInfra.kafka().bootstrapServers());
            p.put("key.serializer", ByteArraySerializer.class.getName());
            p.put("value.serializer", ByteArraySerializer.class.getName());
            p.put("acks", "all");
            producer = new KafkaProducer<>(p);
        }
        return producer;
    }

    /** Produces one record (waits for the ack); {@code types} becomes the {@code cdc.types} header when not null. */
    public void send(String table, String key, String value, String types) throws Exception {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic(table), null, bytes(key), bytes(value));
        if (types != null) {
            r.headers().add("cdc.types", types.getBytes(StandardCharsets.UTF_8));
        }
        producer().send(r).get(30, TimeUnit.SECONDS);
    }

    private static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    /** All records currently in the sink's dead-letter topic. */
    public List<ConsumerRecord<byte[], byte[]>> deadLetters() {
        Properties p = new Properties();
        p.put("bootstrap.servers", TestInfra.kafka().bootstrapServers());
        p.put("key.deserializer", ByteArrayDeserializer.class.getName());
        p.put("value.deserializer", ByteArrayDeserializer.class.getName());
        p.put("enable.auto.commit", "false");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = c.partitionsFor(dlqTopic(), Duration.ofSeconds(10)).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            if (parts.isEmpty()) {
                return out;
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            long deadline = System.currentTimeMillis() + 10_000;
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }

    /** Committed offset of the sink's consumer group per partition of a topic, and the topic's end offsets. */
    public Map<String, long[]> offsets(String table) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestInfra.kafka().bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group())
                    .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
            TopicPartition tp = new TopicPartition(topic(table), 0);
            long end = admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get(10, TimeUnit.SECONDS).offset();
            OffsetAndMetadata c = committed.get(tp);
            return Map.of(tp.toString(), new long[] {c == null ? -1 : c.offset(), end});
        }
    }
}
