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
    Optional<BuildRecord> insertRequest(String claim, PipelineId pipeline, String repo, String request, Instant receivedAt);

    /** Requests not finished yet, oldest first: what a restart resumes. */
    List<BuildRecord> waitingRequests();

    /** Counts a failed attempt and keeps its error, the request staying {@link BuildRecord.State#WAITING}. */
    void attemptFailed(long id, String error, Instant at);

    /** Finishes a request; {@code error} is null unless {@code state} is {@link BuildRecord.State#FAILED}. */
    void finishRequest(long id, BuildRecord.State state, String error, Instant at);

    /** The newest requests of a repository, newest first: what {@code weft repos} shows. */
    List<BuildRecord> recentRequests(String repo, int limit);

    Optional<BuildRecord> request(PipelineId pipeline);
}
