package io.cdcbridge.bigquery;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Set;

import com.google.cloud.bigquery.BigQuery;
import com.google.cloud.bigquery.BigQueryError;
import com.google.cloud.bigquery.BigQueryException;
import com.google.cloud.bigquery.InsertAllRequest;
import com.google.cloud.bigquery.InsertAllResponse;
import io.cdcbridge.errors.PermanentDeliveryException;

/**
 * Sorts BigQuery failures into the two kinds the shared error handler knows: retryable ones (5xx, 429 and
 * {@code rateLimitExceeded}, timeouts and I/O errors) are rethrown as they are and retried with backoff; any other
 * answer (400 invalid, 403 access denied, 404...) cannot be fixed by retrying and becomes a
 * {@link PermanentDeliveryException}, which sends the records straight to the dead-letter topic.
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

    /**
     * The client handed to camel-google-bigquery. Its producer turns insert errors into a plain {@code Exception} whose
     * message is the only trace of which rows failed; this client reports them as a {@link BigQueryRowErrorsException}
     * instead (so rows can be dead-lettered one by one with BigQuery's reason), and classifies other failures as above.
     */
    public static BigQuery reporting(BigQuery delegate) {
        return (BigQuery) Proxy.newProxyInstance(BigQuery.class.getClassLoader(), new Class<?>[] {BigQuery.class},
                (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(delegate, args);
                    } catch (InvocationTargetException e) {
                        throw classify(e.getCause());
                    }
                    if ("insertAll".equals(method.getName()) && result instanceof InsertAllResponse response && response.hasErrors()) {
                        InsertAllRequest request = (InsertAllRequest) args[0];
                        throw new BigQueryRowErrorsException(request.getTable().getTable(), request, response);
                    }
                    return result;
                });
    }
}
