package dev.weft.runs;

import dev.weft.spi.GoDuration;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The runs' timers on the runtime's scheduler: the workflow timeout (counted from the trigger, or
 * for a run of a concurrency group from when it took the group) and
 * the cancel grace (counted from a cancel request). An expired timer runs its action on a run
 * thread of its own, never on the scheduler; a run's timers are dropped when it ends, and every
 * timer when the runtime closes, so nothing fires while weft stops.
 */
final class Deadlines {
    private final Duration workflowTimeout;
    private final Duration cancelGrace;
    private final Clock clock;
    private final ScheduledExecutorService timers;
    private final RunThreads threads;
    private final ConcurrentHashMap<Long, ScheduledFuture<?>> timeouts = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, ScheduledFuture<?>> graces = new ConcurrentHashMap<>();
    private volatile boolean closed;

    Deadlines(RunOptions options, Clock clock, ScheduledExecutorService timers, RunThreads threads) {
        this.workflowTimeout = options.workflowTimeout();
        this.cancelGrace = options.cancelGrace();
        this.clock = clock;
        this.timers = timers;
        this.threads = threads;
    }

    /** The error of a run that hit the workflow timeout. */
    String timeoutMessage() {
        return "workflow timed out after " + GoDuration.format(workflowTimeout);
    }

    /** The cancel grace, as the runtime's messages spell it. */
    String cancelGraceText() {
        return GoDuration.format(cancelGrace);
    }

    /** Runs {@code expire} once the run is older than the workflow timeout (at once when it already is). */
    void workflowTimeout(RunHandle h, Runnable expire) {
        workflowTimeout(h, h.createdAt(), expire);
    }

    /**
     * Runs {@code expire} once the workflow timeout has passed since {@code from}: a run of a
     * concurrency group counts from when it took the group, not from its trigger.
     */
    void workflowTimeout(RunHandle h, Instant from, Runnable expire) {
        Instant deadline = from.plus(workflowTimeout);
        long delay = Math.max(0, Duration.between(clock.instant(), deadline).toMillis());
        schedule(timeouts, h, "weft-timeout-", delay, expire);
    }

    /** Runs {@code expire} when the cancel grace has passed from now. */
    void cancelGrace(RunHandle h, Runnable expire) {
        schedule(graces, h, "weft-cancel-grace-", cancelGrace.toMillis(), expire);
    }

    /** Drops a run's timers (it ended). */
    void clear(long runId) {
        cancel(timeouts.remove(runId));
        cancel(graces.remove(runId));
    }

    /** Drops every timer; none is set afterwards. */
    void close() {
        closed = true;
        timeouts.values().forEach(Deadlines::cancel);
        graces.values().forEach(Deadlines::cancel);
        timeouts.clear();
        graces.clear();
    }

    private void schedule(ConcurrentHashMap<Long, ScheduledFuture<?>> kind, RunHandle h, String threadName,
                          long delayMillis, Runnable expire) {
        if (closed) return;
        long id = h.id();
        ScheduledFuture<?> f = timers.schedule(() -> {
            kind.remove(id);
            if (!closed) threads.start(threadName + id, expire);
        }, delayMillis, TimeUnit.MILLISECONDS);
        cancel(kind.put(id, f));
        if (closed) cancel(f);
    }

    private static void cancel(ScheduledFuture<?> f) {
        if (f != null) f.cancel(false);
    }
}
