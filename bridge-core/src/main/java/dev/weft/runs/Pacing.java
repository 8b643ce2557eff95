package dev.weft.runs;

import dev.weft.model.Nanos;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * When a status may be published (spec section 4): no status of a pipeline sooner than the
 * first-status delay after its trigger, and one workflow's statuses at least the status gap apart.
 * Times are Unix nanoseconds, as the outbox keeps them.
 */
final class Pacing {
    private final Duration firstStatusDelay;
    private final Duration statusGap;
    private final Clock clock;

    Pacing(RunOptions options, Clock clock) {
        this.firstStatusDelay = options.firstStatusDelay();
        this.statusGap = options.statusGap();
        this.clock = clock;
    }

    long now() {
        return Nanos.of(clock.instant());
    }

    /** The earliest a trigger's first statuses (its runs' {@code pending}) may be published. */
    long firstStatusAt(Instant triggerReceivedAt) {
        return Nanos.of(triggerReceivedAt.plus(firstStatusDelay));
    }

    /**
     * The earliest a run's next status may be published, given when the trigger came and the
     * publication time scheduled for the run's previous status (0: none).
     */
    long notBefore(Instant triggerReceivedAt, long lastScheduled) {
        long gap = lastScheduled == 0 ? 0 : lastScheduled + statusGap.toNanos();
        return Math.max(now(), Math.max(firstStatusAt(triggerReceivedAt), gap));
    }
}
