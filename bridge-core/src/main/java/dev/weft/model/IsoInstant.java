package dev.weft.model;

import java.time.Instant;
import java.time.LocalDate;

/**
 * {@link Instant#toString()} and {@link Instant#parse}, the text weft stores in its JSON columns,
 * without {@code DateTimeFormatter}: on the trigger path every stored trigger is written once and
 * read back by the publisher, and the formatter's field maps were a tenth of the publisher's time.
 * Same text and same results as the JDK for years 1970 to 9999 in UTC, the only ones weft writes;
 * anything else (another shape, a leap second, an offset) goes to the JDK, errors included.
 */
public final class IsoInstant {
    /** 10000-01-01T00:00:00Z: from here on the JDK writes a sign and more digits. */
    private static final long END = 253_402_300_800L;
    private static final int BASE_LENGTH = "2026-12-05T17:46:09".length();

    private IsoInstant() {
    }

    /** Exactly {@code t.toString()}. */
    public static String format(Instant t) {
        long s = t.getEpochSecond();
        if (s < 0 || s >= END) return t.toString();
        long day = Math.floorDiv(s, 86_400);
        int secs = (int) Math.floorMod(s, 86_400);
        LocalDate d = LocalDate.ofEpochDay(day);
        StringBuilder b = new StringBuilder(30);
        digits(b, d.getYear(), 4).append('-');
        digits(b, d.getMonthValue(), 2).append('-');
        digits(b, d.getDayOfMonth(), 2).append('T');
        digits(b, secs / 3600, 2).append(':');
        digits(b, secs / 60 % 60, 2).append(':');
        digits(b, secs % 60, 2);
        int nano = t.getNano();
        if (nano != 0) {
            b.append('.');
            if (nano % 1_000_000 == 0) digits(b, nano / 1_000_000, 3);
            else if (nano % 1000 == 0) digits(b, nano / 1000, 6);
            else digits(b, nano, 9);
        }
        return b.append('Z').toString();
    }

    /** Exactly {@code Instant.parse(text)}, exceptions included. */
    public static Instant parse(CharSequence text) {
        Instant fast = fast(text);
        return fast != null ? fast : Instant.parse(text);
    }

    /** The common shape {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, or null for the JDK to decide. */
    private static Instant fast(CharSequence t) {
        int n = t.length();
        if (n < BASE_LENGTH + 1 || t.charAt(n - 1) != 'Z' || t.charAt(4) != '-' || t.charAt(7) != '-'
                || t.charAt(10) != 'T' || t.charAt(13) != ':' || t.charAt(16) != ':') return null;
        int year = number(t, 0, 4);
        int month = number(t, 5, 2);
        int day = number(t, 8, 2);
        int hour = number(t, 11, 2);
        int minute = number(t, 14, 2);
        int second = number(t, 17, 2);
        if (year < 1970 || month < 1 || month > 12 || day < 1 || day > 28 && day > LocalDate.of(year, month, 1).lengthOfMonth()
                || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return null;
        int nano = 0;
        if (n != BASE_LENGTH + 1) {
            int digits = n - BASE_LENGTH - 2;
            if (t.charAt(BASE_LENGTH) != '.' || digits < 1 || digits > 9) return null;
            int fraction = number(t, BASE_LENGTH + 1, digits);
            if (fraction < 0) return null;
            nano = fraction;
            for (int i = digits; i < 9; i++) nano *= 10;
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3600L + minute * 60L + second, nano);
    }

    /** The decimal number of {@code length} ASCII digits at {@code from}, or -1. */
    private static int number(CharSequence t, int from, int length) {
        int v = 0;
        for (int i = from; i < from + length; i++) {
            char c = t.charAt(i);
            if (c < '0' || c > '9') return -1;
            v = v * 10 + (c - '0');
        }
        return v;
    }

    private static StringBuilder digits(StringBuilder b, int value, int width) {
        String s = Integer.toString(value);
        for (int i = s.length(); i < width; i++) b.append('0');
        return b.append(s);
    }
}
