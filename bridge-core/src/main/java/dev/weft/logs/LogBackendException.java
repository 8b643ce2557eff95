package dev.weft.logs;

/**
 * A provider's backend could not be asked for a log: {@code /logs} answers 502 before upgrading;
 * the log subscription opens and ends with an {@code InternalError} error frame (tangled-ci.md 4.4).
 */
public class LogBackendException extends Exception {
    public LogBackendException(String message) {
        super(message);
    }
}
