package dev.weft.cmd.bench;

import java.util.Locale;

/** Number formatting for bench output: thousands separators, fixed decimals, binary sizes. */
final class Fmt {
    private Fmt() {
    }

    /** {@code 1234567.8} as {@code 1,234,568}. */
    static String count(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** Milliseconds from nanoseconds, with enough decimals for sub-millisecond values. */
    static String millis(long nanos) {
        double ms = nanos / 1e6;
        return ms < 10 ? fixed(ms, 2) + " ms" : fixed(ms, 1) + " ms";
    }

    static String seconds(long nanos) {
        return fixed(nanos / 1e9, 2) + " s";
    }

    static String mib(long bytes) {
        return fixed(bytes / (1024.0 * 1024.0), 1) + " MiB";
    }

    /** A ratio as {@code 2.31x}. */
    static String times(double ratio) {
        return fixed(ratio, 2) + "x";
    }

    /** A ratio as {@code 73.4 %}. */
    static String percent(double ratio) {
        return fixed(ratio * 100, 1) + " %";
    }
}
