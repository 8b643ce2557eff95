package dev.weft.store;

import dev.weft.model.PipelineId;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Triggers and their runs: the intent rows written before anything slow happens, each run's
 * state, provider attributes, and the operator's cancel requests. State changes queue their status
 * in the outbox in the same transaction, so a status is published if and only if its state was
 * stored.
 */
public interface RunStore {
    /**
     * Records a trigger and one {@code pending} run per workflow, each run's {@code pending} status
     * queued for publication no sooner than {@code pendingNotBefore}, in one transaction that is
     * durable when this returns. Returns empty, writing nothing, when the trigger's pipeline
     * (knot, rkey) was seen before: this is the exactly-once guard. Of two workflows with one
     * name, the first wins.
     */
    default Optional<List<RunRecord>> insertTrigger(Trigger trigger, long pendingNotBefore) {
        return insertTrigger(trigger, pendingNotBefore, null);
    }

    /**
     * {@link #insertTrigger(Trigger, long)}, also queueing the pipeline's {@code sh.tangled.pipeline}
     * record ahead of the {@code pending} statuses, and claiming {@code claim} (when not null) in
     * the same transaction: empty, writing nothing, when the claim was taken before, so one push
     * seen as a legacy record and as a refUpdate yields one pipeline.
     */
    Optional<List<RunRecord>> insertTrigger(Trigger trigger, long pendingNotBefore, String claim);

    /**
     * {@link #insertTrigger(Trigger, long, String)} without waiting: the future completes once the
     * transaction is durable (or failed), so a caller with a stream of triggers can queue several
     * and let the store commit them together. Triggers queued one after another by one thread
     * commit in that order. The default writes before returning.
     */
    default java.util.concurrent.CompletableFuture<Optional<List<RunRecord>>> insertTriggerLater(
            Trigger trigger, long pendingNotBefore, String claim) {
        try {
            return java.util.concurrent.CompletableFuture.completedFuture(insertTrigger(trigger, pendingNotBefore, claim));
        } catch (RuntimeException e) {
            return java.util.concurrent.CompletableFuture.failedFuture(e);
        }
    }

    Optional<Trigger> trigger(PipelineId pipeline);

    Optional<RunRecord> run(long id);

    Optional<RunRecord> run(WorkflowId workflow);

    /** Runs of a pipeline, in insertion order. */
    List<RunRecord> runs(PipelineId pipeline);

    /**
     * Runs of every pipeline with this rkey, whatever its knot, in insertion order: what a client
     * that names a pipeline by its TID alone ({@code sh.tangled.ci.subscribePipelineLogs}) means.
     * A TID is unique in practice; two knots sharing one yield the runs of both.
     */
    List<RunRecord> runsByRkey(String rkey);

    /** The newest {@code limit} runs, whatever their state, newest first. */
    List<RunRecord> recentRuns(int limit);

    /** Every run not yet terminal, oldest first. */
    List<RunRecord> openRuns();

    /** The newest run an engine knows by {@code externalId}. */
    Optional<RunRecord> runByExternalId(String engine, String externalId);

    Map<RunState, Long> countByState();

    /**
     * Moves a run to {@code status} and queues that status for publication no sooner than
     * {@code notBefore}, atomically, while the stored run is open; once it is terminal (another
     * instance ended it first: a webhook applied elsewhere, say) changes nothing and returns false,
     * so no run publishes two ends. The caller has checked the transition against its own view.
     *
     * @throws StoreException when there is no such run
     */
    boolean transition(long runId, Status status, long notBefore, long nowNanos);

    /**
     * Whether {@link #transition} also queues each status after {@code pending} for the
     * notification intake ({@link NotificationStore#pending}), in the same transaction; on unless
     * turned off. An instance with no notifier turns it off at start-up: it would discard every
     * such status anyway, and queueing them was two writes per status on the trigger path.
     */
    void queueNotices(boolean on);

    void attach(long runId, String externalId, String webUrl);

    /** Keeps the first reason given. */
    void setCancelReason(long runId, String reason);

    Optional<String> attribute(long runId, String key);

    void attribute(long runId, String key, String value);

    /** Queues an operator cancel for the daemon (written by another process); returns its id. */
    long requestCancel(WorkflowId workflow, Instant at);

    /** Operator cancels not handled yet, oldest first. */
    List<CancelRequest> openCancelRequests();

    Optional<CancelRequest> cancelRequest(long id);

    void finishCancelRequest(long id, String outcome, Instant at);

    /** Parks a callback body for the instance that drives its run; a second body of one seq is dropped. */
    void queueCallback(long runId, long seq, String body, Instant at);

    /** Parked callback bodies, by run and then seq, at most {@code limit}. */
    List<QueuedCallback> queuedCallbacks(int limit);

    void dropCallback(long runId, long seq);
}
