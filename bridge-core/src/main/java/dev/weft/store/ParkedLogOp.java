package dev.weft.store;

import java.util.Objects;

/**
 * One log write a provider made on an instance that does not drive the run (its webhook landed
 * there), parked in the store ({@code log_inbox}) for the instance that does, which numbers it
 * through its own writer. Ops of a run are applied in {@link #id} order, the order they were parked.
 * Times are Unix nanoseconds.
 */
public sealed interface ParkedLogOp {
    /** The op's place in the inbox (0 before it is parked). */
    long id();

    long runId();

    long at();

    /** The bytes this op holds (name, command, text), for the per-run bound. */
    int size();

    /** Which step a line or an end is for. */
    sealed interface StepRef {
        /** A step already in the run's log. */
        record Stored(int stepId) implements StepRef {
        }

        /** A step started by a parked {@link Start} (its {@link #id}), which may not be in the log yet. */
        record Parked(long startOp) implements StepRef {
        }
    }

    /** A step's start. */
    record Start(long id, long runId, String name, String command, boolean system, long at) implements ParkedLogOp {
        public Start {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(command, "command");
        }

        @Override
        public int size() {
            return utf8(name) + utf8(command);
        }
    }

    /** A data line of a step. */
    record Line(long id, long runId, StepRef step, boolean stderr, String text, long at) implements ParkedLogOp {
        public Line {
            Objects.requireNonNull(step, "step");
            Objects.requireNonNull(text, "text");
        }

        @Override
        public int size() {
            return utf8(text);
        }
    }

    /** A step's end. */
    record End(long id, long runId, StepRef step, long at) implements ParkedLogOp {
        public End {
            Objects.requireNonNull(step, "step");
        }

        @Override
        public int size() {
            return 0;
        }
    }

    private static int utf8(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }
}
