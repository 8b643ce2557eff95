package dev.weft.store;

import dev.weft.model.Status;
import dev.weft.model.WorkflowId;

/**
 * A status decided for a run and waiting to be published no sooner than {@code notBefore} (nanos).
 * It names its workflow so that the publisher can build the {@code /events} record without a
 * second read.
 */
public record OutboxEntry(long seq, long runId, WorkflowId workflow, Status status, long notBefore) {
}
