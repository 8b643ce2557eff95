package dev.weft.model;

import java.time.Instant;
import java.util.Objects;

/**
 * One published {@code sh.tangled.pipeline.status} record as {@code /events} serves it.
 *
 * @param id        strictly increasing across the whole log (Unix nanoseconds, or last+1); the
 *                  {@code /events} cursor compares against it
 * @param rkey      a TID unique forever (the appview drops a reused rkey silently)
 * @param workflow  which workflow
 * @param status    the status and its error/exit code
 * @param createdAt the record's {@code createdAt}
 */
public record StatusEvent(long id, String rkey, WorkflowId workflow, Status status, Instant createdAt) {
    public StatusEvent {
        Objects.requireNonNull(rkey, "rkey");
        Objects.requireNonNull(workflow, "workflow");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(createdAt, "createdAt");
    }
}
