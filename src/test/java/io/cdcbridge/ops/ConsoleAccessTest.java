package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.Headers;
import org.junit.jupiter.api.Test;

class ConsoleAccessTest {

    private static Headers headers(String... nameValue) {
        Headers h = new Headers();
        for (int i = 0; i + 1 < nameValue.length; i += 2) {
            h.add(nameValue[i], nameValue[i + 1]);
        }
        return h;
    }

    @Test
    void onLoopbackAPageOfAnotherSiteCannotReadNorAct() {
        ConsoleAccess a = new ConsoleAccess(true, null);
        assertThat(a.read(headers("Host", "127.0.0.1:8080"))).isNull();
        assertThat(a.read(headers("Host", "localhost:8080"))).isNull();
        assertThat(a.read(headers("Host", "[::1]:8080"))).isNull();
        assertThat(a.read(headers())).as("a script without Host (HTTP/1.0)").isNull();
        // DNS rebinding: evil.example resolved to 127.0.0.1, the browser sends its own name
        assertThat(a.read(headers("Host", "evil.example:8080"))).contains("evil.example").contains("refused");
        // CSRF: a page elsewhere posts to the loopback console
        assertThat(a.act(headers("Host", "127.0.0.1:8080", "Origin", "https://evil.example"))).contains("Origin https://evil.example");
        assertThat(a.act(headers("Host", "127.0.0.1:8080", "Origin", "null"))).isNotNull();
        assertThat(a.act(headers("Host", "127.0.0.1:8080", "Sec-Fetch-Site", "cross-site"))).contains("cross-site");
        assertThat(a.act(headers("Host", "127.0.0.1:8080", "Origin", "http://127.0.0.1:8080", "Sec-Fetch-Site", "same-origin"))).isNull();
        assertThat(a.act(headers("Host", "127.0.0.1:8080"))).as("curl").isNull();
    }

    @Test
    void beyondLoopbackEveryApiRequestNeedsTheToken() {
        ConsoleAccess off = new ConsoleAccess(false, "");
        assertThat(off.read(headers("Host", "bridge:8080"))).contains("cdc.console.token is not set");
        ConsoleAccess a = new ConsoleAccess(false, "segredo");
        assertThat(a.read(headers("Host", "bridge:8080"))).contains("X-Console-Token").doesNotContain("segredo");
        assertThat(a.read(headers("Host", "bridge:8080", "X-Console-Token", "segred"))).isNotNull();
        assertThat(a.read(headers("Host", "bridge:8080", "X-Console-Token", "segredo"))).isNull();
        assertThat(a.act(headers("Host", "bridge:8080", "X-Console-Token", "segredo", "Origin", "http://bridge:8080"))).isNull();
        assertThat(a.act(headers("Host", "bridge:8080", "X-Console-Token", "segredo", "Origin", "http://evil.example"))).isNotNull();
    }

    @Test
    void theHostPartOfAHostHeader() {
        assertThat(ConsoleAccess.hostName("127.0.0.1:8080")).isEqualTo("127.0.0.1");
        assertThat(ConsoleAccess.hostName("LOCALHOST")).isEqualTo("localhost");
        assertThat(ConsoleAccess.hostName("[::1]:80")).isEqualTo("[::1]");
        assertThat(ConsoleAccess.hostName(" ")).isNull();
    }
}
