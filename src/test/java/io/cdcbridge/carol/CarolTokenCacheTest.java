package io.cdcbridge.carol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.cdcbridge.config.Settings;
import io.cdcbridge.support.FakeCarol;
import io.cdcbridge.support.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The token cache against the Carol fake, time moved by hand. */
class CarolTokenCacheTest {

    private final MutableClock clock = new MutableClock();
    private final FakeCarol carol = FakeCarol.start(clock);
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        carol.close();
    }

    private CarolTokenCache cache(Map<String, String> overrides) {
        Map<String, String> s = new HashMap<>(carol.settings());
        s.putAll(overrides);
        return new CarolTokenCache(CarolConfig.from(Settings.of(s)), http, clock);
    }

    @Test
    void oneFetchServesUntilSixtySecondsBeforeExpiryThenTheRefreshGrantRenewsIt() {
        carol.expiresIn(Duration.ofMinutes(10));
        CarolTokenCache tokens = cache(Map.of());
        String first = tokens.token();
        assertThat(tokens.token()).isEqualTo(first);
        clock.advance(Duration.ofMinutes(8).plusSeconds(59)); // 61 s left
        assertThat(tokens.token()).isEqualTo(first);
        assertThat(carol.tokenCalls()).isEqualTo(1);
        clock.advance(Duration.ofSeconds(2)); // 59 s left: renewed ahead of expiry
        String second = tokens.token();
        assertThat(second).isNotEqualTo(first);
        assertThat(carol.tokenCalls()).isEqualTo(2);
        assertThat(tokens.expiresAt()).isEqualTo(clock.instant().plus(Duration.ofMinutes(10)));
    }

    @Test
    void aRefusedRefreshTokenFallsBackToANewPasswordGrant() {
        carol.expiresIn(Duration.ofMinutes(5));
        CarolTokenCache tokens = cache(Map.of());
        String first = tokens.token();
        carol.revokeTokens(); // refresh token no longer valid either
        clock.advance(Duration.ofMinutes(5));
        String second = tokens.token();
        assertThat(second).isNotEqualTo(first);
        assertThat(carol.tokenCalls()).as("refresh refused, then password grant").isEqualTo(3);
    }

    @Test
    void fiftyConcurrentCallersCauseOneTokenCall() throws Exception {
        CarolTokenCache tokens = cache(Map.of());
        ExecutorService pool = Executors.newFixedThreadPool(50);
        try {
            List<Callable<String>> calls = IntStream.range(0, 50).mapToObj(i -> (Callable<String>) tokens::token).toList();
            Set<String> got = pool.invokeAll(calls).stream().map(f -> {
                try {
                    return f.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).collect(Collectors.toSet());
            assertThat(got).hasSize(1);
            assertThat(carol.tokenCalls()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void invalidatingTheCurrentTokenForcesOneRenewal() {
        CarolTokenCache tokens = cache(Map.of());
        String first = tokens.token();
        tokens.invalidate("some-older-token");
        assertThat(tokens.token()).isEqualTo(first);
        tokens.invalidate(first);
        assertThat(tokens.token()).isNotEqualTo(first);
        assertThat(carol.tokenCalls()).isEqualTo(2);
    }

    @Test
    void badCredentialsGiveCarolsMessageNeverThePassword() {
        CarolTokenCache tokens = cache(Map.of("cdc.carol.password", "senha-errada-123"));
        assertThatThrownBy(tokens::token).isInstanceOf(CarolCredentialsException.class)
                .hasMessageContaining("Invalid username or password").hasMessageContaining("HTTP 401")
                .hasMessageNotContaining("senha-errada-123");
    }

    @Test
    void anUnreachableTokenEndpointIsRetryable() {
        Map<String, String> s = new HashMap<>(carol.settings());
        s.put("cdc.carol.url", "http://127.0.0.1:1");
        CarolTokenCache tokens = new CarolTokenCache(CarolConfig.from(Settings.of(s)), http, clock);
        assertThatThrownBy(tokens::token).isInstanceOf(CarolRetryableException.class);
    }

    @Test
    void settingsAreValidatedNamingTheKey() {
        Map<String, String> s = new HashMap<>(carol.settings());
        s.put("cdc.carol.url", "http://carol.example.com");
        assertThatThrownBy(() -> CarolConfig.from(Settings.of(s))).hasMessageContaining("cdc.carol.url").hasMessageContaining("https");
        s.put("cdc.carol.url", "https://livraria.carol.ai");
        s.remove("cdc.carol.password");
        assertThatThrownBy(() -> CarolConfig.from(Settings.of(s))).hasMessageContaining("cdc.carol.password");
        s.put("cdc.carol.auth", "apikey");
        assertThatThrownBy(() -> CarolConfig.from(Settings.of(s))).hasMessageContaining("cdc.carol.api-key");
        s.put("cdc.carol.api-key", FakeCarol.API_KEY);
        s.put("cdc.carol.batch-size", "501");
        assertThatThrownBy(() -> CarolConfig.from(Settings.of(s))).hasMessageContaining("cdc.carol.batch-size");
    }
}
