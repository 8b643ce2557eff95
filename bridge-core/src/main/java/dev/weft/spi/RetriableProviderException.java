package dev.weft.spi;

import java.time.Duration;
import java.util.Optional;

/**
 * A transient backend condition (a 5xx, a timeout, a rate limit): the runtime retries the call
 * after a backoff, or after {@link #retryAfter()} when the backend said how long to wait. The
 * retried call must be idempotent.
 */
public class RetriableProviderException extends Exception {
    private final Duration retryAfter;

    public RetriableProviderException(String message, Throwable cause) {
        this(message, cause, null);
    }

    public RetriableProviderException(String message, Throwable cause, Duration retryAfter) {
        super(message, cause);
        this.retryAfter = retryAfter;
    }

    public RetriableProviderException(String message) {
        this(message, null, null);
    }

    /** How long the backend asked us to wait, when it said. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
