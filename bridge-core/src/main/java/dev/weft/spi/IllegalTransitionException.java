package dev.weft.spi;

/**
 * A provider reported a status the state machine does not allow from the run's current one (for
 * example {@code running} after {@code success}). The message names the provider and the run.
 */
public class IllegalTransitionException extends IllegalStateException {
    public IllegalTransitionException(String message) {
        super(message);
    }
}
