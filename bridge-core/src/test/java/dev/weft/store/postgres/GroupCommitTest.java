package dev.weft.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.weft.store.StoreException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Deferred writes on PostgreSQL commit together: one transaction per batch, a savepoint per write,
 * futures after the commit, in order; a write that fails fails alone; close commits what is queued.
 */
class GroupCommitTest {
    HikariDataSource pool;
    final AtomicBoolean fenced = new AtomicBoolean();
    GroupCommit group;

    @BeforeEach
    void open() throws SQLException {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(EmbeddedPostgresFixture.freshDatabase());
        c.setUsername(EmbeddedPostgresFixture.USER);
        c.setMaximumPoolSize(2);
        pool = new HikariDataSource(c);
        try (var conn = pool.getConnection(); var s = conn.createStatement()) {
            s.execute("CREATE TABLE t (k INT PRIMARY KEY, txid BIGINT NOT NULL)");
        }
        group = new GroupCommit(pool, () -> {
            if (fenced.get()) throw new SQLException("write refused: fenced");
        });
    }

    @AfterEach
    void close() {
        group.close();
        pool.close();
    }

    private CompletableFuture<Long> insert(int k) {
        return group.submit(s -> {
            s.update("INSERT INTO t (k, txid) VALUES (?, txid_current())", k);
            return s.queryLong("SELECT txid_current()");
        });
    }

    private long count() throws SQLException {
        try (var conn = pool.getConnection(); var s = conn.createStatement(); var rs = s.executeQuery("SELECT COUNT(*) FROM t")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    @DisplayName("a burst is committed in few transactions, every write durable when its future completes")
    void burstShareTransactions() throws Exception {
        List<CompletableFuture<Long>> all = new ArrayList<>();
        for (int k = 0; k < 1000; k++) all.add(insert(k));
        CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
        assertEquals(1000, count());
        long transactions = all.stream().map(CompletableFuture::join).distinct().count();
        assertTrue(transactions < 1000 / 2, transactions + " transactions for 1000 queued writes");
        assertTrue(transactions >= 1000 / GroupCommit.MAX_BATCH, "at most MAX_BATCH writes per transaction");
    }

    @Test
    @DisplayName("a write that fails is rolled back alone; the others of its batch commit")
    void failureIsolated() throws Exception {
        insert(7).join();
        CompletableFuture<Long> before = insert(1);
        CompletableFuture<Long> clash = insert(7);
        CompletableFuture<Long> after = insert(2);
        CompletionException e = assertThrows(CompletionException.class, clash::join);
        assertInstanceOf(StoreException.class, e.getCause());
        before.join();
        after.join();
        assertEquals(3, count());
    }

    @Test
    @DisplayName("a fenced instance's batch fails whole: nothing written")
    void fenceFailsBatch() throws Exception {
        fenced.set(true);
        CompletionException e = assertThrows(CompletionException.class, () -> insert(1).join());
        assertTrue(e.getCause().getMessage().contains("fenced"), e.getCause().getMessage());
        assertEquals(0, count());
    }

    @Test
    @DisplayName("close commits what is queued, then refuses new writes")
    void closeCommitsQueued() throws Exception {
        List<CompletableFuture<Long>> all = new ArrayList<>();
        for (int k = 0; k < 300; k++) all.add(insert(k));
        group.close(Duration.ofSeconds(10));
        for (CompletableFuture<Long> f : all) f.join();
        assertEquals(300, count());
        CompletionException e = assertThrows(CompletionException.class, () -> insert(999).join());
        assertTrue(e.getCause().getMessage().contains("closed"));
    }
}
