package dev.weft.store;

/** The database failed (I/O, corruption, a full disk). Unchecked: there is no local recovery. */
public class StoreException extends RuntimeException {
    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
