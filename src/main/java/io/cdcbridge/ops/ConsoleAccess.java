package io.cdcbridge.ops;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Set;

import com.sun.net.httpserver.Headers;

import io.cdcbridge.config.OpsSettings;

/**
 * Who may use the console's API ({@code /api/*}; docs/operations.md, "Console access"). The answers carry row
 * contents ({@code /api/events}) and the actions stop delivery, so:
 * <ul>
 *   <li>bound beyond loopback, every {@code /api/*} request needs {@code X-Console-Token} equal to
 *   {@code cdc.console.token}; with no token set the API is off;</li>
 *   <li>bound to loopback, the request's {@code Host} must name loopback: a page on another site whose name was made to
 *   resolve to 127.0.0.1 (DNS rebinding) sends its own name, and is refused;</li>
 *   <li>an action (POST) made by a browser must come from the console's own page: an {@code Origin} (or
 *   {@code Sec-Fetch-Site}) that says another site is refused, so a page open in the operator's browser cannot suspend
 *   a route (CSRF). Scripts (curl) send neither header and pass.</li>
 * </ul>
 * Health and metrics are outside the API: they hold no row contents and probes carry no token.
 */
final class ConsoleAccess {

    static final String TOKEN_HEADER = "X-Console-Token";
    private static final Set<String> LOOPBACK_NAMES = Set.of("localhost", "127.0.0.1", "[::1]", "::1");

    private final boolean loopbackOnly;
    private final byte[] token;

    ConsoleAccess(boolean loopbackOnly, String token) {
        this.loopbackOnly = loopbackOnly;
        this.token = token == null || token.isBlank() ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether this console needs the token from every caller. */
    boolean tokenRequired() {
        return !loopbackOnly;
    }

    /** Null when the request may read the API, else why not (the answer's error, never the token). */
    String read(Headers h) {
        if (loopbackOnly) {
            String host = hostName(h.getFirst("Host"));
            return host == null || LOOPBACK_NAMES.contains(host) ? null
                    : "Host " + host + " is not this console's (it listens on loopback only): refused";
        }
        if (token == null) {
            return "the console's API is off: it is exposed beyond localhost and " + OpsSettings.CONSOLE_TOKEN.key() + " is not set";
        }
        String given = h.getFirst(TOKEN_HEADER);
        if (given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token)) {
            return null;
        }
        return "a valid " + TOKEN_HEADER + " header is required";
    }

    /** Null when the request may act (suspend, resume), else why not. */
    String act(Headers h) {
        String refused = read(h);
        if (refused != null) {
            return refused;
        }
        if ("cross-site".equals(h.getFirst("Sec-Fetch-Site"))) {
            return "a cross-site request may not act on routes";
        }
        String origin = h.getFirst("Origin");
        if (origin != null) {
            String host = h.getFirst("Host");
            String from = originHost(origin);
            if (host == null || !host.toLowerCase(Locale.ROOT).equals(from)) {
                return "Origin " + origin + " is not this console's page: refused";
            }
        }
        return null;
    }

    /** The host part of a Host header ({@code 127.0.0.1:8080} → {@code 127.0.0.1}, {@code [::1]:80} → {@code [::1]}). */
    static String hostName(String hostHeader) {
        if (hostHeader == null || hostHeader.isBlank()) {
            return null;
        }
        String h = hostHeader.trim().toLowerCase(Locale.ROOT);
        if (h.startsWith("[")) {
            int end = h.indexOf(']');
            return end < 0 ? h : h.substring(0, end + 1);
        }
        int colon = h.indexOf(':');
        return colon < 0 ? h : h.substring(0, colon);
    }

    /** {@code http://127.0.0.1:8080} → {@code 127.0.0.1:8080}: what the page's Host header was; "null" matches nothing. */
    private static String originHost(String origin) {
        try {
            URI u = URI.create(origin.trim());
            if (u.getHost() == null) {
                return "";
            }
            return (u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort())).toLowerCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }
}
