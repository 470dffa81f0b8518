package io.cdcbridge.support;

import java.net.http.HttpClient;

import org.junit.jupiter.api.AfterEach;

/** A test against a {@link FakeCarol} of its own whose time the test moves ({@link MutableClock}), stopped after it. */
public abstract class FakeCarolCase {

    protected final MutableClock clock = new MutableClock();
    protected final FakeCarol carol = FakeCarol.start(clock);
    protected final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stopFakeCarol() {
        carol.close();
    }
}
