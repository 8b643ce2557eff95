package dev.weft.runs;

import dev.weft.store.LeaseStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who completes the log of a run that ended, when several instances share the store: a run's log
 * has one writer at a time, the run's owner ({@code runs.owner}). An instance that stores the end
 * of a run another live instance drives (a webhook that landed there) leaves the log to it; the
 * driver, learning of the end, completes it with the stored end; a log whose owner died before
 * that is taken by a survivor ({@link LeaseStore#takeLog}, one winner), and a log nobody alive
 * remembers (the instance that stored the end died too) is found by every instance's look for
 * {@linkplain #orphaned orphaned logs} and taken the same way. Alone on a SQLite file
 * ({@link #shared()} false) none of this runs: the instance that stores an end completes its log.
 */
final class LogEnds {
    private static final Logger log = LoggerFactory.getLogger(LogEnds.class);

    private final Clock clock;
    private volatile LeaseStore leases;
    private volatile String holder;
    /** Logs being completed on this instance now: one path at a time per run (a handle, a round). */
    private final Set<Long> completing = ConcurrentHashMap.newKeySet();
    /** Ended runs whose log this instance left to another (or failed to complete): looked at each round. */
    private final Set<Long> waiting = ConcurrentHashMap.newKeySet();

    LogEnds(Clock clock) {
        this.clock = clock;
    }

    /** Several instances share the store; {@code holder} is this process life's. Called once, before runs flow. */
    void share(LeaseStore leases, String holder) {
        this.holder = holder;
        this.leases = leases;
    }

    boolean shared() {
        return leases != null;
    }

    /**
     * Completes run {@code runId}'s log through {@code complete} when it is this instance's to
     * complete now: no other path here is completing it, and the store gives it to this instance
     * (the run is terminal, its log open, and its owner this instance, absent or dead). Returns
     * whether it did; when not (a live owner completes it, or it failed here), the run is looked
     * at again each round ({@link #waiting}) until its log is complete, so a log whose owner dies
     * meanwhile is still completed. Only when {@link #shared()}.
     */
    boolean completeIfMine(long runId, Runnable complete) {
        if (!completing.add(runId)) return false;
        try {
            if (!leases.takeLog(runId, holder, clock.instant())) {
                waiting.add(runId);
                return false;
            }
            complete.run();
            waiting.remove(runId);
            return true;
        } catch (RuntimeException e) {
            log.warn("run {}: its log could not be completed here (tried again in the next round): {}", runId, e.toString());
            waiting.add(runId);
            return false;
        } finally {
            completing.remove(runId);
        }
    }

    /** Remembers an ended run whose log may fall to this instance (an adopted run that ended meanwhile). */
    void watch(long runId) {
        waiting.add(runId);
    }

    /**
     * Up to {@code limit} ended runs whose log nobody alive completes: their owner (the driver, or
     * a survivor that took the log) is gone, so no handle and no {@link #waiting} set will ever
     * finish it. Offered to {@link #completeIfMine} like the others; one instance's take wins.
     */
    List<Long> orphaned(int limit) {
        return leases.orphanedLogs(holder, clock.instant(), limit);
    }

    /** The runs {@link #completeIfMine} left, a snapshot. */
    List<Long> waiting() {
        return List.copyOf(waiting);
    }

    /** A waiting run whose log is complete (or that is gone) needs no more looks. */
    void done(long runId) {
        waiting.remove(runId);
    }
}
