package dev.weft.store.postgres;

import dev.weft.store.StoreException;
import dev.weft.store.jdbc.Session;
import dev.weft.store.jdbc.SqlWork;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Group commit for deferred writes ({@code Database.writeLater}): a caller with a stream of writes
 * (the knot consumer's triggers) queues them, and one thread, {@code weft-db-group}, commits what
 * is queued in one transaction, each write in a savepoint of its own so that one that fails is
 * rolled back alone. Futures complete after the commit, in queue order; when the commit itself
 * fails, every write of the batch fails. Without this each trigger cost a commit round trip of its
 * own, which held one instance's intake near 150 triggers/s.
 *
 * <p>The database owns it: {@link #close} commits what is queued, then ends the thread.
 */
final class GroupCommit implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);
    /** Writes per transaction at most, so one batch cannot hold a connection for long. */
    static final int MAX_BATCH = 256;

    /** Throws when writes are refused now (the fence of a lapsed instance). */
    @FunctionalInterface
    interface Fence {
        void check() throws SQLException;
    }

    private record Job<T>(SqlWork<T> work, CompletableFuture<T> done) {
        void succeed(Object result) {
            @SuppressWarnings("unchecked") T t = (T) result;
            done.complete(t);
        }
    }

    private final DataSource pool;
    private final Fence fence;
    private final LinkedBlockingQueue<Job<?>> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closing;

    GroupCommit(DataSource pool, Fence fence) {
        this.pool = pool;
        this.fence = fence;
        this.thread = Thread.ofPlatform().name("weft-db-group").daemon(true).start(this::loop);
    }

    /** Queues {@code work}; the future completes once it is committed, or failed. */
    <T> CompletableFuture<T> submit(SqlWork<T> work) {
        CompletableFuture<T> done = new CompletableFuture<>();
        if (closing) {
            done.completeExceptionally(new StoreException("database is closed", null));
            return done;
        }
        queue.add(new Job<>(work, done));
        return done;
    }

    private void loop() {
        List<Job<?>> batch = new ArrayList<>(MAX_BATCH);
        while (true) {
            try {
                Job<?> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closing && queue.isEmpty()) return;
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, MAX_BATCH - 1);
                commit(batch);
            } catch (InterruptedException e) {
                // Only close interrupts, and only after its wait: fail what is left rather than hang.
                for (Job<?> j; (j = queue.poll()) != null; ) j.done().completeExceptionally(new StoreException("database is closed", null));
                return;
            } catch (RuntimeException e) {
                log.error("group commit: {}", e.toString(), e);
            } finally {
                batch.clear();
            }
        }
    }

    /** One transaction for the batch; completes every job's future. */
    private void commit(List<Job<?>> batch) {
        Object[] results = new Object[batch.size()];
        Exception[] failures = new Exception[batch.size()];
        try (Session s = new Session(pool.getConnection())) {
            Connection c = s.connection();
            c.setAutoCommit(false);
            try {
                fence.check();
                for (int i = 0; i < batch.size(); i++) {
                    Savepoint job = c.setSavepoint();
                    try {
                        results[i] = batch.get(i).work().run(s);
                        c.releaseSavepoint(job);
                    } catch (SQLException | RuntimeException e) {
                        failures[i] = e;
                        c.rollback(job);
                    }
                }
                // Again at the end: the process may have stalled in the middle of the batch.
                fence.check();
                c.commit();
            } catch (SQLException | RuntimeException e) {
                try {
                    c.rollback();
                } catch (SQLException r) {
                    e.addSuppressed(r);
                }
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            StoreException failed = new StoreException("database: " + e.getMessage(), e);
            for (Job<?> j : batch) j.done().completeExceptionally(failed);
            return;
        }
        for (int i = 0; i < batch.size(); i++) {
            Job<?> j = batch.get(i);
            if (failures[i] == null) j.succeed(results[i]);
            else j.done().completeExceptionally(failures[i] instanceof StoreException se ? se
                    : new StoreException("database: " + failures[i].getMessage(), failures[i]));
        }
    }

    /** Commits what is queued (waiting at most {@code wait}), then ends the thread. */
    void close(Duration wait) {
        closing = true;
        try {
            thread.join(wait);
            if (thread.isAlive()) {
                log.warn("deferred database writes did not finish within {} s", wait.toSeconds());
                thread.interrupt();
                thread.join(Duration.ofSeconds(2));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // Queued after the thread's last look (a submit racing close): refused, never left waiting.
        for (Job<?> j; (j = queue.poll()) != null; ) j.done().completeExceptionally(new StoreException("database is closed", null));
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(10));
    }
}
