package dev.weft.spi;

import java.time.Instant;

/**
 * One started step of a run's log. Writing after {@link #end} throws {@link IllegalStateException}.
 * A line is one line: the caller splits on newlines and removes the line terminator; the runtime
 * does not split.
 */
public interface Step {

    /**
     * The step's {@code step_id}; -1 for a step started on an instance that does not drive the run
     * (several instances on one database: its writes wait for the driving instance, which numbers
     * the step when it writes them, see {@link RunLog}).
     */
    int id();

    String name();

    boolean ended();

    /** A stdout line stamped now. */
    default void out(String line) {
        line(false, line, null);
    }

    /** A stderr line stamped now. */
    default void err(String line) {
        line(true, line, null);
    }

    /** A data line on stdout or stderr, stamped {@code at} (the backend's own time) or now when null. */
    void line(boolean stderr, String text, Instant at);

    /** Ends the step now. Ending an ended step is a no-op. */
    default void end() {
        end(null);
    }

    /** Ends the step at {@code at} (or now when null): the {@code control}/{@code end} line. */
    void end(Instant at);
}
