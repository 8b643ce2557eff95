package dev.weft.runs;

import java.time.Duration;
import java.util.Objects;

/**
 * The run lifecycle's knobs.
 *
 * @param workflowTimeout  a run still open after this is cancelled and ends {@code timeout}
 * @param firstStatusDelay no status of a pipeline is published sooner than this after its trigger
 * @param statusGap        statuses of one workflow are at least this far apart
 * @param cancelGrace      how long a provider has to confirm a cancel before the runtime ends the run
 * @param retryMin         first backoff after a {@code RetriableProviderException}
 * @param retryMax         backoff cap
 * @param dev              repositories are reached over http, not https
 * @param stopWait         how long closing the runtime waits, in all, for the run threads it
 *                         interrupted to end; one still running then is logged and left behind
 */
public record RunOptions(Duration workflowTimeout, Duration firstStatusDelay, Duration statusGap,
                         Duration cancelGrace, Duration retryMin, Duration retryMax, boolean dev, Duration stopWait) {
    public RunOptions {
        Objects.requireNonNull(workflowTimeout);
        Objects.requireNonNull(firstStatusDelay);
        Objects.requireNonNull(statusGap);
        Objects.requireNonNull(cancelGrace);
        Objects.requireNonNull(retryMin);
        Objects.requireNonNull(retryMax);
        Objects.requireNonNull(stopWait);
    }

    public static RunOptions defaults() {
        return new RunOptions(Duration.ofHours(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(60), Duration.ofSeconds(1), Duration.ofMinutes(1), false, Duration.ofSeconds(10));
    }

    public RunOptions withWorkflowTimeout(Duration d) {
        return new RunOptions(d, firstStatusDelay, statusGap, cancelGrace, retryMin, retryMax, dev, stopWait);
    }

    public RunOptions withDelays(Duration first, Duration gap) {
        return new RunOptions(workflowTimeout, first, gap, cancelGrace, retryMin, retryMax, dev, stopWait);
    }

    public RunOptions withCancelGrace(Duration d) {
        return new RunOptions(workflowTimeout, firstStatusDelay, statusGap, d, retryMin, retryMax, dev, stopWait);
    }

    public RunOptions withRetry(Duration min, Duration max) {
        return new RunOptions(workflowTimeout, firstStatusDelay, statusGap, cancelGrace, min, max, dev, stopWait);
    }

    public RunOptions withDev(boolean d) {
        return new RunOptions(workflowTimeout, firstStatusDelay, statusGap, cancelGrace, retryMin, retryMax, d, stopWait);
    }

    public RunOptions withStopWait(Duration d) {
        return new RunOptions(workflowTimeout, firstStatusDelay, statusGap, cancelGrace, retryMin, retryMax, dev, d);
    }
}
