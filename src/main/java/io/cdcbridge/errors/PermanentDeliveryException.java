package io.cdcbridge.errors;

/**
 * A delivery failure that retrying cannot fix (schema reject, 4xx other than the retryable ones, a record that is not
 * a ChangeEvent). The shared error handler sends such records straight to the dead-letter topic.
 */
public class PermanentDeliveryException extends RuntimeException {
    public PermanentDeliveryException(String message) {
        super(message);
    }

    public PermanentDeliveryException(String message, Throwable cause) {
        super(message, cause);
    }
}
