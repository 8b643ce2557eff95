package dev.weft.runs;

import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;

import java.util.List;
import java.util.Optional;

/**
 * What the run runtime asks of notifications (issue 13), kept to two calls so the runtime knows
 * nothing of notifiers: the statuses themselves reach notifications through the store, queued in
 * the status's own transaction.
 */
public interface RunNotices {
    /**
     * The advice for a run that just ended {@code failed} or {@code timeout}, as the lines of a last
     * system step named {@code advice}; empty for none. Called on the thread that reported the
     * terminal status, before the log is closed: it must be quick and bounded, and must not throw
     * (an exception is logged and the log is closed without advice).
     */
    Optional<List<String>> advice(long runId, String engine, Trigger trigger, WorkflowId workflow, Status end);

    /** A status was stored (and queued for notification): wakes the notification worker. Must not block. */
    void statusStored();

    RunNotices NONE = new RunNotices() {
        @Override
        public Optional<List<String>> advice(long runId, String engine, Trigger trigger, WorkflowId workflow, Status end) {
            return Optional.empty();
        }

        @Override
        public void statusStored() {
        }
    };
}
