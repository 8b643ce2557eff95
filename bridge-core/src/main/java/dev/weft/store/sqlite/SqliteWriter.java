package dev.weft.store.sqlite;

import dev.weft.store.StoreException;
import dev.weft.store.jdbc.Database.Lane;
import dev.weft.store.jdbc.Session;
import dev.weft.store.jdbc.SqlWork;
import dev.weft.store.jdbc.Uninterruptible;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * SQLite's one writer, as a design rather than a lock: every write is a job on this thread, which
 * commits whatever is waiting in one transaction (group commit) and then completes the jobs'
 * futures, so a write returns only once it is durable. Each job runs inside a savepoint, so a
 * failing job is rolled back alone and the others of its batch still commit.
 *
 * <p>Two lanes keep the trigger path fast: {@link Lane#URGENT} jobs (intent rows, state changes,
 * checkpoints) always go first, and a batch takes at most {@link #BULK_PER_BATCH} {@link Lane#BULK}
 * jobs (log lines), so an urgent write waits at most one short bulk batch, however busy the runs.
 */
final class SqliteWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SqliteWriter.class);
    static final int URGENT_PER_BATCH = 512;
    static final int BULK_PER_BATCH = 128;

    private final Session session;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition waiting = lock.newCondition();
    private final ArrayDeque<Pending<?>> urgent = new ArrayDeque<>();
    private final ArrayDeque<Pending<?>> bulk = new ArrayDeque<>();
    private final Thread thread;
    private boolean closed;

    private static final class Pending<T> {
        final SqlWork<T> work;
        final CompletableFuture<T> done = new CompletableFuture<>();
        T result;

        Pending(SqlWork<T> work) {
            this.work = work;
        }

        void run(Session s) throws SQLException {
            result = work.run(s);
        }

        void complete() {
            done.complete(result);
        }
    }

    SqliteWriter(Session session, String name) {
        this.session = session;
        this.thread = Thread.ofPlatform().name(name).daemon(true).start(this::loop);
    }

    /** Runs {@code work} in the next transaction and returns its result once committed. */
    <T> T write(Lane lane, SqlWork<T> work) {
        return Uninterruptible.await(submit(lane, work));
    }

    /**
     * Queues {@code work} for the next transaction without waiting: for writes whose durability
     * nobody waits on (they are committed before {@link #close} returns, or lost with a crash).
     */
    <T> CompletableFuture<T> submit(Lane lane, SqlWork<T> work) {
        Pending<T> p = new Pending<>(work);
        lock.lock();
        try {
            if (closed) throw new StoreException("database is closed", null);
            (lane == Lane.URGENT ? urgent : bulk).add(p);
            waiting.signal();
        } finally {
            lock.unlock();
        }
        return p.done;
    }

    private void loop() {
        List<Pending<?>> batch = new ArrayList<>();
        while (true) {
            lock.lock();
            try {
                while (urgent.isEmpty() && bulk.isEmpty() && !closed) waiting.awaitUninterruptibly();
                if (urgent.isEmpty() && bulk.isEmpty()) return; // closed and drained
                for (int i = 0; i < URGENT_PER_BATCH && !urgent.isEmpty(); i++) batch.add(urgent.poll());
                for (int i = 0; i < BULK_PER_BATCH && !bulk.isEmpty(); i++) batch.add(bulk.poll());
            } finally {
                lock.unlock();
            }
            commit(batch);
            batch.clear();
        }
    }

    private void commit(List<Pending<?>> batch) {
        List<Pending<?>> ok = new ArrayList<>(batch.size());
        try {
            session.connection().setAutoCommit(false);
            try {
                for (Pending<?> p : batch) {
                    session.cached("SAVEPOINT job").execute();
                    try {
                        p.run(session);
                        session.cached("RELEASE job").execute();
                        ok.add(p);
                    } catch (SQLException | RuntimeException e) {
                        session.cached("ROLLBACK TO job").execute();
                        session.cached("RELEASE job").execute();
                        p.done.completeExceptionally(e instanceof SQLException
                                ? new StoreException("database: " + e.getMessage(), e) : e);
                    }
                }
                session.connection().commit();
            } catch (SQLException e) {
                session.connection().rollback();
                throw e;
            } finally {
                session.connection().setAutoCommit(true);
            }
            for (Pending<?> p : ok) p.complete();
        } catch (SQLException | RuntimeException e) {
            log.error("database commit of {} write(s) failed: {}", batch.size(), e.toString());
            StoreException failure = new StoreException("database commit failed: " + e.getMessage(), e);
            for (Pending<?> p : ok) p.done.completeExceptionally(failure);
        }
    }

    /** Writes waiting for the next transaction (a gauge: it must not keep growing). */
    int queued() {
        lock.lock();
        try {
            return urgent.size() + bulk.size();
        } finally {
            lock.unlock();
        }
    }

    /** Commits what is queued, refuses new writes, and ends the thread (bounded). */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            waiting.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) log.warn("database writer did not finish within 10s");
    }
}
