package io.cdcbridge.carol;

/** A failure worth retrying (docs/architecture.md §8: 408, 409, 429, 5xx, 520, 524, I/O): the shared error handler retries it. */
public final class CarolRetryableException extends RuntimeException {

    private final int status;

    public CarolRetryableException(int status, String message) {
        super(message);
        this.status = status;
    }

    public CarolRetryableException(String message, Throwable cause) {
        super(message, cause);
        this.status = -1;
    }

    /** The HTTP status, or -1 for an I/O failure. */
    public int status() {
        return status;
    }
}
