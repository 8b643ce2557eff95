package dev.weft.knot;

import dev.weft.model.Trigger;

/**
 * Where a knot consumer hands well-formed pipeline triggers. {@link #accept} returns only once the
 * trigger's outcome is durable (its runs written, or its duplicate/unregistered status known), so
 * the consumer may then checkpoint past it.
 *
 * <p>Threads: each knot's consumer calls {@link #accept} from its own processing thread, one
 * trigger at a time and in stream order; different knots call concurrently. A call may block: the
 * consumer then stops reading that knot's socket (backpressure) and does not take the wait for a
 * dead stream.
 *
 * <p>Delivery is at least once: every reconnect replays the events of the replay window, so the
 * same (knot, rkey) arrives again and must come back {@link Outcome#DUPLICATE}. Errors: an
 * exception means "not durable"; the consumer does not checkpoint, drops the connection and gets
 * the trigger again from the reconnect's replay.
 */
@FunctionalInterface
public interface TriggerSink {

    Outcome accept(Trigger trigger);

    /** What became of a trigger. */
    enum Outcome {
        /** New: its runs were written and are being dispatched. */
        ACCEPTED,
        /** Already seen (same knot and rkey): nothing done. */
        DUPLICATE,
        /** The repository is not registered to this spindle: dropped. */
        UNREGISTERED
    }
}
