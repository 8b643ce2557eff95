package dev.weft.store;

import dev.weft.model.Status;
import dev.weft.model.StatusEvent;

import java.util.List;
import java.util.Optional;

/**
 * The status outbox (decided, not yet due) and the event log behind {@code /events}. Statuses enter
 * the outbox through {@link RunStore#transition}, pipeline records with their trigger
 * ({@link RunStore#insertTrigger}); the one publisher moves them to the log with
 * {@link #publishAll}, having chosen the id and encoded the frame itself. {@link #eventsAfter} and
 * {@link #publishedStatuses} see statuses only; {@link #framesAfter} sees every frame.
 */
public interface StatusStore {
    /** The outbox entry due first (smallest not-before, then oldest), if any. */
    Optional<OutboxEntry> nextDue();

    /** Up to {@code limit} entries due at {@code nowNanos}, in publication order (not-before, then seq). */
    List<OutboxEntry> due(long nowNanos, int limit);

    /** The latest not-before queued or published for a run, for pacing its next status (0: none). */
    long lastScheduled(long runId);

    /**
     * Appends each event with its exact {@code /events} frame (null when it cannot be encoded) and
     * removes its outbox entry, all in one transaction: the publisher moves every due entry at
     * once, so a burst costs one commit, not one per status. Fails, writing nothing, when an entry
     * is no longer in the outbox. The caller guarantees ids strictly increase.
     */
    void publishAll(List<Publication> publications);

    /**
     * One entry to publish as event {@code id} with record key {@code rkey} at {@code createdAt},
     * and its frame (null when unencodable).
     */
    record Publication(OutboxEntry entry, long id, String rkey, java.time.Instant createdAt, byte[] frame) {
    }

    /** The largest published id, 0 when none. */
    long lastEventId();

    /** Up to {@code limit} status events with id greater than {@code afterId}, in id order. */
    List<StatusEvent> eventsAfter(long afterId, int limit);

    /** Like {@link #eventsAfter}, as stored frames: the backfill path reads nothing else. */
    List<StoredFrame> framesAfter(long afterId, int limit);

    /** Published statuses of one run, oldest first. */
    List<Status> publishedStatuses(long runId);
}
