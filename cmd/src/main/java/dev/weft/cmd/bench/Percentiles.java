package dev.weft.cmd.bench;

import java.util.Arrays;

/** Nearest-rank percentiles of a set of samples (nanoseconds, usually). Immutable. */
final class Percentiles {
    private final long[] sorted;

    Percentiles(long[] samples) {
        this.sorted = samples.clone();
        Arrays.sort(this.sorted);
    }

    int count() {
        return sorted.length;
    }

    /**
     * The smallest sample with at least {@code p} percent of the samples at or below it.
     *
     * @throws IllegalStateException when there are no samples
     */
    long at(double p) {
        if (sorted.length == 0) throw new IllegalStateException("no samples");
        if (p <= 0) return sorted[0];
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
    }

    long max() {
        return at(100);
    }

    /** {@code p50 x, p99 y, max z} in milliseconds. */
    String summary() {
        return "p50 " + Fmt.millis(at(50)) + ", p99 " + Fmt.millis(at(99)) + ", max " + Fmt.millis(max());
    }
}
