package dev.weft.store;

import dev.weft.model.PipelineId;

import java.time.Instant;
import java.util.Objects;

/**
 * One build request as stored.
 *
 * @param pipeline the pipeline id minted when the request was accepted, so a retry after a crash
 *                 builds the same pipeline and the trigger's primary key refuses a second one
 * @param repo     the key requests are serialised on (the repo DID)
 * @param request  the builder's JSON
 * @param error    the last attempt's error, or the final one; null when none
 * @param builder  the lease holder of the instance that builds (or built) it, empty when none took
 *                 it (a single instance, or a request written before builders were recorded)
 */
public record BuildRecord(long id, PipelineId pipeline, String repo, String request, State state, int attempts,
                          String error, Instant receivedAt, Instant updatedAt, String builder) {
    public BuildRecord {
        Objects.requireNonNull(pipeline, "pipeline");
        builder = builder == null ? "" : builder;
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(receivedAt, "receivedAt");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }

    /** Where a request is; only {@link #WAITING} moves. */
    public enum State {
        /** Accepted, workflows not read yet (or being read, or being retried). */
        WAITING,
        /** Its pipeline exists. */
        BUILT,
        /** Nothing matched and no file was broken: no pipeline, as upstream. */
        NOTHING,
        /** Given up: the error says why (a knot down past the fetch timeout, a missing commit). */
        FAILED;

        public String wireName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        public static State fromWire(String s) {
            return valueOf(s.toUpperCase(java.util.Locale.ROOT));
        }
    }
}
