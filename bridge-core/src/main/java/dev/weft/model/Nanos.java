package dev.weft.model;

import java.time.Instant;

/** Weft keeps times as Unix nanoseconds (one long, totally ordered, exact for Go's RFC 3339). */
public final class Nanos {
    private Nanos() {
    }

    public static long of(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    public static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }
}
