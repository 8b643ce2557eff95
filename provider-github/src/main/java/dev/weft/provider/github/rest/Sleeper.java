package dev.weft.provider.github.rest;

import java.time.Duration;

/** How the client waits out rate limits and backoffs; tests substitute one that only records. */
@FunctionalInterface
public interface Sleeper {
    Sleeper REAL = d -> {
        if (!d.isNegative() && !d.isZero()) Thread.sleep(d);
    };

    void sleep(Duration duration) throws InterruptedException;
}
