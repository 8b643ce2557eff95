package dev.weft.store.sqlite;

import dev.weft.store.jdbc.Database.Lane;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SqliteWriterTest {
    @TempDir
    Path dir;

    /** Holds the writer thread inside its transaction until the test lets go. */
    private static void hold(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    @DisplayName("an urgent write waits for at most one bulk batch, however many bulk writes are queued")
    void urgentGoesFirst() throws Exception {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("w.db"))) {
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger order = new AtomicInteger();
            // Hold the writer inside a transaction so that everything below queues up behind it.
            Thread blocker = Thread.ofVirtual().start(() -> db.write(Lane.URGENT, s -> {
                hold(release);
                return null;
            }));
            await().until(() -> db.queuedWrites() == 0 && blocker.isAlive());
            int bulk = 1000;
            List<Thread> writers = new ArrayList<>();
            for (int i = 0; i < bulk; i++) {
                writers.add(Thread.ofVirtual().start(() -> db.write(Lane.BULK, s -> order.incrementAndGet())));
            }
            await().until(() -> db.queuedWrites() == bulk);
            int[] urgentAt = new int[1];
            Thread urgent = Thread.ofVirtual().start(() -> urgentAt[0] = db.write(Lane.URGENT, s -> order.incrementAndGet()));
            await().until(() -> db.queuedWrites() == bulk + 1);
            release.countDown();
            urgent.join();
            for (Thread t : writers) t.join();
            blocker.join();
            assertEquals(bulk + 1, order.get());
            assertEquals(1, urgentAt[0], "the urgent write runs first in the next batch");
        }
    }

    @Test
    @DisplayName("writes queued together commit together, and each returns only once committed")
    void groupCommit() throws Exception {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("w.db"))) {
            db.write(Lane.URGENT, s -> {
                s.execute("CREATE TABLE t (v INTEGER)");
                return null;
            });
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                int v = i;
                threads.add(Thread.ofVirtual().start(() -> {
                    db.write(Lane.BULK, s -> s.update("INSERT INTO t (v) VALUES (?)", v));
                    // Read-your-writes from another connection: the commit happened before return.
                    long seen = db.read(s -> s.queryLong("SELECT COUNT(*) FROM t WHERE v=?", v));
                    if (seen != 1) throw new AssertionError("write " + v + " not visible after return");
                }));
            }
            for (Thread t : threads) t.join();
            assertEquals(200L, (long) db.read(s -> s.queryLong("SELECT COUNT(*) FROM t")));
        }
    }

    @Test
    @DisplayName("an interrupted writer still learns whether its write committed, and keeps its interrupt")
    void interruptDuringWrite() throws Exception {
        try (SqliteDatabase db = SqliteDatabase.open(dir.resolve("w.db"))) {
            CountDownLatch inside = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            boolean[] interrupted = new boolean[1];
            Thread t = Thread.ofVirtual().start(() -> {
                db.write(Lane.URGENT, s -> {
                    inside.countDown();
                    hold(release);
                    s.execute("CREATE TABLE done (v INTEGER)");
                    return null;
                });
                interrupted[0] = Thread.currentThread().isInterrupted();
            });
            inside.await();
            t.interrupt();
            release.countDown();
            t.join();
            assertTrue(interrupted[0], "the interrupt is restored after the write returned");
            assertEquals(0L, (long) db.read(s -> s.queryLong("SELECT COUNT(*) FROM done")));
        }
    }
}
