package io.cdcbridge.delivery;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.cdcbridge.config.BigQuerySettings;
import io.cdcbridge.config.CarolSettings;
import io.cdcbridge.config.ConfigException;
import io.cdcbridge.config.Setting;
import io.cdcbridge.config.Settings;
import io.cdcbridge.errors.PermanentDeliveryException;

/**
 * Passthrough topics (issue 9): Kafka topics whose records are already sink records, no ChangeEvent in between, as
 * the seed's {@code ingestion_newstaging} was for Carol. Settings: {@code cdc.passthrough.<topic>.carol-staging}
 * ({@link CarolSettings#PASSTHROUGH_STAGING}) and {@code cdc.passthrough.<topic>.bigquery-table}
 * ({@link BigQuerySettings#PASSTHROUGH_TABLE}). A record is one JSON object or a JSON array of objects; anything
 * else is refused (dead-lettered by the sink). The sinks subscribe to these topics next to the ChangeEvent topics and
 * send their records down the same path (batching, retries, dead letters, dry run).
 */
public final class Passthrough {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** Topic → Carol staging. */
    private final Map<String, String> carol;
    /** Topic → BigQuery table. */
    private final Map<String, String> bigQuery;

    private Passthrough(Map<String, String> carol, Map<String, String> bigQuery) {
        this.carol = carol;
        this.bigQuery = bigQuery;
    }

    public static Passthrough from(Settings s) {
        Setting<String> staging = CarolSettings.PASSTHROUGH_STAGING;
        Setting<String> table = BigQuerySettings.PASSTHROUGH_TABLE;
        // both families share the start cdc.passthrough.: a key there that is neither is a mistake, not a third target
        String start = staging.key();
        for (String key : s.asMap().keySet()) {
            if (!key.startsWith(start)) {
                continue;
            }
            String rest = key.substring(start.length());
            int dot = rest.lastIndexOf('.');
            String topic = dot < 0 ? "" : rest.substring(0, dot);
            if (!topic.matches("[A-Za-z0-9._-]{1,249}")) {
                throw new ConfigException(key, "must be " + staging.pattern() + " or " + table.pattern() + " with a Kafka topic name");
            }
            if (!staging.matches(key) && !table.matches(key)) {
                throw new ConfigException(key, "unknown passthrough target '" + rest.substring(dot + 1)
                        + "' (carol-staging, bigquery-table)");
            }
        }
        return new Passthrough(new TreeMap<>(s.under(staging)), new TreeMap<>(s.under(table)));
    }

    public String carolStaging(String topic) {
        return carol.get(topic);
    }

    public String bigQueryTable(String topic) {
        return bigQuery.get(topic);
    }

    /**
     * The sink's topic regex: the ChangeEvent topics, or one of its passthrough topics. URI-safe (no {@code ?}).
     */
    public String topicPattern(String changeEventPattern, String sink) {
        Map<String, String> mine = sink.equals("carol") ? carol : bigQuery;
        if (mine.isEmpty()) {
            return changeEventPattern;
        }
        String topics = mine.keySet().stream().map(t -> t.replaceAll("([.\\-])", "\\\\$1")).collect(Collectors.joining("|"));
        return "(" + changeEventPattern + ")|(" + topics + ")";
    }

    /** A passthrough record's objects: one object, or each object of an array. */
    public static List<ObjectNode> records(Object value) {
        JsonNode n;
        try {
            if (value instanceof byte[] b) {
                n = JSON.readTree(b);
            } else if (value instanceof String str) {
                n = JSON.readTree(str);
            } else {
                throw new PermanentDeliveryException("passthrough record without a value");
            }
        } catch (IOException e) {
            throw new PermanentDeliveryException("passthrough record is not JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        List<ObjectNode> out = new ArrayList<>();
        if (n instanceof ObjectNode o) {
            out.add(o);
        } else if (n != null && n.isArray() && n.size() > 0) {
            for (JsonNode e : n) {
                if (!(e instanceof ObjectNode o)) {
                    throw new PermanentDeliveryException("passthrough record must be a JSON object or an array of objects, found an array of "
                            + e.getNodeType().name().toLowerCase());
                }
                out.add(o);
            }
        } else {
            throw new PermanentDeliveryException("passthrough record must be a JSON object or an array of objects, got "
                    + (n == null ? "nothing" : n.getNodeType().name().toLowerCase()));
        }
        return out;
    }
}
