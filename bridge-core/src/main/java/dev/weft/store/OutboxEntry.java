package dev.weft.store;

import dev.weft.model.Status;

/** A status decided for a run and waiting to be published no sooner than {@code notBefore} (nanos). */
public record OutboxEntry(long seq, long runId, Status status, long notBefore) {
}
