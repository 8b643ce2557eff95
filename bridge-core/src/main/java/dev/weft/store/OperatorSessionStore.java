package dev.weft.store;

import java.util.OptionalLong;

/**
 * The console's operator sessions, shared by every instance on the database: a login on one
 * instance holds on all of them, and a logout ends it everywhere. Sessions are known by a hash of
 * their id only (the caller hashes), so the table gives nobody a session. Times are epoch
 * milliseconds.
 */
public interface OperatorSessionStore {
    /**
     * Stores a new session, after dropping expired ones and, when {@code max} live sessions exist
     * already, the oldest, so that repeated logins cannot grow the table.
     */
    void open(String idHash, long createdAt, long expiresAt, int max, long now);

    /** When the session expires, or empty when there is no such session or it expired by {@code now}. */
    OptionalLong expiry(String idHash, long now);

    /** Ends a session (logout); nothing when there is none. */
    void close(String idHash);
}
