package dev.weft.knot;

import dev.weft.model.Trigger;

/**
 * Where a knot consumer hands well-formed pipeline triggers. {@link #accept} returns only once the
 * trigger's outcome is durable (its runs written, or its duplicate/unregistered status known), so
 * the consumer may then checkpoint past it.
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
