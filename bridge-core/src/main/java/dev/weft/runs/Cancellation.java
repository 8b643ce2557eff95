package dev.weft.runs;

import dev.weft.concurrency.ConcurrencyGroups;
import dev.weft.model.Status;
import dev.weft.model.WorkflowId;
import dev.weft.runs.RunManager.CancelOutcome;
import dev.weft.spi.CancelReason;
import dev.weft.spi.Provider;
import dev.weft.store.QueueEntry;
import dev.weft.store.RunRecord;
import dev.weft.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.function.Function;

/**
 * Carries cancel requests to providers: records the request on the run (once), asks the run's
 * provider to stop it, and, when the provider has not confirmed within the cancel grace, ends the
 * run {@code cancelled} itself. A run still waiting for its concurrency group has no provider
 * side yet: its cancel only wakes its run thread, which ends it.
 */
final class Cancellation {
    private static final Logger log = LoggerFactory.getLogger(Cancellation.class);

    private final RunStore store;
    private final ActiveRuns active;
    private final Function<String, Optional<Provider>> providers;
    private final Deadlines deadlines;
    private final RunThreads threads;
    private final ConcurrencyGroups groups;
    private final java.time.Clock clock;

    Cancellation(RunStore store, ActiveRuns active, Function<String, Optional<Provider>> providers,
                 Deadlines deadlines, RunThreads threads, ConcurrencyGroups groups, java.time.Clock clock) {
        this.groups = groups;
        this.clock = clock;
        this.store = store;
        this.active = active;
        this.providers = providers;
        this.deadlines = deadlines;
        this.threads = threads;
    }

    /**
     * A cancel from the appview or the operator, on the caller's thread. A run another instance
     * drives (several on one database) is reached through the store: the request is queued there
     * and carried out by that instance's next look at its cancel requests (within a second).
     */
    CancelOutcome cancel(WorkflowId workflow, CancelReason reason) {
        return cancelHere(workflow, reason).orElseGet(() -> {
            store.requestCancel(workflow, clock.instant());
            log.info("cancel of {} queued for the instance that drives it", workflow);
            return CancelOutcome.REQUESTED;
        });
    }

    /** Cancels the run if this instance drives it; empty when it is open but driven elsewhere. */
    Optional<CancelOutcome> cancelHere(WorkflowId workflow, CancelReason reason) {
        Optional<RunRecord> r = store.run(workflow);
        if (r.isEmpty()) return Optional.of(CancelOutcome.NOT_FOUND);
        Optional<RunHandle> h = active.get(r.get().id());
        if (h.isPresent() && !h.get().state().isTerminal()) {
            cancel(h.get(), reason);
            return Optional.of(CancelOutcome.REQUESTED);
        }
        if (h.isPresent() || r.get().state().isTerminal()) return Optional.of(CancelOutcome.ALREADY_TERMINAL);
        return Optional.empty();
    }

    /** Cancels an active run; a run already cancelled or ended is left alone. */
    void cancel(RunHandle h, CancelReason reason) {
        if (!h.requestCancel(reason)) return;
        log.info("{}: cancel requested ({})", h,
                reason == CancelReason.TIMEOUT ? deadlines.timeoutMessage() : "by request");
        askProvider(h, reason);
    }

    /**
     * Cancels the runs of this instance that newer runs of their groups superseded
     * ({@code cancel-in-progress}), whichever instance the newer run joined on; each once, on a
     * thread of its own (providers may block). Called after a join here and periodically.
     */
    void supersede() {
        for (QueueEntry e : groups.superseded()) {
            Optional<RunHandle> h = active.get(e.runId());
            if (h.isEmpty() || h.get().state().isTerminal()) continue;
            if (!h.get().supersede(ConcurrencyGroups.supersededMessage(e))) continue;
            log.info("{}: superseded by pipeline {} in concurrency group \"{}\"", h.get(), e.supersededBy(), e.group());
            threads.start("weft-cancel-" + e.runId(), () -> cancel(h.get(), CancelReason.REQUESTED));
        }
    }

    /**
     * A recovered run whose cancel was requested before weft stopped: asks its provider again, on a
     * thread of its own (recovery does not wait for providers).
     */
    void askAgain(RunHandle h) {
        CancelReason reason = h.cancelReason().orElseThrow();
        threads.start("weft-cancel-" + h.id(), () -> askProvider(h, reason));
    }

    private void askProvider(RunHandle h, CancelReason reason) {
        if (h.waitingInGroup()) {
            // Never handed to its provider: its run thread, woken here, ends it (a thread that took
            // the group meanwhile sees the cancel before it spawns). The grace still guards it.
            groups.changed();
            deadlines.cancelGrace(h, () -> overrule(h));
            return;
        }
        providers.apply(h.engine()).ifPresent(p -> {
            try {
                p.cancel(h, reason);
            } catch (Exception e) {
                log.warn("{}: provider cancel failed: {}", h, e.toString());
            }
        });
        deadlines.cancelGrace(h, () -> overrule(h));
    }

    /** The provider did not confirm within the grace: the runtime ends the run. */
    private void overrule(RunHandle h) {
        if (h.state().isTerminal()) return;
        String why = "the provider did not confirm cancellation within " + deadlines.cancelGraceText();
        log.warn("{}: {}; ending it", h, why);
        h.offer(new Status.Cancelled(why));
    }
}
