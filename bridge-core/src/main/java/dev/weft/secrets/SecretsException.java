package dev.weft.secrets;

/** A secret could not be opened, or a request about secrets is invalid; the message says which. */
public final class SecretsException extends Exception {
    public SecretsException(String message) {
        super(message);
    }
}
