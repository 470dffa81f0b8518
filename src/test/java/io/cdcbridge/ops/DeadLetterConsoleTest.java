package io.cdcbridge.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import io.cdcbridge.errors.DeadLetterLog;
import org.junit.jupiter.api.Test;

class DeadLetterConsoleTest {

    private final DeadLetterConsole console = new DeadLetterConsole(null, null, () -> Set.of("carol"), Map::of,
            Set.of("Users.UserName", "Secret"), new ConsoleAccess(true, null));

    @Test
    void theStatusIsReadFromTheSinksReason() {
        assertThat(DeadLetterConsole.status("Carol refused the request to staging users (HTTP 400): {\"errorCode\":400}")).isEqualTo(400);
        assertThat(DeadLetterConsole.status("413 Request Entity Too Large")).isEqualTo(413);
        assertThat(DeadLetterConsole.status("{\"errorCode\":422,\"errorMessage\":\"x\"}")).isEqualTo(422);
        assertThat(DeadLetterConsole.status("not a ChangeEvent: value is not JSON")).isNull();
        assertThat(DeadLetterConsole.status("row 1200 has 3 errors")).isNull();
        assertThat(DeadLetterConsole.status(null)).isNull();
    }

    @Test
    void theRecordIsShownWithItsSensitiveColumnsMaskedAndItsCause() {
        String event = "{\"v\":1,\"op\":\"u\",\"schema\":\"public\",\"table\":\"Users\",\"key\":{\"UserId\":4,\"Secret\":\"k\"},"
                + "\"before\":{\"UserId\":4,\"UserName\":\"Beatriz\",\"Department\":\"TI\"},"
                + "\"after\":{\"UserId\":4,\"UserName\":\"Beatriz\",\"Department\":\"Auditoria\"}}";
        Map<String, Object> shown = console.letter(letter("{\"UserId\":4,\"Secret\":\"k\"}", event));
        String text = shown.toString();
        assertThat(text).doesNotContain("Beatriz").doesNotContain("\"k\"").contains("\"UserName\":\"" + StatusConsole.MASK + "\"")
                .contains("\"Department\":\"Auditoria\"").contains("\"Secret\":\"" + StatusConsole.MASK + "\"");
        assertThat(shown).containsEntry("status", 400).containsEntry("origin", "postgres.public.Users/0/17")
                .containsEntry("attempts", "3").containsEntry("replayed", false).containsEntry("dlq", "1@42");
    }

    @Test
    void aRecordThatIsNotJsonIsNotShownForItCannotBeMasked() {
        Map<String, Object> shown = console.letter(letter(null, "this is not JSON, Beatriz"));
        assertThat(shown.get("record").toString()).isEqualTo("(not a JSON object, 25 bytes: not shown, it cannot be masked)");
        assertThat(shown.get("key")).isNull();
    }

    private static DeadLetterLog.Letter letter(String key, String value) {
        return new DeadLetterLog.Letter(1, 42, 0, "public.Users", "io.cdcbridge.errors.PermanentDeliveryException",
                "Carol refused the request to staging users (HTTP 400): nope", "3", "carol-delivery", "2026-12-02T03:00:00Z",
                "postgres.public.Users", "0", "17", key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), false);
    }
}
