package io.cdcbridge.delivery;

/**
 * How a sink's engine cuts and retries requests (docs/configuration.md: {@code cdc.<sink>.*}, {@code cdc.delivery.*}).
 *
 * @param maxItems       items per request
 * @param maxBytes       bytes per request body (an item larger than this goes alone)
 * @param concurrency    requests of a batch in flight at once (1: in order, as Carol needs for versions of a key)
 * @param maxRetries     retries of a failing request before its items are dead-lettered
 * @param retryDelayMs   first backoff; doubled per retry
 * @param maxRetryDelayMs longest backoff, also the cap on a service's Retry-After
 * @param retryBudgetMs  longest a batch may spend retrying: kept below the consumer's max.poll.interval.ms, past which
 *                       Kafka would give the batch's partitions to another instance while this one still works on it
 */
public record DeliveryOptions(int maxItems, long maxBytes, int concurrency, int maxRetries, long retryDelayMs,
                              long maxRetryDelayMs, long retryBudgetMs) {

    /** The backoff before retry {@code n} (1-based): exponential, capped; a service's wait is honoured up to the cap. */
    long delayBeforeRetry(int n, long serviceWaitMs) {
        double d = retryDelayMs * Math.pow(2, Math.min(30, n - 1));
        long backoff = (long) Math.min(maxRetryDelayMs, d);
        return Math.max(backoff, Math.min(serviceWaitMs, maxRetryDelayMs));
    }
}
