package dev.weft.knot;

import java.util.OptionalLong;

/** Durable per-knot checkpoints: local receive time (Unix nanos) of the last fully processed event. */
public interface KnotCursorStore {
    OptionalLong cursor(String knot);

    void saveCursor(String knot, long unixNanos);
}
