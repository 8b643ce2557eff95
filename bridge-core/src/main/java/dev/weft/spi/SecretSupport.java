package dev.weft.spi;

/**
 * Whether a provider can take a repository's secrets to its backend without exposing them. Returned
 * by {@link Provider#secretSupport()}; the runtime reads it before every dispatch.
 *
 * <p>"Secret" means: the values never appear in anything the backend shows to people who may not
 * manage the repository's secrets (a build's visible environment, its API responses, its web UI,
 * a log that weft does not mask). Weft masks every value (and its base64 forms) as {@code ***} in
 * the lines a provider writes through {@link Run#log()}, but it cannot mask what the backend shows
 * elsewhere.
 */
public enum SecretSupport {
    /**
     * The provider cannot keep secrets. A run whose repository has secrets is not dispatched to it:
     * the runtime ends it {@code failed} with an error saying so, rather than run it without the
     * secrets it may need or hand them over insecurely. This is the default.
     */
    NONE,
    /**
     * The provider delivers {@link Run#secrets()} to its backend so that they stay secret: as the
     * environment of an in-process step (the stub), through an encrypted secret store of the backend
     * (GitHub Actions secrets), or another API that keeps them out of visible configuration.
     */
    SECURE
}
