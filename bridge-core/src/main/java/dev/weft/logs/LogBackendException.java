package dev.weft.logs;

/** A provider's backend could not be asked for a log; {@code /logs} answers 502 before upgrading. */
public class LogBackendException extends Exception {
    public LogBackendException(String message) {
        super(message);
    }
}
