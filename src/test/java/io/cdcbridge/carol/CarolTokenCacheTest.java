package io.cdcbridge.carol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import io.cdcbridge.support.FakeCarolCase;
import io.cdcbridge.support.MutableClock;
import org.junit.jupiter.api.Test;

/** The token cache (and the Carol settings) against the Carol fake, time moved by hand. */
class CarolTokenCacheTest extends FakeCarolCase {


    private CarolTokenCache cache(Map<String, String> overrides) {
        Map<String, String> s = new HashMap<>(carol.settings());
        s.putAll(overrides);
        return new CarolTokenCache(CarolConfig.from(Settings.of(s)), http, clock);
    }

    @Test
    void oneFetchServesUntilSixtySecondsBeforeExpiryThenTheRefreshGrantRenewsIt() {
        // a 10-minute token: 60 s ahead is less than half its life, so the setting applies as pycarol's 1-minute buffer
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

    @Test
    void theTokenComesFromTheV5EndpointAndAPathWithoutOneStopsNamingTheSetting() {
        assertThat(cache(Map.of()).tokenUri().getPath()).isEqualTo("/api/v5/oauth2/token");
        CarolTokenCache v1 = cache(Map.of("cdc.carol.token-path", "/api/v1/oauth2/token"));
        assertThatThrownBy(v1::token).isInstanceOf(CarolCredentialsException.class).hasMessageContaining("HTTP 404")
                .hasMessageContaining("cdc.carol.token-path").hasMessageContaining("/api/v5/oauth2/token");
    }

    @Test
    void fiveSecondTokensAreRenewedAtMostOncePerHalfLifetimeDespiteSixtySecondsAhead() {
        carol.expiresIn(Duration.ofSeconds(5));
        CarolTokenCache tokens = cache(Map.of()); // cdc.carol.token-refresh-ahead-s = 60, longer than the whole life
        for (int i = 0; i < 170; i++) { // a request every 100 ms for 17 s
            tokens.token();
            assertThat(Duration.between(clock.instant(), tokens.expiresAt())).as("left to the token handed out")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(2500));
            clock.advance(Duration.ofMillis(100));
        }
        // renewed every 2.5 s: at 0, 2.5, 5, …, 15 s (the bug: 60 token requests in 17 s)
        assertThat(carol.tokenCalls()).isEqualTo(7);
    }

    @Test
    void expiryIsTimeIssuedPlusExpiresInButAClockAheadOfCarolsCannotMakeEveryRequestRenew() {
        carol.expiresIn(Duration.ofSeconds(10));
        MutableClock ours = new MutableClock(clock.instant().plusSeconds(4)); // 4 s ahead of Carol's clock
        Map<String, String> s = new HashMap<>(carol.settings());
        CarolTokenCache tokens = new CarolTokenCache(CarolConfig.from(Settings.of(s)), http, ours);
        tokens.token();
        assertThat(tokens.expiresAt()).as("timeIssuedInMillis + expires_in").isEqualTo(clock.instant().plusSeconds(10));
        for (int i = 0; i < 100; i++) { // 10 s, a request every 100 ms, both clocks moving
            tokens.token();
            clock.advance(Duration.ofMillis(100));
            ours.advance(Duration.ofMillis(100));
        }
        assertThat(carol.tokenCalls()).as("renewed after half its life, not on every request").isEqualTo(2);

        MutableClock behind = new MutableClock(clock.instant().minusSeconds(30)); // Carol's clock 30 s ahead of ours
        CarolTokenCache late = new CarolTokenCache(CarolConfig.from(Settings.of(s)), http, behind);
        late.token();
        assertThat(late.expiresAt()).as("never trusted beyond its life from when it arrived").isEqualTo(behind.instant().plusSeconds(10));
    }

    @Test
    void aTokenWithExpiresInZeroNeverExpires() {
        carol.expiresIn(Duration.ZERO);
        CarolTokenCache tokens = cache(Map.of());
        String first = tokens.token();
        clock.advance(Duration.ofDays(365));
        assertThat(tokens.token()).isEqualTo(first);
        assertThat(tokens.expiresAt()).isEqualTo(java.time.Instant.MAX);
        assertThat(carol.tokenCalls()).isEqualTo(1);
    }

    @Test
    void anMfaAccountStopsWithOneLineNamingTheSettingsAndIsAskedOncePerAttempt() {
        CarolTokenCache tokens = cache(Map.of("cdc.carol.username", FakeCarol.MFA_USER));
        assertThatThrownBy(tokens::token).isInstanceOf(CarolCredentialsException.class)
                .hasMessageContaining("multi-factor").hasMessageContaining("cdc.carol.username").hasMessageContaining("cdc.carol.auth")
                .hasMessageNotContaining(FakeCarol.PASSWORD).hasMessageNotContaining("\n");
        assertThat(carol.tokenCalls()).as("no retry inside").isEqualTo(1);
        assertThatThrownBy(tokens::token).isInstanceOf(CarolCredentialsException.class);
        assertThat(carol.tokenCalls()).isEqualTo(2);
    }

    @Test
    void noTokenNorThePasswordIsEverLogged() {
        ch.qos.logback.classic.Logger log = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(CarolTokenCache.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        ch.qos.logback.classic.Level level = log.getLevel();
        log.setLevel(ch.qos.logback.classic.Level.TRACE);
        log.addAppender(seen);
        try {
            carol.expiresIn(Duration.ofMinutes(2));
            CarolTokenCache tokens = cache(Map.of());
            tokens.token();
            clock.advance(Duration.ofMinutes(2)); // refresh grant
            tokens.token();
            carol.revokeTokens();
            clock.advance(Duration.ofMinutes(2)); // refresh refused, password grant again
            tokens.token();
            assertThat(carol.tokenCalls()).isEqualTo(4);
            assertThat(seen.list).isNotEmpty();
            for (var e : seen.list) {
                for (String secret : carol.issued()) {
                    assertThat(e.getFormattedMessage()).doesNotContain(secret);
                }
                assertThat(e.getFormattedMessage()).doesNotContain(FakeCarol.PASSWORD);
            }
        } finally {
            log.detachAppender(seen);
            log.setLevel(level);
        }
    }

    @Test
    void pathsAreSettingsAndStagingNamesAreEncoded() {
        Map<String, String> s = new HashMap<>(carol.settings());
        CarolConfig c = CarolConfig.from(Settings.of(s));
        assertThat(c.intakeUri("users").toString()).isEqualTo(carol.url() + "/api/v3/staging/intake/users?connectorId=" + FakeCarol.CONNECTOR);
        assertThat(c.schemaUri("order items").toString())
                .isEqualTo(carol.url() + "/api/v2/staging/tables/order%20items/schema?connectorId=" + FakeCarol.CONNECTOR);
        assertThat(c.manageSchemas()).isTrue();
        s.put("cdc.carol.intake-path", "/api/v4/intake/{staging}");
        s.put("cdc.carol.manage-schemas", "false");
        c = CarolConfig.from(Settings.of(s));
        assertThat(c.intakeUri("users").getPath()).isEqualTo("/api/v4/intake/users");
        assertThat(c.manageSchemas()).isFalse();
        s.put("cdc.carol.intake-path", "/api/v3/staging/intake");
        assertThatThrownBy(() -> CarolConfig.from(Settings.of(s))).hasMessageContaining("cdc.carol.intake-path").hasMessageContaining("{staging}");
        s.remove("cdc.carol.intake-path");
        s.put("cdc.carol.token-path", "api/v5/oauth2/token");
        assertThatThrownBy(() -> CarolConfig.from(Settings.of(s))).hasMessageContaining("cdc.carol.token-path");
        s.remove("cdc.carol.token-path");
        s.put("cdc.carol.crosswalk.public.Sales", "BookId, UserId");
        c = CarolConfig.from(Settings.of(s));
        assertThat(c.crosswalk("public", "Sales", List.of())).containsExactly("BookId", "UserId");
        assertThat(c.crosswalk("public", "Users", List.of("UserId"))).containsExactly("UserId");
    }
}
