package dev.weft.store;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The concurrency groups' queues, shared by every instance on the database. Joining and taking a
 * group's slot lock the group's row first, so of two instances only one can start a member; an
 * entry leaves when its run's terminal status is stored ({@link RunStore#transition}, same
 * transaction). Queue order is run id order, which is trigger order.
 */
public interface ConcurrencyStore {
    /**
     * Puts run {@code runId} at the end of group ({@code repo}, {@code group}) as waiting. With
     * {@code cancelInProgress}, every older entry of the group not yet superseded is marked
     * superseded by {@code pipelineTid}, in the same transaction. Idempotent: a run already
     * queued changes nothing (a recovered run joins again).
     *
     * @return the run ids this join marked superseded (empty when the run was queued already)
     */
    List<Long> join(long runId, String repo, String group, boolean cancelInProgress, String pipelineTid, Instant now);

    /**
     * Tries to move run {@code runId} from waiting to running: it succeeds when no other entry of
     * its group is running and none is ahead of it. Returns the run's entry afterwards (running
     * when it holds the slot, also when it already did), or empty when it is not queued (it ended).
     */
    Optional<QueueEntry> take(long runId, Instant now);

    /** Run {@code runId}'s entry. */
    Optional<QueueEntry> entry(long runId);

    /** A group's queue: the running entry first, then the waiting ones in order. */
    List<QueueEntry> queue(String repo, String group);

    /** Every queue whose group is named {@code group}, whatever the repository, each as {@link #queue}. */
    List<QueueEntry> queuesNamed(String group);

    /** Every queued run, by repository and group, each group as {@link #queue}. */
    List<QueueEntry> all();

    /** Entries marked superseded, oldest first: runs some instance must cancel. */
    List<QueueEntry> superseded();
}
