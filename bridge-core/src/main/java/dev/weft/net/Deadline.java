package dev.weft.net;

import java.time.Duration;
import java.util.Objects;

/**
 * The moment by which everything done for one request must be over, passed down to each fetch so
 * that several in sequence share one budget instead of each getting its own. On the monotonic
 * clock ({@link System#nanoTime()}), not a {@link java.time.Clock}: a test or a wall-clock jump must
 * not stretch or shrink a network timeout. Immutable.
 */
public final class Deadline {
    private static final Deadline NONE = new Deadline(0, false);

    private final long atNanos;
    private final boolean bounded;

    private Deadline(long atNanos, boolean bounded) {
        this.atNanos = atNanos;
        this.bounded = bounded;
    }

    /** {@code budget} from now. */
    public static Deadline after(Duration budget) {
        Objects.requireNonNull(budget, "budget");
        long now = System.nanoTime();
        long nanos = budget.isNegative() ? 0 : saturatedNanos(budget);
        // Saturate rather than wrap, so a huge budget stays in the future.
        long at = now + nanos < now ? Long.MAX_VALUE : now + nanos;
        return new Deadline(at, true);
    }

    /** No request-wide bound: each fetch keeps only its own timeout. */
    public static Deadline none() {
        return NONE;
    }

    /** Whether this bounds anything at all. */
    public boolean bounded() {
        return bounded;
    }

    /** What is left of the budget, never negative; {@code max} when there is more (or no bound). */
    public Duration remaining(Duration max) {
        Objects.requireNonNull(max, "max");
        if (!bounded) return max;
        long left = atNanos - System.nanoTime();
        if (left <= 0) return Duration.ZERO;
        return left < saturatedNanos(max) ? Duration.ofNanos(left) : max;
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    @Override
    public String toString() {
        return bounded ? "Deadline[in " + remaining(Duration.ofDays(365)).toMillis() + "ms]" : "Deadline[none]";
    }
}
