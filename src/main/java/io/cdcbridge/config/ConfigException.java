package io.cdcbridge.config;

/** A bad or missing setting. The message is one readable line that names the key; it never holds a secret value. */
public class ConfigException extends RuntimeException {
    private final String key;

    public ConfigException(String key, String problem) {
        super(key + ": " + problem);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
