package dev.weft.provider.github.rest;

import okhttp3.Headers;

import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * GitHub's documented answer to a rate-limited response, as a pure function: how long to wait, or
 * empty when the response is not a rate limit at all (a 403 can also mean "not allowed").
 *
 * <ol>
 *   <li>{@code retry-after} present: wait that many seconds;</li>
 *   <li>{@code x-ratelimit-remaining: 0}: wait until {@code x-ratelimit-reset} (epoch seconds);</li>
 *   <li>otherwise a 429, or a 403 whose message mentions a rate limit (the secondary limits): wait
 *       at least a minute, doubling with each consecutive limited answer (capped at 16 min).</li>
 * </ol>
 */
public final class RateLimitPolicy {
    static final Duration MIN_WAIT = Duration.ofSeconds(1);
    static final Duration SECONDARY_BASE = Duration.ofMinutes(1);
    static final Duration SECONDARY_CAP = Duration.ofMinutes(16);

    private RateLimitPolicy() {
    }

    /**
     * @param consecutive how many rate-limited answers this request already got (0 for the first)
     */
    public static Optional<Duration> waitFor(int code, Headers headers, String body, Instant now, int consecutive) {
        if (code != 403 && code != 429) return Optional.empty();
        Optional<Long> retryAfter = longHeader(headers, "retry-after");
        if (retryAfter.isPresent()) return Optional.of(atLeastMin(Duration.ofSeconds(retryAfter.get())));
        Optional<Long> remaining = longHeader(headers, "x-ratelimit-remaining");
        Optional<Long> reset = longHeader(headers, "x-ratelimit-reset");
        if (remaining.isPresent() && remaining.get() == 0 && reset.isPresent()) {
            return Optional.of(atLeastMin(Duration.between(now, Instant.ofEpochSecond(reset.get()))));
        }
        boolean mentionsLimit = body != null && body.toLowerCase(Locale.ROOT).contains("rate limit");
        if (code == 429 || mentionsLimit || (remaining.isPresent() && remaining.get() == 0)) {
            Duration d = SECONDARY_BASE.multipliedBy(1L << Math.min(consecutive, 4));
            return Optional.of(d.compareTo(SECONDARY_CAP) > 0 ? SECONDARY_CAP : d);
        }
        return Optional.empty();
    }

    private static Duration atLeastMin(Duration d) {
        return d.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : d;
    }

    static Optional<Long> longHeader(Headers headers, String name) {
        String v = headers.get(name);
        if (v == null) return Optional.empty();
        try {
            return Optional.of(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
