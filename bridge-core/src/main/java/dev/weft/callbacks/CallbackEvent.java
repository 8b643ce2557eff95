package dev.weft.callbacks;

import java.util.Objects;

/** One event of a callback body: the closed set of what a job may report. */
sealed interface CallbackEvent {

    /** {@code {"type":"step","name":...,"command":...,"status":"start"}}: a new user step. */
    record StepStart(String name, String command) implements CallbackEvent {
        public StepStart {
            Objects.requireNonNull(name);
            Objects.requireNonNull(command);
        }
    }

    /** {@code {"type":"step","name":...,"status":"end"}}: ends the latest open step of that name. */
    record StepEnd(String name) implements CallbackEvent {
        public StepEnd {
            Objects.requireNonNull(name);
        }
    }

    /**
     * {@code {"type":"line","text":...,"stream":"stdout"|"stderr","step":...}}: one line, already
     * split on newlines; {@code step} null means the latest open step.
     */
    record Line(String text, boolean stderr, String step) implements CallbackEvent {
        public Line {
            Objects.requireNonNull(text);
        }
    }
}
