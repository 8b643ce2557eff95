package dev.weft.provider.github.rest;

import okhttp3.Headers;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Semaphore;

/**
 * Keeps every request of one token inside GitHub's limits. Primary: once a response says no
 * requests remain (or a rate-limited answer said how long to wait), every request waits until then.
 * Secondary: at most {@code maxConcurrent} requests in flight, {@code pointsPerMinute} points in any
 * minute (a GET costs 1, a write 5) and {@code writesPerMinute} writes. Thread-safe; shared by all
 * runs of a provider.
 */
public final class RateLimiter {
    private record Spent(Instant at, int points, boolean write) {
    }

    private final Clock clock;
    private final Sleeper sleeper;
    private final Semaphore inFlight;
    private final int pointsPerMinute;
    private final int writesPerMinute;
    private final Deque<Spent> window = new ArrayDeque<>();
    private Instant blockedUntil = Instant.MIN;

    public RateLimiter(Clock clock, Sleeper sleeper, int maxConcurrent, int pointsPerMinute, int writesPerMinute) {
        this.clock = clock;
        this.sleeper = sleeper;
        this.inFlight = new Semaphore(maxConcurrent, true);
        this.pointsPerMinute = pointsPerMinute;
        this.writesPerMinute = writesPerMinute;
    }

    /** GitHub's documented secondary limits: 100 concurrent, 900 points and 80 writes a minute. */
    public static RateLimiter github(Clock clock, Sleeper sleeper) {
        return new RateLimiter(clock, sleeper, 100, 900, 80);
    }

    /** A booked request slot; {@link #close()} frees it. */
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }

    /** Waits until a request may go out; close the returned permit when its response is read. */
    public Permit acquire(boolean write) throws InterruptedException {
        while (true) {
            Duration wait = reserve(write);
            if (wait.isZero()) break;
            sleeper.sleep(wait);
        }
        inFlight.acquire();
        return inFlight::release;
    }

    /** Zero when the request was booked; otherwise how long to wait before trying again. */
    private synchronized Duration reserve(boolean write) {
        Instant now = clock.instant();
        if (now.isBefore(blockedUntil)) return Duration.between(now, blockedUntil);
        Instant horizon = now.minus(Duration.ofMinutes(1));
        while (!window.isEmpty() && !window.peekFirst().at().isAfter(horizon)) window.removeFirst();
        int points = write ? 5 : 1;
        int used = 0;
        int writes = 0;
        for (Spent s : window) {
            used += s.points();
            if (s.write()) writes++;
        }
        boolean overPoints = used + points > pointsPerMinute;
        boolean overWrites = write && writes + 1 > writesPerMinute;
        if (overPoints || overWrites) {
            Instant oldest = overWrites && !overPoints ? oldestWrite() : window.peekFirst().at();
            Duration d = Duration.between(now, oldest.plus(Duration.ofMinutes(1)));
            return d.isNegative() || d.isZero() ? Duration.ofMillis(1) : d;
        }
        window.addLast(new Spent(now, points, write));
        return Duration.ZERO;
    }

    private Instant oldestWrite() {
        for (Spent s : window) if (s.write()) return s.at();
        return window.peekFirst().at();
    }

    /** Every request waits until {@code until} (a later block wins over an earlier one). */
    public synchronized void blockUntil(Instant until) {
        if (until.isAfter(blockedUntil)) blockedUntil = until;
    }

    /** Reads a response's primary-limit headers: none remaining means waiting for the reset. */
    public void observe(Headers headers) {
        var remaining = RateLimitPolicy.longHeader(headers, "x-ratelimit-remaining");
        var reset = RateLimitPolicy.longHeader(headers, "x-ratelimit-reset");
        if (remaining.isPresent() && remaining.get() == 0 && reset.isPresent()) {
            blockUntil(Instant.ofEpochSecond(reset.get()));
        }
    }

    synchronized Instant blockedUntil() {
        return blockedUntil;
    }
}
