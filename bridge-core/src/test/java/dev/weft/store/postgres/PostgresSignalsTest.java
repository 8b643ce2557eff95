package dev.weft.store.postgres;

import dev.weft.model.Status;
import dev.weft.store.OutboxEntry;
import dev.weft.store.RunRecord;
import dev.weft.store.StatusStore;
import dev.weft.store.StoreContract;
import dev.weft.store.StoreSignals;
import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The PostgreSQL store's signals: a change committed through one store (one instance) is heard by
 * another store on the same database, with what changed; foreign payloads on the channel are
 * ignored; a dropped listening connection is replaced and reported as {@code missed}; closing the
 * store ends the listening thread.
 */
class PostgresSignalsTest {
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private final BlockingQueue<String> heard = new LinkedBlockingQueue<>();

    @TempDir
    Path dir;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    private PostgresStores open(String url) {
        PostgresStores s = PostgresStores.open(url, EmbeddedPostgresFixture.USER, null);
        closeLater.add(s);
        return s;
    }

    private final StoreSignals.Listener recorder = new StoreSignals.Listener() {
        @Override
        public void eventsAppended() {
            heard.add("events");
        }

        @Override
        public void outboxQueued() {
            heard.add("outbox");
        }

        @Override
        public void logAppended(long runId) {
            heard.add("log " + runId);
        }

        @Override
        public void missed() {
            heard.add("missed");
        }
    };

    /** Waits until no signal came for a while (stragglers of a warm-up), then forgets what came. */
    private void quiet() throws InterruptedException {
        while (heard.poll(300, TimeUnit.MILLISECONDS) != null) {
            // drain
        }
    }

    private String next() throws InterruptedException {
        return heard.poll(10, TimeUnit.SECONDS);
    }

    @Test
    @DisplayName("what one store commits, another on the same database hears: queued, published, log lines, log complete")
    void changesAreHeardElsewhere() throws Exception {
        String url = EmbeddedPostgresFixture.freshDatabase();
        PostgresStores listening = open(url);
        PostgresStores writing = open(url);
        assertTrue(listening.signals().live());
        listening.signals().listen(recorder);
        // The LISTEN is in place once a signal comes through: send until one does.
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            writing.runs().insertTrigger(StoreContract.trigger("3kwarm" + heard.size() + System.nanoTime(), "a.yml"), 0);
            return heard.poll(200, TimeUnit.MILLISECONDS) != null;
        });
        quiet();

        RunRecord r = writing.runs().insertTrigger(StoreContract.trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
        assertEquals("outbox", next(), "a stored trigger queued its pipeline record and pending");
        assertTrue(writing.runs().transition(r.id(), new Status.Running(), 0, 1));
        assertEquals("outbox", next());
        OutboxEntry o = writing.statuses().nextDue().orElseThrow();
        writing.statuses().publishAll(List.of(new StatusStore.Publication(o, 1, "3kkey1", Instant.EPOCH, "f".getBytes())));
        assertEquals("events", next());
        writing.logs().append(r.id(), 1, "line".getBytes());
        assertEquals("log " + r.id(), next());
        writing.logs().markComplete(r.id());
        assertEquals("log " + r.id(), next());
        assertNull(heard.poll(300, TimeUnit.MILLISECONDS), "one signal per change: " + heard);
    }

    @Test
    @DisplayName("foreign payloads on the channel are ignored; a dropped listening connection is replaced and reported as missed")
    void foreignPayloadsAndReconnect() throws Exception {
        String url = EmbeddedPostgresFixture.freshDatabase();
        PostgresStores listening = open(url);
        listening.signals().listen(recorder);
        try (Connection c = DriverManager.getConnection(url, EmbeddedPostgresFixture.USER, "");
             Statement s = c.createStatement()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                s.execute("SELECT pg_notify('" + PostgresSignals.CHANNEL + "', 'events')");
                return heard.poll(200, TimeUnit.MILLISECONDS) != null;
            });
            quiet();
            for (String junk : List.of("hello", "log:", "log:12x", "log:" + "9".repeat(70), "x".repeat(200), "")) {
                s.execute("SELECT pg_notify('" + PostgresSignals.CHANNEL + "', '" + junk + "')");
            }
            s.execute("SELECT pg_notify('" + PostgresSignals.CHANNEL + "', 'log:42')");
            assertEquals("log 42", next(), "junk is skipped, and the thread goes on");

            // The server drops the listening session (a restart, a network cut): a new one is made.
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'weft-listen'");
            assertEquals("missed", next());
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                s.execute("SELECT pg_notify('" + PostgresSignals.CHANNEL + "', 'outbox')");
                return "outbox".equals(heard.poll(200, TimeUnit.MILLISECONDS));
            });
        }
    }

    @Test
    @DisplayName("closing the store ends its listening thread; SQLite has no signals")
    void closeEndsTheThread() throws Exception {
        PostgresStores s = PostgresStores.open(EmbeddedPostgresFixture.freshDatabase(), EmbeddedPostgresFixture.USER, null);
        s.signals().listen(recorder);
        await().atMost(Duration.ofSeconds(5)).until(() -> listeningThreads() > 0);
        s.close();
        assertEquals(0, listeningThreads(), "weft-db-listen ended with the store");
        try (SqliteStores lite = SqliteStores.open(dir.resolve("weft.db"))) {
            assertFalse(lite.signals().live());
        }
    }

    private static long listeningThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("weft-db-listen") && t.isAlive()).count();
    }
}
