package io.cdcbridge.carol;

import java.net.http.HttpResponse;
import java.util.Locale;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.cdcbridge.config.CarolSettings;

/**
 * Carol's answers by status class (docs/architecture.md §8, docs/carol.md "Answers"), shared by intake and the schema
 * API: which answers may pass with time (retry), which say the configuration is wrong (stop the route with one line
 * naming the setting: retrying cannot help and dead-lettering would park every record), and what a 2xx body says.
 */
final class CarolStatus {

    private static final ObjectMapper JSON = new ObjectMapper();

    private CarolStatus() {
    }

    /**
     * May pass with time: 408, 409 (a concurrent change), 425, 429 and every 5xx but 501 (Not Implemented) and 505
     * (HTTP Version Not Supported), which say the URL reaches something that will never take the request.
     */
    static boolean retryable(int status) {
        return status == 408 || status == 409 || status == 425 || status == 429 || (status / 100 == 5 && status != 501 && status != 505);
    }

    /**
     * Why the route must stop for this answer, or null: a redirect (never followed: it would carry the credentials
     * elsewhere, and it means {@code cdc.carol.url} is not the API root), 501/505, or a request-wide 400/404 about
     * the connector (a wrong {@code cdc.carol.connector-id}: every record would be refused the same way).
     */
    static String stop(HttpResponse<String> r, String doing) {
        int status = r.statusCode();
        if (status / 100 == 3) {
            return "Carol answered HTTP " + status + " (a redirect" + r.headers().firstValue("Location").map(l -> " to " + l).orElse("")
                    + ") " + doing + ": the bridge does not follow redirects; set " + CarolSettings.URL.key()
                    + " to the API root itself (https://<org>.carol.ai, no path)";
        }
        if (status == 501 || status == 505) {
            return "Carol answered HTTP " + status + " " + doing + ": " + CarolTokenCache.carolMessage(r.body())
                    + "; the address does not serve Carol's API: check " + CarolSettings.URL.key();
        }
        if ((status == 400 || status == 404) && aboutTheConnector(r.body())) {
            return "Carol refused the connector " + doing + " (HTTP " + status + "): " + CarolTokenCache.carolMessage(r.body())
                    + "; check " + CarolSettings.CONNECTOR_ID.key();
        }
        return null;
    }

    /** A refusal of the whole request for its connector id: Carol's message names the connector (e.g. "Unknown connectorId"). */
    static boolean aboutTheConnector(String body) {
        String m = CarolTokenCache.carolMessage(body).toLowerCase(Locale.ROOT);
        return m.contains("connectorid") || m.contains("connector id") || m.contains("connector not found")
                || (m.contains("connector") && (m.contains("unknown") || m.contains("invalid") || m.contains("not found") || m.contains("does not exist")));
    }

    /**
     * What a 2xx intake answer says went wrong, or null when it says nothing did. Carol answers
     * {@code {"success": true, …}}; a body with {@code success: false} (or an {@code errorCode}) is a refusal in a 2xx
     * envelope and must not count as delivered. An empty or non-JSON body says nothing against it.
     */
    static String failureIn2xx(String body) {
        if (body == null || body.isBlank()) {
            return null;
        }
        JsonNode n;
        try {
            n = JSON.readTree(body);
        } catch (java.io.IOException e) {
            return null;
        }
        if (n == null || !n.isObject()) {
            return null;
        }
        JsonNode success = n.get("success");
        boolean failed = (success != null && ((success.isBoolean() && !success.booleanValue()) || "false".equalsIgnoreCase(success.asText())))
                || n.hasNonNull("errorCode");
        return failed ? CarolTokenCache.carolMessage(body) : null;
    }
}
