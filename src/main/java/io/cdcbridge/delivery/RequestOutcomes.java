package io.cdcbridge.delivery;

import io.cdcbridge.errors.BatchNotDeliveredException;
import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * Gathers the requests a batch sent side by side (a split with parallel processing): each one was delivered or
 * dead-lettered on its own; if one failed even that, the batch fails with {@link BatchNotDeliveredException} so that
 * nothing is committed. Bean {@code requestOutcomes}.
 */
public final class RequestOutcomes implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange done, Exchange request) {
        Exchange result = done != null ? done : request;
        Throwable failure = request.getException();
        if (failure != null && !(result.getException() instanceof BatchNotDeliveredException)) {
            result.setException(failure instanceof BatchNotDeliveredException ? failure : new BatchNotDeliveredException(failure));
        }
        return result;
    }
}
