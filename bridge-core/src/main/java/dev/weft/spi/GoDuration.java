package dev.weft.spi;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Go's duration notation ({@code 90s}, {@code 5m}, {@code 1h30m}, {@code 250ms}, {@code 1.5s}),
 * which operators of the stock spindle already write. Parse it for configuration and workflow
 * blocks; format with it so messages read as upstream's do ({@code 2m0s}).
 */
public final class GoDuration {
    private static final Pattern PART = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h)");

    private GoDuration() {
    }

    /** Parses {@code 1h2m3.5s}-style text; a bare {@code 0} is zero. */
    public static Duration parse(String text) {
        String s = text.strip();
        if (s.equals("0")) return Duration.ZERO;
        boolean neg = s.startsWith("-");
        if (neg || s.startsWith("+")) s = s.substring(1);
        if (s.isEmpty()) throw new IllegalArgumentException("invalid duration " + quote(text));
        Matcher m = PART.matcher(s);
        int pos = 0;
        BigDecimal nanos = BigDecimal.ZERO;
        while (pos < s.length()) {
            if (!m.find(pos) || m.start() != pos) {
                throw new IllegalArgumentException("invalid duration " + quote(text)
                        + " (use Go notation such as 90s, 5m, 1h30m, 250ms)");
            }
            BigDecimal v = new BigDecimal(m.group(1).endsWith(".") ? m.group(1) + "0" : m.group(1));
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            nanos = nanos.add(v.multiply(BigDecimal.valueOf(unit)));
            pos = m.end();
        }
        Duration d = Duration.ofNanos(nanos.longValueExact());
        return neg ? d.negated() : d;
    }

    private static String quote(String s) {
        return "\"" + s + "\"";
    }

    public static String format(Duration d) {
        long n = d.toNanos();
        if (n == 0) return "0s";
        boolean neg = n < 0;
        long u = Math.abs(n);
        String s;
        if (u < 1_000_000_000L) {
            if (u < 1_000) s = u + "ns";
            else if (u < 1_000_000) s = trim(u / 1_000.0) + "µs";
            else s = trim(u / 1_000_000.0) + "ms";
        } else {
            long h = u / 3_600_000_000_000L;
            long m = (u / 60_000_000_000L) % 60;
            BigDecimal sec = BigDecimal.valueOf(u % 60_000_000_000L).movePointLeft(9);
            StringBuilder b = new StringBuilder();
            if (h > 0) b.append(h).append('h');
            if (h > 0 || m > 0) b.append(m).append('m');
            b.append(sec.stripTrailingZeros().toPlainString()).append('s');
            s = b.toString();
        }
        return neg ? "-" + s : s;
    }

    private static String trim(double v) {
        return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
    }
}
