package io.cdcbridge.carol;

/**
 * Carol cannot be signed in to as configured: credentials refused (token endpoint 400/401/403), an account with
 * multi-factor authentication, no token endpoint at the configured path; or Carol's API is not at the configured URL
 * (a redirect, 501/505) or refuses the connector id for every request ({@link CarolStatus#stop}). Retrying cannot help, so the Carol route stops
 * and no record is dead-lettered. The message says which setting to fix; it never holds the password or a token.
 */
public final class CarolCredentialsException extends RuntimeException {

    public CarolCredentialsException(String message) {
        super(message);
    }
}
