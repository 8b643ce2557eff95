package dev.weft.provider.buildkite.internal;

/**
 * A Buildkite API call did not give the expected answer. {@link #status()} is the HTTP status, or -1
 * when no response arrived. The subclasses say what the caller may do about it.
 */
public class BuildkiteException extends Exception {
    private final int status;

    public BuildkiteException(String message, int status, Throwable cause) {
        super(message, cause);
        this.status = status;
    }

    public int status() {
        return status;
    }

    /**
     * A 5xx, a timeout or a broken connection, after the retries an idempotent request is allowed.
     * For a create, {@link #ambiguous()} means the build may exist: look it up before trying again.
     */
    public static final class Transient extends BuildkiteException {
        private final boolean ambiguous;

        public Transient(String message, int status, Throwable cause, boolean ambiguous) {
            super(message, status, cause);
            this.ambiguous = ambiguous;
        }

        public boolean ambiguous() {
            return ambiguous;
        }
    }

    /** A 422: Buildkite refused the request; the message is Buildkite's own. */
    public static final class Rejected extends BuildkiteException {
        public Rejected(String message) {
            super(message, 422, null);
        }
    }
}
