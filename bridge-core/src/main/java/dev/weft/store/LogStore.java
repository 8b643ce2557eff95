package dev.weft.store;

import java.util.List;

/**
 * Each run's steps and log frames. Frames are the exact {@code /logs} bytes, numbered from 1 by
 * the run's single writer; writes here queue behind the trigger path, never in front of it.
 */
public interface LogStore {
    void insertStep(StepRecord step);

    void endStep(long runId, int stepId, long endedAtNanos);

    List<StepRecord> steps(long runId);

    /** Appends the frame at {@code seq}; durable when this returns. */
    void append(long runId, long seq, byte[] frame);

    /** The last sequence stored for a run, 0 when none. */
    long lastSeq(long runId);

    /** Up to {@code limit} frames after {@code afterSeq}, in order. */
    List<StoredFrame> after(long runId, long afterSeq, int limit);

    /** Marks a run's log complete: no line will be added. */
    void markComplete(long runId);
}
