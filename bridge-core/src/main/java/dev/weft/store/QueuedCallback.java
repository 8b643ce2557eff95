package dev.weft.store;

import java.util.Objects;

/**
 * A job's callback body that reached an instance which does not drive its run, waiting for the
 * instance that does.
 *
 * @param runId the run
 * @param seq   the body's {@code seq}
 * @param body  the body as the job sent it (JSON, already checked)
 */
public record QueuedCallback(long runId, long seq, String body) {
    public QueuedCallback {
        Objects.requireNonNull(body, "body");
    }
}
