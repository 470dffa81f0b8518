package io.cdcbridge.carol;

/**
 * Carol refused the credentials (token endpoint 400/401): retrying cannot help, so the Carol route stops and no
 * record is dead-lettered. The message is Carol's own, never the password.
 */
public final class CarolCredentialsException extends RuntimeException {

    public CarolCredentialsException(String message) {
        super(message);
    }
}
