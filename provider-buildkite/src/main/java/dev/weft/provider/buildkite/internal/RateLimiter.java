package dev.weft.provider.buildkite.internal;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * One organization's request budget, shared by every run and log tail of that organization: a token
 * bucket refilled at {@code perMinute}, plus a pause until the instant a 429's
 * {@code RateLimit-Reset} named. {@link #acquire} blocks the calling (virtual) thread.
 */
public final class RateLimiter {
    private final double perNano;
    private final double capacity;
    private double tokens;
    private long refilledAt;
    private long pausedUntil;

    public RateLimiter(int perMinute) {
        this.capacity = perMinute;
        this.perNano = perMinute / (double) Duration.ofMinutes(1).toNanos();
        this.tokens = perMinute;
        this.refilledAt = System.nanoTime();
        this.pausedUntil = refilledAt;
    }

    /** Waits for a request slot. */
    public void acquire() throws InterruptedException {
        while (true) {
            long wait;
            synchronized (this) {
                long now = System.nanoTime();
                tokens = Math.min(capacity, tokens + (now - refilledAt) * perNano);
                refilledAt = now;
                if (now - pausedUntil < 0) {
                    wait = pausedUntil - now;
                } else if (tokens >= 1) {
                    tokens -= 1;
                    return;
                } else {
                    wait = (long) Math.ceil((1 - tokens) / perNano);
                }
            }
            Thread.sleep(Duration.ofNanos(Math.max(wait, 1_000_000)));
        }
    }

    /** Stops all requests of this organization for {@code d} (a 429's {@code RateLimit-Reset}). */
    public synchronized void pauseFor(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        if (until - pausedUntil > 0) pausedUntil = until;
        tokens = 0;
    }

    /** The limiters of all organizations, created on first use. */
    public static final class PerOrg {
        private final int perMinute;
        private final ConcurrentMap<String, RateLimiter> byOrg = new ConcurrentHashMap<>();

        public PerOrg(int perMinute) {
            this.perMinute = perMinute;
        }

        public RateLimiter of(String org) {
            return byOrg.computeIfAbsent(org, o -> new RateLimiter(perMinute));
        }
    }
}
