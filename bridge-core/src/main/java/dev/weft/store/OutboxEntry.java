package dev.weft.store;

import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;

/**
 * Something decided and waiting to be published on {@code /events} no sooner than
 * {@code notBefore} (nanos): a run's status, or the pipeline record that must precede the first
 * status of its pipeline. Each carries what the publisher needs to build its frame without a
 * second read.
 */
public sealed interface OutboxEntry {
    long seq();

    /** The run the entry belongs to (for a pipeline record, its first run). */
    long runId();

    long notBefore();

    /** A status of one run. */
    record StatusDue(long seq, long runId, WorkflowId workflow, Status status, long notBefore) implements OutboxEntry {
    }

    /** The {@code sh.tangled.pipeline} record of {@code trigger}, queued with its runs. */
    record PipelineDue(long seq, long runId, Trigger trigger, long notBefore) implements OutboxEntry {
    }
}
