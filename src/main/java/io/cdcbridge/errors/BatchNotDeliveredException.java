package io.cdcbridge.errors;

/**
 * A request of a batch could be neither delivered nor dead-lettered (the dead-letter write failed too). The batch
 * fails as a whole, without further retries of its own: nothing is committed and the consumer reads it again
 * (the delivery engine, docs/architecture.md §6).
 */
public class BatchNotDeliveredException extends RuntimeException {

    public BatchNotDeliveredException(Throwable cause) {
        super("a request of the batch was neither delivered nor dead-lettered: " + cause, cause);
    }
}
