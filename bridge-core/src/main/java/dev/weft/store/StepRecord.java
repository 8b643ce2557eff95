package dev.weft.store;

/**
 * One row of {@code steps}. Times are Unix nanoseconds; {@code endedAt} is null while open;
 * {@code callback} marks a step the job reported through its callback URL rather than its provider.
 */
public record StepRecord(long runId, int stepId, String name, String command, boolean system,
                         long startedAt, Long endedAt, boolean callback) {

    /** A step written by the run's provider or the runtime. */
    public StepRecord(long runId, int stepId, String name, String command, boolean system, long startedAt, Long endedAt) {
        this(runId, stepId, name, command, system, startedAt, endedAt, false);
    }
}
