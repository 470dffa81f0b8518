package io.cdcbridge.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.cdcbridge.config.Settings;
import io.cdcbridge.support.FakeBigQuery;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.TestInfra;

/**
 * {@code check} against the real Postgres and broker and the two fakes: every part passes when all is in order, and
 * each part fails on its own, with one line naming what to fix, when one is wrong; no password in any line.
 */
class CheckIT {

    private static FakeBigQuery bigquery;
    private static FakeCarol carol;
    private static String db;

    @BeforeAll
    static void start() {
        bigquery = FakeBigQuery.start();
        carol = FakeCarol.start(java.time.Clock.systemUTC());
        db = TestInfra.newDatabase("check");
        TestInfra.sql(db, "CREATE TABLE public.items (id int PRIMARY KEY, name text)");
    }

    @AfterAll
    static void stop() {
        bigquery.close();
        carol.close();
    }

    private static Map<String, String> good() {
        Map<String, String> s = new HashMap<>(carol.settings());
        var pg = TestInfra.postgres();
        s.put("cdc.source.host", pg.host());
        s.put("cdc.source.port", String.valueOf(pg.port()));
        s.put("cdc.source.database", db);
        s.put("cdc.source.user", "postgres");
        s.put("cdc.source.password", "pg-Secret-1");
        s.put("cdc.kafka.brokers", TestInfra.kafka().bootstrapServers());
        s.put("cdc.bigquery.enabled", "true");
        s.put("cdc.bigquery.project", "check-project");
        s.put("cdc.bigquery.dataset", "check_ds");
        s.putAll(bigquery.bridgeSettings());
        s.put("cdc.carol.enabled", "true");
        return s;
    }

    private static List<Check.Result> check(Map<String, String> s) {
        List<Check.Result> results = Check.run(Settings.of(s), Duration.ofSeconds(3));
        for (Check.Result r : results) {
            assertThat(r.toString()).doesNotContain("\n").doesNotContain(FakeCarol.PASSWORD).doesNotContain("pg-Secret-1");
        }
        return results;
    }

    private static Check.Result part(List<Check.Result> results, String part) {
        return results.stream().filter(r -> r.part().equals(part)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + part + " line in " + results));
    }

    @Test
    void everyPartPassesWhenAllIsInOrder() {
        List<Check.Result> results = check(good());
        assertThat(results).extracting(Check.Result::part).containsExactly("settings", "postgres", "kafka", "bigquery", "carol");
        assertThat(results).allMatch(Check.Result::ok, "all ok: " + results);
        assertThat(part(results, "kafka").detail()).contains("1 broker(s)");
        assertThat(part(results, "carol").detail()).contains("token obtained for " + FakeCarol.USER);
        assertThat(part(results, "bigquery").detail()).contains("check-project:check_ds not there yet");
    }

    @Test
    void aMisspeltKeyFailsTheSettingsLineAndNothingIsReached() {
        Map<String, String> s = good();
        s.put("cdc.carol.batchsize", "10");
        List<Check.Result> results = check(s);
        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.ok()).isFalse();
            assertThat(r.toString()).startsWith("FAIL settings: cdc.carol.batchsize: no such setting (did you mean cdc.carol.batch-size?)");
        });
    }

    @Test
    void eachWrongPartFailsOnItsOwnLine() {
        Map<String, String> s = good();
        s.put("cdc.source.database", "no_such_db");
        s.put("cdc.kafka.brokers", "127.0.0.1:1"); // nothing listens there
        s.put("cdc.carol.password", "wrong-password");
        List<Check.Result> results = check(s);
        assertThat(part(results, "settings").ok()).isTrue();
        assertThat(part(results, "postgres").ok()).isFalse();
        assertThat(part(results, "postgres").detail()).startsWith("cdc.source.database: database 'no_such_db' does not exist");
        assertThat(part(results, "kafka").ok()).isFalse();
        assertThat(part(results, "kafka").detail()).startsWith("cdc.kafka.brokers: no answer from 127.0.0.1:1 within 3 s");
        assertThat(part(results, "bigquery").ok()).isTrue();
        assertThat(part(results, "carol").ok()).isFalse();
        assertThat(part(results, "carol").detail()).doesNotContain("wrong-password");
    }
}
