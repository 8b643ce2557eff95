package dev.weft.spi;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with "equal jitter": each delay is drawn from [base/2, base], and base doubles
 * from {@code initial} up to {@code max}. Jitter keeps many clients that failed together (a knot
 * restart, a backend outage) from retrying in lockstep. Not thread-safe: one per retry loop.
 */
public final class Backoff {
    private final long initial;
    private final long max;
    private long base;

    public Backoff(Duration initial, Duration max) {
        if (initial.isNegative() || initial.isZero()) throw new IllegalArgumentException("initial must be positive");
        if (max.compareTo(initial) < 0) throw new IllegalArgumentException("max is below initial");
        this.initial = initial.toNanos();
        this.max = max.toNanos();
        this.base = this.initial;
    }

    /** The next delay to wait; advances the base. */
    public Duration next() {
        long b = base;
        base = b > max / 2 ? max : b * 2;
        long half = b / 2;
        return Duration.ofNanos(half + ThreadLocalRandom.current().nextLong(b - half + 1));
    }

    /** Back to the initial delay, after a success. */
    public void reset() {
        base = initial;
    }
}
