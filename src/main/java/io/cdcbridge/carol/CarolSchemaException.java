package io.cdcbridge.carol;

import io.cdcbridge.errors.PermanentDeliveryException;

/**
 * A staging's schema cannot take a table's records as they are (a field whose type differs from the column's, a
 * table without a crosswalk, Carol refusing the schema): retrying cannot help, so the caller dead-letters the records
 * with this message, which names the staging, the field and what to change.
 */
public final class CarolSchemaException extends PermanentDeliveryException {

    private final String staging;

    public CarolSchemaException(String staging, String message) {
        super(message);
        this.staging = staging;
    }

    public String staging() {
        return staging;
    }
}
