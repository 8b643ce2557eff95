package dev.weft.store;

import dev.weft.model.QueueState;
import dev.weft.model.WorkflowId;

import java.time.Instant;
import java.util.Objects;

/**
 * One run in a concurrency group's queue.
 *
 * @param runId            the run
 * @param repo             the group's repository: its DID, or {@code knot/owner/name} for a legacy one
 * @param group            the expanded group name
 * @param workflow         the run's pipeline (its TID is {@code workflow.pipeline().rkey()}) and workflow
 * @param state            {@link QueueState#WAITING} or {@link QueueState#RUNNING}
 * @param cancelInProgress whether this run cancelled the group's older runs when it joined
 * @param joinedAt         when it joined
 * @param startedAt        when it took the group's slot; null while waiting
 * @param supersededBy     the TID of the pipeline whose run cancels this one; null when none does
 */
public record QueueEntry(long runId, String repo, String group, WorkflowId workflow, QueueState state,
                         boolean cancelInProgress, Instant joinedAt, Instant startedAt, String supersededBy) {
    public QueueEntry {
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(workflow, "workflow");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(joinedAt, "joinedAt");
    }

    /** Since when it is in its current state. */
    public Instant since() {
        return startedAt != null ? startedAt : joinedAt;
    }
}
