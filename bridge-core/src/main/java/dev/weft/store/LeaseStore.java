package dev.weft.store;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Leases: a named piece of work that one holder at a time does, until an expiry the holder keeps
 * pushing forward (Quartz's check-in, db-scheduler's heartbeat), as plain rows any instance can
 * read. A holder is an instance id plus a token of one process life, so a restarted process never
 * takes its previous life's leases for its own. Every method is one transaction; times are the
 * caller's clock (instances must keep their clocks close, as for any lease).
 */
public interface LeaseStore {
    /** One lease row. */
    record Lease(String name, String holder, Instant expiresAt) {
        public boolean liveAt(Instant now) {
            return expiresAt.isAfter(now);
        }
    }

    /**
     * Takes {@code name} for {@code holder} until {@code now + ttl} when nobody holds it, its lease
     * expired, or {@code holder} already holds it (a renewal). Returns whether {@code holder} holds
     * it now; false means another live holder has it and nothing was written.
     */
    boolean acquire(String name, String holder, Instant now, Duration ttl);

    /** Hands {@code name} back at once; false when {@code holder} did not hold it. */
    boolean release(String name, String holder);

    Optional<Lease> lease(String name);

    /** Every lease row, by name (expired ones too). */
    List<Lease> leases();

    /**
     * Moves every open run whose owner is absent or holds no live lease {@code "instance:" + owner}
     * at {@code now} to {@code newOwner}, and returns their ids, oldest first. Safe against another
     * instance adopting at the same time: each run moves once.
     */
    List<Long> adoptRuns(String newOwner, Instant now);

    /**
     * Takes the completion of an ended run's log for {@code holder}: when the run is terminal, its
     * log is not complete, and its owner is absent, {@code holder} itself, or holds no live lease
     * {@code "instance:" + owner} at {@code now}, makes {@code holder} its owner and returns true.
     * False, writing nothing, otherwise (a live owner completes it, or it is complete). Of several
     * instances taking one log at once, exactly one gets it: a run's log has one writer.
     */
    boolean takeLog(long runId, String holder, Instant now);

    /**
     * Up to {@code limit} ended runs, oldest first, whose log is not complete and whose owner is
     * absent or, not {@code holder}, holds no live lease {@code "instance:" + owner} at {@code now}:
     * logs nobody alive will complete (the driver and the instance that stored the end both gone).
     * Only a hint, read without taking anything: complete each through {@link #takeLog}.
     */
    List<Long> orphanedLogs(String holder, Instant now, int limit);

    /** The open runs {@code owner} drives, oldest first. */
    List<Long> ownedRuns(String owner);
}
