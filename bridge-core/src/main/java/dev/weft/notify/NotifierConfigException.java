package dev.weft.notify;

/** A notifier is configured but wrongly; start-up stops with this message, which names the variables. */
public class NotifierConfigException extends Exception {
    public NotifierConfigException(String message) {
        super(message);
    }
}
