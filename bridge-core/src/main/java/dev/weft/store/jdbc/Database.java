package dev.weft.store.jdbc;

import java.util.concurrent.CompletableFuture;

/**
 * How one database runs the store's units of work: the seam between the store logic, written once
 * in this package, and each database's way of holding connections and committing. SQLite funnels
 * every write through one group-committing thread; PostgreSQL runs each on a pooled connection in
 * a transaction of its own. Either way a {@link #write} is one transaction (all of it or none) and
 * durable when it returns, which is what the store contracts promise.
 */
public interface Database extends AutoCloseable {
    /**
     * Which queue a write waits in where writes queue at all (SQLite's single writer): the trigger
     * path ({@link #URGENT}) goes before log lines ({@link #BULK}). A database without a write queue
     * ignores it.
     */
    enum Lane { URGENT, BULK }

    /** Runs {@code work} in one transaction and returns its result once committed. */
    <T> T write(Lane lane, SqlWork<T> work);

    /**
     * Runs {@code work} in a transaction nobody waits on: it is committed at the latest when the
     * database closes, or lost with a crash; a failure is logged. Completes once committed.
     */
    <T> CompletableFuture<T> writeLater(Lane lane, SqlWork<T> work);

    /** Runs {@code work}, which only reads. */
    <T> T read(SqlWork<T> work);

    /** Runs {@code work}, a long sequential read (an {@code /events} backfill). */
    <T> T scan(SqlWork<T> work);

    /**
     * A FROM item that is a table of one TEXT column, {@code value}: the strings of a JSON array
     * bound as one parameter ({@code ?}). The one piece of the store's SQL the two databases spell
     * differently (SQLite {@code json_each}, PostgreSQL {@code json_array_elements_text}); it lets a
     * list of any length travel in a statement of fixed text.
     */
    String jsonStrings();

    /**
     * Sends {@code payload} ({@link dev.weft.store.StoreSignals}) to the instances listening, as
     * part of the transaction {@code s} is in: delivered once it commits, never if it rolls back.
     * A database one instance has to itself does nothing.
     */
    default void signal(Session s, String payload) throws java.sql.SQLException {
    }

    /** The signals of changes to this database ({@link dev.weft.store.StoreSignals#NONE} when unshared). */
    default dev.weft.store.StoreSignals signals() {
        return dev.weft.store.StoreSignals.NONE;
    }

    /** The schema version the migrations brought the database to. */
    String schemaVersion();

    /** Finishes queued writes and releases every connection. */
    @Override
    void close();
}
