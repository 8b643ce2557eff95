package dev.weft.logs;

import dev.weft.model.Nanos;
import dev.weft.spi.RunLog;
import dev.weft.store.LogStore;
import dev.weft.store.ParkedLogOp;
import dev.weft.store.RunRecord;
import dev.weft.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.LongFunction;
import java.util.function.LongPredicate;
import java.util.function.UnaryOperator;

/**
 * The log inbox of several instances on one database: a run's log is numbered by one writer, the
 * one of the instance that drives the run, so what a provider writes on another instance (its
 * webhook landed there) is parked in the store ({@code log_inbox}, {@link #parked}) and written
 * by the driving instance ({@link #sweep}, and {@link #apply} just before a log completes), in the
 * order it was parked, each op removed in the transaction that stores it. Like the callback inbox
 * of the job's own lines ({@code dev.weft.callbacks}).
 *
 * <p>Bounded: a run holds at most {@link #MAX_OPS} parked ops of at most {@link #MAX_BYTES} bytes
 * in all (a line longer than {@link dev.weft.spi.LineAssembler#MAX_LINE} characters is parked in
 * pieces of that size); beyond that a write is refused and logged. Ops still parked when the run's
 * log is complete can no longer go in: the next sweep drops them and logs how many.
 *
 * <p>A run that ended keeps its parked ops until its log is completed by the instance it falls to
 * (its owner, or one that takes it when the owner died: {@code dev.weft.runs.LogEnds}), which
 * writes them first; only a log nobody completed {@link #ABANDONED} after the end loses them.
 */
public final class LogInbox {
    private static final Logger log = LoggerFactory.getLogger(LogInbox.class);
    /** The most ops one run may have parked. */
    public static final int MAX_OPS = 10_000;
    /** The most bytes (names, commands, line text) one run may have parked. */
    public static final long MAX_BYTES = 16L << 20;
    /**
     * How long after a run's end its parked ops wait for the log to be completed before they are
     * dropped anyway: far beyond a lease's expiry, after which a survivor completes the log of a
     * dead owner, so only a log that no instance could complete (the store failing all along) gets here.
     */
    static final Duration ABANDONED = Duration.ofMinutes(10);
    private static final int PAGE = 200;
    private static final int RUNS_PER_SWEEP = 1000;

    private final RunStore runs;
    private final LogStore store;
    private final Clock clock;

    LogInbox(RunStore runs, LogStore store, Clock clock) {
        this.runs = runs;
        this.store = store;
        this.clock = clock;
    }

    /**
     * A provider's view of the log of a run another instance drives: its writes are parked for that
     * instance, data lines through {@code filter} (the run's secret mask) first, so no secret rests
     * in the inbox.
     */
    public RunLog parked(long runId, UnaryOperator<String> filter) {
        return new ParkedLog(this, runId, filter);
    }

    Clock clock() {
        return clock;
    }

    LogStore store() {
        return store;
    }

    /** Parks {@code op}; empty (logged by the caller) when the run's bound is reached. */
    OptionalLong park(ParkedLogOp op) {
        return store.park(op, MAX_OPS, MAX_BYTES);
    }

    /**
     * Writes run {@code runId}'s parked ops through {@code writer} (the one of the instance that
     * drives it, or of the one completing its log), in order. Ops that cannot go in (a line for a
     * step that ended) are dropped with a log line; a log that is complete leaves them for
     * {@link #sweep}. Returns how many were written.
     */
    public int apply(long runId, RunLogWriter writer) {
        Map<Long, Integer> started = null;
        int written = 0;
        long after = 0;
        while (true) {
            List<ParkedLogOp> page = store.parked(runId, after, PAGE);
            for (ParkedLogOp op : page) {
                after = op.id();
                // Read once a pass, and only when there is something to apply.
                if (started == null) started = new HashMap<>(store.parkedStepIds(runId));
                switch (writer.applyParked(op, started)) {
                    case WRITTEN -> written++;
                    case GONE -> { }
                    case CLOSED -> {
                        return written;
                    }
                    case STEP_ENDED -> {
                        // Ending an ended step is a no-op (Step#end); a line after its end is refused as Step#line would.
                        if (store.dropParked(runId, op.id()) && !(op instanceof ParkedLogOp.End)) {
                            log.info("run {}: a line parked by another instance was dropped: its step had ended", runId);
                        }
                    }
                    case UNKNOWN_STEP -> {
                        if (store.dropParked(runId, op.id())) {
                            log.info("run {}: a log op parked by another instance was dropped: its step is not in the log", runId);
                        }
                    }
                }
            }
            if (page.size() < PAGE) break;
        }
        if (written > 0) log.debug("run {}: {} log op(s) parked by other instances written", runId, written);
        return written;
    }

    /** {@link #sweep(LongFunction, LongPredicate)} on an instance that completes no ended run's log. */
    public void sweep(LongFunction<Optional<RunLogWriter>> drivenHere) {
        sweep(drivenHere, id -> false);
    }

    /**
     * One look at the inbox: the runs this instance drives get their parked ops written through
     * their writer ({@code drivenHere}: empty for a run driven elsewhere, whose own instance does
     * it); an ended run whose log is still open is offered to {@code completeEnded}, which
     * completes the log here, its parked ops first, when it falls to this instance (its owner
     * died), and returns whether it did; the ops of runs whose log is complete (or that ended more
     * than {@link #ABANDONED} ago without it) are dropped, with a log line. Called periodically by
     * the daemon; never concurrently with itself.
     */
    public void sweep(LongFunction<Optional<RunLogWriter>> drivenHere, LongPredicate completeEnded) {
        for (long runId : store.runsWithParkedOps(RUNS_PER_SWEEP)) {
            Optional<RunLogWriter> writer = drivenHere.apply(runId);
            if (writer.isPresent() && !writer.get().isComplete()) {
                apply(runId, writer.get());
                continue;
            }
            Optional<RunRecord> run = runs.run(runId);
            if (run.isPresent() && !run.get().logComplete() && run.get().state().isTerminal()
                    && completeEnded.test(runId)) {
                // Completed here: what is left was parked after the end, dropped by the next look.
                continue;
            }
            boolean over = run.map(r -> r.logComplete() || r.state().isTerminal()
                    && Nanos.of(clock.instant()) >= r.updatedAt() + ABANDONED.toNanos()).orElse(true);
            if (!over) continue;
            int dropped = store.dropParked(runId);
            if (dropped > 0) {
                log.warn("run {}: {} log op(s) parked by another instance dropped: the run's log was complete before they "
                        + "could be written", runId, dropped);
            }
        }
    }
}
