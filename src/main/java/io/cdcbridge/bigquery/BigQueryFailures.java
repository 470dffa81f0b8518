package io.cdcbridge.bigquery;

import java.io.IOException;
import java.util.Set;

import com.google.cloud.bigquery.BigQueryError;
import com.google.cloud.bigquery.BigQueryException;
import io.cdcbridge.errors.PermanentDeliveryException;

/**
 * Sorts BigQuery failures into the two kinds the delivery engine knows (docs/architecture.md §6): retryable ones (5xx, 429 and
 * {@code rateLimitExceeded}, timeouts and I/O errors) are retried with backoff; any other
 * answer (400 invalid, 403 access denied, 404...) cannot be fixed by retrying and becomes a
 * {@link PermanentDeliveryException}: the request is refused and its records go to the dead-letter topic.
 */
public final class BigQueryFailures {

    private static final Set<String> RETRYABLE_REASONS = Set.of("backendError", "internalError", "rateLimitExceeded",
            "quotaExceeded", "timeout", "serviceUnavailable");

    private BigQueryFailures() {
    }

    public static boolean retryable(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof BigQueryException e) {
                BigQueryError err = e.getError();
                int code = e.getCode();
                if (code == 0 || code == 408 || code == 429 || code >= 500) {
                    return true;
                }
                // code 0: no HTTP answer at all (connection refused, timeout): retry
                return err != null && RETRYABLE_REASONS.contains(err.getReason());
            }
            if (c instanceof IOException) {
                return true;
            }
        }
        return false;
    }

    /** The failure as the error handler should see it. */
    public static RuntimeException classify(Throwable t) {
        if (t instanceof PermanentDeliveryException p) {
            return p;
        }
        if (!(t instanceof BigQueryException) || retryable(t)) {
            return t instanceof RuntimeException r ? r : new IllegalStateException(t.getMessage(), t);
        }
        BigQueryException e = (BigQueryException) t;
        String reason = e.getError() == null ? e.getReason() : e.getError().getReason();
        return new PermanentDeliveryException("BigQuery refused the request (" + e.getCode() + " " + reason + "): " + e.getMessage(), e);
    }
}
