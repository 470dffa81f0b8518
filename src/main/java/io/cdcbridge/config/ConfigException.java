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

    /**
     * The one line a user can act on for a failure: a ConfigException anywhere in the chain (a bad setting, named), else
     * the innermost cause's class and first message line (what the part's client said).
     */
    public static String rootMessage(Throwable e) {
        Throwable t = e;
        while (!(t instanceof ConfigException) && t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        if (t instanceof ConfigException) {
            return "configuration error: " + t.getMessage();
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }
}
