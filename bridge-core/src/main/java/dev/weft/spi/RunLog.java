package dev.weft.spi;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A run's log, as Tangled steps. Every line is persisted before the call returns and pushed to live
 * viewers. The runtime numbers steps (0-based over all steps, system steps and the steps the job
 * reports itself through its callback URL included, see {@link Variables}), writes the control lines, and ends any step still open when the run reaches a terminal status, so the
 * appview always sees a start and an end for each step.
 *
 * <p>Several weft instances on one database: a run's log is numbered by the instance that drives
 * the run. A webhook may land on another instance; the log its handler gets there parks every
 * write in the database, in call order, and the driving instance writes them within a fraction of
 * a second, beside its own lines (into the steps they name: one this handler started, or one found
 * through {@link #steps} or {@link #openStep}). The calls return once the write is parked, not
 * written; a step started there has {@link Step#id} -1. A run holds at most 10,000 parked writes
 * (16 MiB); beyond that they are refused and logged. Writes still parked when the run's log is
 * complete are dropped (logged).
 */
public interface RunLog {

    /**
     * Starts a user step now: a {@code control}/{@code start} line with {@code step_kind} 1.
     *
     * @param name    what the appview shows as the step's title
     * @param command the step's command text ({@code step_command}); empty when there is none
     */
    default Step startStep(String name, String command) {
        return startStep(name, command, false, null);
    }

    /** Starts a system step now (collapsed by the appview; {@code step_kind} absent). */
    default Step startSystemStep(String name) {
        return startStep(name, "", true, null);
    }

    /**
     * Starts a step at a given time (the backend's own start time), or now when {@code at} is null.
     */
    Step startStep(String name, String command, boolean system, Instant at);

    /**
     * The steps started so far, in order; after a restart this includes those from before it. Steps
     * the job reported through its callback URL are not listed (nor found by {@link #openStep}):
     * they are the job's, and a provider never writes into them.
     */
    List<Step> steps();

    /** The last started step with this name that has not ended yet, for picking up after a restart. */
    default Optional<Step> openStep(String name) {
        List<Step> all = steps();
        for (int i = all.size() - 1; i >= 0; i--) {
            Step s = all.get(i);
            if (s.name().equals(name) && !s.ended()) return Optional.of(s);
        }
        return Optional.empty();
    }
}
