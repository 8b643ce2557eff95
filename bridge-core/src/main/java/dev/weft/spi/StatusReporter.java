package dev.weft.spi;

import dev.weft.model.RunState;
import dev.weft.model.Status;

/**
 * Reports a run's status. The runtime persists each report before returning, then publishes it to
 * the appview honouring its pacing rules (first-status delay, gap between statuses of one
 * workflow), so a provider never waits on the appview.
 *
 * <p>Reporting the state the run is already in is a no-op, so a webhook and a poller racing to
 * report the same thing are harmless. Any other move the state machine does not allow
 * ({@link RunState#canMoveTo}) throws {@link IllegalTransitionException}; use {@link #offer} for
 * hints that may arrive out of order.
 */
public interface StatusReporter {

    /** The run's current state. */
    RunState current();

    /** Work started on the backend. */
    default void running() {
        report(new Status.Running());
    }

    /** The workflow passed. */
    default void success() {
        report(new Status.Success());
    }

    /**
     * The workflow failed. {@code exitCode} is the backend's real exit code when it has one, else -1.
     * The message is shown in the appview.
     */
    default void failed(String message, long exitCode) {
        report(new Status.Failed(message, exitCode));
    }

    /** The workflow was cancelled; the runtime records {@code timeout} when the cancel was a timeout's. */
    default void cancelled(String message) {
        report(new Status.Cancelled(message));
    }

    /** The backend itself timed the workflow out. */
    default void timeout(String message) {
        report(new Status.Timeout(message));
    }

    /**
     * Moves the run to {@code status}.
     *
     * @throws IllegalTransitionException when the state machine does not allow it
     */
    void report(Status status);

    /** Moves the run to {@code status} when legal; returns whether it moved (or already was there). */
    boolean offer(Status status);
}
