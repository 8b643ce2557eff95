package dev.weft.store;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

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

    /** Marks a run's log complete: no line will be added (what its parked steps became is forgotten). */
    void markComplete(long runId);

    // The log inbox (several instances on one database): log writes a provider made on an
    // instance that does not drive the run, parked for the one that does (ParkedLogOp).

    /**
     * Parks {@code op} after the run's earlier ones and returns its id; refuses it (empty, nothing
     * written) when the run already has {@code maxOps} ops parked, or they and it would hold more
     * than {@code maxBytes} bytes. Instances parking for one run at the same moment may pass the
     * bounds by the ops they park together.
     */
    OptionalLong park(ParkedLogOp op, int maxOps, long maxBytes);

    /** Runs with parked ops, at most {@code limit}, lowest id first. */
    List<Long> runsWithParkedOps(int limit);

    /** Up to {@code limit} of a run's parked ops after {@code afterId}, in the order they were parked. */
    List<ParkedLogOp> parked(long runId, long afterId, int limit);

    /** A run's parked step starts and ends (no lines), in order: the steps other instances started. */
    List<ParkedLogOp> parkedSteps(long runId);

    /** Which step each applied parked start became: start op id to step id. */
    Map<Long, Integer> parkedStepIds(long runId);

    /**
     * Applies parked op {@code opId} of run {@code runId} in one transaction: removes it from the
     * inbox and, only if it was still there, inserts step {@code started} (when not null, noting
     * that the op became it), ends step {@code endedStep} at {@code endedAt} (when not negative)
     * and appends {@code frame} at {@code seq}, as {@link #insertStep}, {@link #endStep} and
     * {@link #append} would. Returns false, writing nothing, when the op was not parked any more
     * (applied or dropped before): so an op is applied once whoever tries, also after a crash.
     */
    boolean applyParked(long runId, long opId, StepRecord started, int endedStep, long endedAt, long seq, byte[] frame);

    /** Removes one parked op that cannot be applied; false when it was gone. */
    boolean dropParked(long runId, long opId);

    /** Removes every op a run has parked; returns how many. */
    int dropParked(long runId);
}
