package dev.weft.spi;

/** Outcome of {@link Provider#fetchLogs}: the three answers a log viewer can be given. */
public enum LogFetch {
    /** The run's log in the store is as complete as the backend can make it. */
    COMPLETE,
    /** The backend has no log for this run; serve what is stored. */
    NOT_FOUND,
    /** The backend could not be asked; the viewer gets an HTTP 5xx. */
    BACKEND_FAILURE
}
