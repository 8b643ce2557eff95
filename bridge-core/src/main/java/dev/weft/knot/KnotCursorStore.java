package dev.weft.knot;

import java.util.OptionalLong;

/**
 * Durable per-knot checkpoints: local receive time (Unix nanos) of the last fully processed event.
 * A consumer reconnects with {@code cursor = checkpoint - replayWindow}; an empty cursor means the
 * knot was never consumed, and the consumer asks for live events only.
 *
 * <p>Threads: each knot's consumer calls from its own processing thread; different knots call
 * concurrently. Values are written as received, not forced upwards: after the local clock steps
 * back a smaller checkpoint only widens the next replay. Errors: an exception from
 * {@link #cursor} makes the consumer retry the connection with backoff (connecting "from now"
 * instead would lose events); one from {@link #saveCursor} is logged and the frame still counts as
 * handled, since a lost checkpoint only widens the next replay.
 */
public interface KnotCursorStore {
    /** The knot checkpoints kept in the registry store. */
    static KnotCursorStore of(dev.weft.store.RegistryStore registry) {
        return new KnotCursorStore() {
            @Override
            public OptionalLong cursor(String knot) {
                return registry.knotCursor(knot);
            }

            @Override
            public void saveCursor(String knot, long unixNanos) {
                registry.saveKnotCursor(knot, unixNanos);
            }
        };
    }

    OptionalLong cursor(String knot);

    void saveCursor(String knot, long unixNanos);
}
