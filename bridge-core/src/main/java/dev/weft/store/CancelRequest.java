package dev.weft.store;

import dev.weft.model.WorkflowId;

import java.time.Instant;

/** A cancel the operator asked for with {@code weft cancel}; {@code outcome} is null until handled. */
public record CancelRequest(long id, WorkflowId workflow, Instant requestedAt, String outcome) {
}
