package dev.weft.knot;

import dev.weft.model.Trigger;

import java.util.concurrent.CompletableFuture;

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

    /** A legacy knot's {@code sh.tangled.pipeline} record. */
    Outcome accept(Trigger trigger);

    /**
     * {@link #accept}, pipelined: returns at once with a future that completes when the outcome is
     * durable, so the consumer can read and hand on the next frames while the store commits
     * several triggers together. The future's {@link Accepted#then} is what must follow a new
     * trigger (dispatching its runs); the consumer runs it on its own thread, in stream order,
     * before it checkpoints past the frame. A failed future means "not durable", as an exception
     * from {@link #accept} does. The default is {@link #accept}, completed before it returns.
     */
    default CompletableFuture<Accepted> acceptLater(Trigger trigger) {
        try {
            return CompletableFuture.completedFuture(new Accepted(accept(trigger), Accepted.NOTHING));
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * A durable outcome of {@link #acceptLater} and the work that must follow it.
     *
     * @param then run once, by the caller, in stream order (for a new trigger: dispatch its runs)
     */
    record Accepted(Outcome outcome, Runnable then) {
        /** Nothing to follow. */
        public static final Runnable NOTHING = () -> {
        };
    }

    /**
     * An upgraded knot's push. Returns once the push is durable as a request to build its
     * pipeline (the workflow files are read afterwards), or once it is known to be a duplicate,
     * skipped or not ours. The default refuses every push, for sinks that only take pipelines.
     */
    default Outcome push(RefUpdate update) {
        return Outcome.UNREGISTERED;
    }

    /** A collaborator added to or removed from a repository by its knot. The default ignores it. */
    default void collaborator(CollaboratorUpdate update) {
    }

    /** What became of a trigger. */
    enum Outcome {
        /** New: its runs were written and are being dispatched. */
        ACCEPTED,
        /** Already seen (same knot and rkey): nothing done. */
        DUPLICATE,
        /** The repository is not registered to this spindle: dropped. */
        UNREGISTERED,
        /** A push the pusher asked not to build ({@code skip-ci}), or a deleted ref: nothing to do. */
        SKIPPED,
        /** Refused: the knot that sent it does not serve that repository. */
        REJECTED
    }
}
