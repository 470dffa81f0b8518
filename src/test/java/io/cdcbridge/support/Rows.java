package io.cdcbridge.support;

import java.util.LinkedHashMap;
import java.util.Map;

/** A row of column values for the pure mapping tests, in the order given (a null value kept as such). */
public final class Rows {

    private Rows() {
    }

    /** {@code of("id", 1, "name", "Ana")}: names and values, alternating. */
    public static Map<String, Object> of(Object... namesAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put((String) namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }
}
