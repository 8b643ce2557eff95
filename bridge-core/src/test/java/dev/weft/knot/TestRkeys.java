package dev.weft.knot;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Readable labels ({@code p01}, {@code good1}) for the TIDs the knot stream must carry as pipeline
 * rkeys: tests publish {@link #tid(String)} and read recorded rkeys back with {@link #label(String)}.
 * A label becomes {@code 3} + its letters, its digits as {@code z..q} (0..9), padded with {@code 2}
 * to 13 characters: distinct for every label these tests use, and always a valid TID.
 */
final class TestRkeys {
    private static final Map<String, String> LABELS = new ConcurrentHashMap<>();

    private TestRkeys() {
    }

    static String tid(String label) {
        if (label.length() > 12) throw new IllegalArgumentException("label over 12 characters: " + label);
        StringBuilder b = new StringBuilder("3");
        for (char c : label.toCharArray()) {
            if (c >= '0' && c <= '9') b.append((char) ('z' - (c - '0')));
            else if (c >= 'a' && c <= 'z') b.append(c);
            else throw new IllegalArgumentException("label must be a-z0-9: " + label);
        }
        while (b.length() < 13) b.append('2');
        String tid = b.toString();
        String prev = LABELS.putIfAbsent(tid, label);
        if (prev != null && !prev.equals(label)) throw new IllegalStateException(label + " and " + prev + " collide");
        return tid;
    }

    /** The label a TID was made from, or the rkey itself when it was not made by {@link #tid}. */
    static String label(String rkey) {
        return LABELS.getOrDefault(rkey, rkey);
    }
}
