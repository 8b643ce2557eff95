package dev.weft.provider.github.rest;

import java.io.IOException;
import java.time.Duration;

/** GitHub kept answering "rate limited" after the client waited as told, several times over. */
public final class RateLimitedException extends IOException {
    private final Duration retryAfter;

    public RateLimitedException(String message, Duration retryAfter) {
        super(message);
        this.retryAfter = retryAfter;
    }

    public Duration retryAfter() {
        return retryAfter;
    }
}
