package dev.weft.model;

import java.util.Objects;
import java.util.Optional;

/**
 * A status a run reports, with what the wire record carries for it. The closed set mirrors
 * {@link RunState}; {@code error} and {@code exitCode} are written only when present.
 */
public sealed interface Status {
    RunState state();

    default Optional<String> error() {
        return Optional.empty();
    }

    default Optional<Long> exitCode() {
        return Optional.empty();
    }

    record Pending() implements Status {
        public RunState state() {
            return RunState.PENDING;
        }
    }

    record Running() implements Status {
        public RunState state() {
            return RunState.RUNNING;
        }
    }

    record Success() implements Status {
        public RunState state() {
            return RunState.SUCCESS;
        }
    }

    /** Failed with a message; exit code -1 when the backend gave none (upstream's convention). */
    record Failed(String message, long code) implements Status {
        public Failed {
            Objects.requireNonNull(message, "message");
        }

        public RunState state() {
            return RunState.FAILED;
        }

        public Optional<String> error() {
            return Optional.of(message);
        }

        public Optional<Long> exitCode() {
            return Optional.of(code);
        }
    }

    /** Ran past its limit; the message says which. */
    record Timeout(String message) implements Status {
        public RunState state() {
            return RunState.TIMEOUT;
        }

        public Optional<String> error() {
            return Optional.ofNullable(message).filter(s -> !s.isEmpty());
        }
    }

    /** Cancelled on request (appview, operator) or by the backend. */
    record Cancelled(String message) implements Status {
        public RunState state() {
            return RunState.CANCELLED;
        }

        public Optional<String> error() {
            return Optional.ofNullable(message).filter(s -> !s.isEmpty());
        }
    }

    /** Rebuilds a status from its stored parts. */
    static Status of(RunState state, String error, Long exitCode) {
        return switch (state) {
            case PENDING -> new Pending();
            case RUNNING -> new Running();
            case SUCCESS -> new Success();
            case FAILED -> new Failed(error == null ? "" : error, exitCode == null ? -1 : exitCode);
            case TIMEOUT -> new Timeout(error);
            case CANCELLED -> new Cancelled(error);
        };
    }
}
