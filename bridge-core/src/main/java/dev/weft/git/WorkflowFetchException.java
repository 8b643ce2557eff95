package dev.weft.git;

import java.time.Duration;
import java.util.Objects;

/**
 * Why workflow files could not be read. The {@link Failure} says whether trying again can help:
 * {@link Failure#retriable()} failures are retried by {@link WorkflowFetcher} itself until its
 * deadline, so a caller only ever sees them wrapped in {@link Failure.TimedOut}; every other kind
 * is final for that commit and should be shown to the user (pipeline error, {@code weft repos}).
 */
public final class WorkflowFetchException extends Exception {

    private final Failure failure;

    public WorkflowFetchException(Failure failure, Throwable cause) {
        super(failure.message(), cause);
        this.failure = failure;
    }

    public Failure failure() {
        return failure;
    }

    /** A closed set of reasons; {@link #message()} is written for the operator and the user. */
    public sealed interface Failure {
        /** One line naming what went wrong and, where it helps, what to do. */
        String message();

        /** Whether another attempt later might succeed. */
        default boolean retriable() {
            return false;
        }

        /** Short stable name for metrics tags and logs. */
        String kind();

        /** Connection refused or reset, a transport timeout, an HTTP 5xx, a reply that is not git. */
        record KnotUnreachable(String detail) implements Failure {
            public String message() { return "knot unreachable: " + detail; }
            public boolean retriable() { return true; }
            public String kind() { return "unreachable"; }
        }

        /**
         * The knot kept failing until the fetch deadline; {@code last} is the final attempt's
         * failure. {@code attempts} is 0 when another fetch of the same repo held it all along.
         */
        record TimedOut(Duration after, int attempts, Failure last) implements Failure {
            public TimedOut { Objects.requireNonNull(last, "last"); }
            public String message() {
                return "gave up after " + after + " and " + attempts + " attempts; last error: " + last.message();
            }
            public String kind() { return "timeout"; }
        }

        /** No such repository on the knot (HTTP 404/403/401), or what it serves is not a usable git repo. */
        record RepositoryBroken(String detail) implements Failure {
            public String message() { return "repository unusable: " + detail; }
            public String kind() { return "broken"; }
        }

        /** The knot does not have the commit, or the id names something that is not a commit. */
        record CommitNotFound(String commit, String detail) implements Failure {
            public String message() { return "commit " + commit + " not found: " + detail; }
            public String kind() { return "commit_not_found"; }
        }

        /**
         * The workflow directory is larger than weft will read; {@code limit} names which bound.
         * {@code actual} is -1 when only "more than allowed" is known (a blob never downloaded).
         */
        record LimitExceeded(Limit limit, long allowed, long actual, String detail) implements Failure {
            public String message() {
                return "workflow files exceed " + limit.description + " (" + allowed + "): " + detail;
            }
            public String kind() { return "limit_" + limit.name().toLowerCase(java.util.Locale.ROOT); }
        }

        /** A repo DID or commit id that cannot be right; nothing was sent to the knot. */
        record InvalidRequest(String detail) implements Failure {
            public String message() { return "invalid request: " + detail; }
            public String kind() { return "invalid"; }
        }
    }

    /** The bounds of {@link WorkflowFetcher.Limits}, by name. */
    public enum Limit {
        FILE_COUNT("the maximum number of workflow files"),
        FILE_SIZE("the maximum size of one workflow file in bytes"),
        TOTAL_SIZE("the maximum total size of the workflow files in bytes");

        final String description;

        Limit(String description) {
            this.description = description;
        }
    }
}
