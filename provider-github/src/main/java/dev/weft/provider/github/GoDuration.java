package dev.weft.provider.github;

import java.time.Duration;

/** Go's {@code time.Duration.String()}: {@code 2m0s}, {@code 1h0m0s}, {@code 1.5s}, {@code 250ms}. */
final class GoDuration {
    private GoDuration() {
    }

    static String format(Duration d) {
        long nanos;
        try {
            nanos = d.toNanos();
        } catch (ArithmeticException e) {
            nanos = d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
        if (nanos == 0) return "0s";
        boolean neg = nanos < 0;
        long u = Math.abs(nanos);
        StringBuilder sb = new StringBuilder();
        if (u < 1_000_000_000L) {
            if (u < 1_000L) sb.append(u).append("ns");
            else if (u < 1_000_000L) sb.append(fraction(u, 1_000L)).append("µs");
            else sb.append(fraction(u, 1_000_000L)).append("ms");
        } else {
            long hours = u / 3_600_000_000_000L;
            long rest = u % 3_600_000_000_000L;
            long minutes = rest / 60_000_000_000L;
            long secNanos = rest % 60_000_000_000L;
            if (hours > 0) sb.append(hours).append('h');
            if (hours > 0 || minutes > 0) sb.append(minutes).append('m');
            sb.append(fraction(secNanos, 1_000_000_000L)).append('s');
        }
        return (neg ? "-" : "") + sb;
    }

    /** {@code value / unit} with the remainder as trimmed decimals. */
    private static String fraction(long value, long unit) {
        long whole = value / unit;
        long rem = value % unit;
        if (rem == 0) return Long.toString(whole);
        String digits = Long.toString(unit).substring(1);
        String frac = String.format("%0" + digits.length() + "d", rem).replaceAll("0+$", "");
        return whole + "." + frac;
    }
}
