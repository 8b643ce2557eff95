package dev.weft.concurrency;

import dev.weft.model.QueueState;
import dev.weft.model.RepoRef;
import dev.weft.store.ConcurrencyStore;
import dev.weft.store.QueueEntry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The groups' runtime, which the run runtime calls: a run whose workflow names a group
 * {@link #join}s its queue when it is dispatched (on the dispatching thread, so queue order is
 * trigger order), then, on its own run thread, {@link #awaitTurn}s before its provider sees it.
 * Who may start is decided in the store ({@link ConcurrencyStore#take}), never in memory, so it
 * holds across restarts and instances; memory only wakes the waiters of this instance early when a
 * run ends here ({@link #changed}); a run that ends on another instance is noticed within
 * {@link #POLL}.
 *
 * <p>The queue's moves are {@link QueueState}'s: join ({@code waiting}), take ({@code running}),
 * leave (the run ended, whatever the end).
 */
public final class ConcurrencyGroups {
    private static final Logger log = LoggerFactory.getLogger(ConcurrencyGroups.class);
    /** How often a waiting run looks at its queue again without being woken: other instances' ends. */
    public static final Duration POLL = Duration.ofSeconds(1);

    private final ConcurrencyStore store;
    private final Clock clock;
    private final Duration poll;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition change = lock.newCondition();
    private long generation;

    public ConcurrencyGroups(ConcurrencyStore store, Clock clock) {
        this(store, clock, POLL);
    }

    public ConcurrencyGroups(ConcurrencyStore store, Clock clock, Duration poll) {
        this.store = store;
        this.clock = clock;
        this.poll = poll;
    }

    /**
     * A group's repository as the queue names it: its DID when it has one (however the pipeline
     * reached weft), else {@code knot/owner/name}. Groups are per repository.
     */
    public static String repoOf(RepoRef repo) {
        return repo.hasRepoDid() ? repo.repoDid() : repo.key().toString();
    }

    /**
     * Queues run {@code runId} of pipeline {@code pipelineTid} in {@code group} of {@code repo};
     * idempotent. Returns the runs this join superseded ({@code cancel-in-progress}), which must be
     * cancelled wherever they are driven ({@link #superseded()} finds them from any instance).
     */
    public List<Long> join(long runId, RepoRef repo, ConcurrencySpec.Group group, String pipelineTid) {
        List<Long> superseded = store.join(runId, repoOf(repo), group.name(), group.cancelInProgress(), pipelineTid,
                clock.instant());
        if (!superseded.isEmpty()) {
            log.info("run {} (pipeline {}) supersedes run(s) {} in concurrency group \"{}\" of {}", runId, pipelineTid,
                    superseded, group.name(), repoOf(repo));
        }
        changed();
        return superseded;
    }

    /** The waiting run's side: whether to stop waiting, and where to say what it waits for. */
    public interface Waiter {
        long runId();

        /** Checked before every look at the queue: a cancelled run stops waiting. */
        boolean cancelRequested();

        /**
         * Called when the run first waits and whenever what it waits for changes (another run, or
         * the same one that now runs), with the run holding the group ({@code running}), or, when
         * none does, the one just ahead of it.
         */
        void waitingFor(QueueEntry ahead, QueueEntry self);
    }

    /** How a wait ended. */
    public sealed interface Turn {
        /** The run holds the group's slot since {@code at} (earlier than now after a restart). */
        record Started(Instant at) implements Turn {
        }

        /** The run's cancel was requested while it waited; it never started. */
        record Cancelled() implements Turn {
        }

        /** The run is not queued: it ended (elsewhere), or was never queued. */
        record Left() implements Turn {
        }
    }

    /**
     * Waits until {@code w}'s run holds its group's slot, its cancel is requested, or it left the
     * queue. Blocks the calling run thread; an interrupt (weft stopping) ends the wait with the run
     * still queued, for the next start.
     */
    public Turn awaitTurn(Waiter w) throws InterruptedException {
        String shown = null;
        while (true) {
            long seen = generation();
            if (w.cancelRequested()) return new Turn.Cancelled();
            // Reads first: a waiting run looks at its queue every poll, and only tries to take the
            // group (a write, under the group's lock) when nothing is in its way.
            Optional<QueueEntry> self = store.entry(w.runId());
            if (self.isEmpty()) return new Turn.Left();
            if (self.get().state() == QueueState.RUNNING) return new Turn.Started(self.get().startedAt());
            QueueEntry ahead = ahead(store.queue(self.get().repo(), self.get().group()), w.runId());
            if (ahead == null) {
                self = store.take(w.runId(), clock.instant());
                if (self.isEmpty()) return new Turn.Left();
                if (self.get().state() == QueueState.RUNNING) return new Turn.Started(self.get().startedAt());
                // Another run took it or joined ahead in between (a race the lock settled): look again.
                ahead = ahead(store.queue(self.get().repo(), self.get().group()), w.runId());
            }
            if (ahead != null && !(ahead.runId() + ahead.state().wireName()).equals(shown)) {
                shown = ahead.runId() + ahead.state().wireName();
                w.waitingFor(ahead, self.get());
            }
            awaitChange(seen, poll);
        }
    }

    /** The running member, or else the nearest one ahead of {@code runId}; null when none is. */
    static QueueEntry ahead(List<QueueEntry> queue, long runId) {
        QueueEntry nearest = null;
        for (QueueEntry e : queue) {
            if (e.runId() == runId) continue;
            if (e.state() == QueueState.RUNNING) return e;
            if (e.runId() < runId && (nearest == null || e.runId() > nearest.runId())) nearest = e;
        }
        return nearest;
    }

    /** The waiting step's text: which pipeline, by its TID and workflow, and why. */
    public static String waitingMessage(QueueEntry ahead, QueueEntry self) {
        return "waiting for pipeline " + ahead.workflow().pipeline().rkey() + " (workflow " + ahead.workflow().name() + ")"
                + (ahead.state() == QueueState.RUNNING ? ", which is running" : ", which is ahead of it")
                + " in concurrency group \"" + self.group() + "\": runs of a group go one at a time, in trigger order";
    }

    /** The error of a run cancelled because a newer run of its group asked for cancel-in-progress. */
    public static String supersededMessage(QueueEntry e) {
        return "cancelled by pipeline " + e.supersededBy() + ", which replaces it in concurrency group \"" + e.group()
                + "\" (cancel-in-progress)";
    }

    /** Queued runs some instance must cancel because a newer run superseded them. */
    public List<QueueEntry> superseded() {
        return store.superseded();
    }

    /** A run's queue entry, if it is queued. */
    public Optional<QueueEntry> entry(long runId) {
        return store.entry(runId);
    }

    /** Something about the queues changed here (a run ended, joined, was cancelled): wakes every waiter. */
    public void changed() {
        lock.lock();
        try {
            generation++;
            change.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private long generation() {
        lock.lock();
        try {
            return generation;
        } finally {
            lock.unlock();
        }
    }

    private void awaitChange(long seen, Duration max) throws InterruptedException {
        long nanos = max.toNanos();
        lock.lock();
        try {
            while (generation == seen && nanos > 0) nanos = change.awaitNanos(nanos);
        } finally {
            lock.unlock();
        }
    }
}
