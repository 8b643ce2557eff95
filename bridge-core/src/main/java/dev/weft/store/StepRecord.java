package dev.weft.store;

/** One row of {@code steps}. Times are Unix nanoseconds; {@code endedAt} is null while open. */
public record StepRecord(long runId, int stepId, String name, String command, boolean system,
                         long startedAt, Long endedAt) {
}
