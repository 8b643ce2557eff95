package dev.weft.store;

import dev.weft.model.RunState;
import dev.weft.model.WorkflowId;

/** One row of {@code runs}. Times are Unix nanoseconds. */
public record RunRecord(long id, WorkflowId workflow, String engine, RunState state, long createdAt,
                        long updatedAt, String externalId, String webUrl, String error, Long exitCode,
                        String cancelReason, boolean logComplete) {
}
