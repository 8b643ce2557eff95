package dev.weft.store;

import dev.weft.model.PipelineId;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Requests to build a pipeline (a push, a pull-request event, a manual run) accepted before their
 * workflow files are read. The request itself is opaque here: the builder owns its format.
 */
public interface BuildStore {
    /**
     * Records a request unless {@code claim} was claimed before (by a request or by a trigger, see
     * {@link RunStore#insertTrigger(dev.weft.model.Trigger, long, String)}); durable when this returns.
     * Empty, writing nothing, for a claim seen before: the exactly-once guard for knot replays.
     */
    default Optional<BuildRecord> insertRequest(String claim, PipelineId pipeline, String repo, String request,
                                                Instant receivedAt) {
        return insertRequest(claim, pipeline, repo, request, receivedAt, "");
    }

    /**
     * As {@link #insertRequest(String, PipelineId, String, String, Instant)}, recording {@code builder}
     * (the lease holder of the instance that received the request and builds it; empty for none) as
     * its builder, so that no other live instance takes it ({@link #takeRequest}).
     */
    Optional<BuildRecord> insertRequest(String claim, PipelineId pipeline, String repo, String request,
                                        Instant receivedAt, String builder);

    /** Requests not finished yet, oldest first: what a restart resumes. */
    List<BuildRecord> waitingRequests();

    /**
     * The waiting requests {@code builder} may take at {@code now}, oldest first: those without a
     * builder, its own, and those whose builder holds no live lease {@code "instance:" + builder}
     * (an instance that died or stopped). Never one a live instance builds.
     */
    List<BuildRecord> buildableRequests(String builder, Instant now);

    /**
     * Takes request {@code id} for {@code builder} in one guarded update: only while it is waiting
     * and its builder is empty, {@code builder} itself, or holds no live lease
     * {@code "instance:" + builder} at {@code now}. Returns whether {@code builder} builds it now;
     * false (nothing written) when it is finished or a live instance builds it. Of instances
     * taking one request at the same time, at most one that is not its live builder wins.
     */
    boolean takeRequest(long id, String builder, Instant now);

    /** Counts a failed attempt and keeps its error, the request staying {@link BuildRecord.State#WAITING}. */
    void attemptFailed(long id, String error, Instant at);

    /** Finishes a request; {@code error} is null unless {@code state} is {@link BuildRecord.State#FAILED}. */
    void finishRequest(long id, BuildRecord.State state, String error, Instant at);

    /** The newest requests of a repository, newest first: what {@code weft repos} shows. */
    List<BuildRecord> recentRequests(String repo, int limit);

    Optional<BuildRecord> request(PipelineId pipeline);
}
