package dev.weft.store;

import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StoreTest {
    @TempDir
    Path dir;

    static Trigger trigger(String rkey, String... workflows) {
        List<Workflow> wfs = new ArrayList<>();
        for (String w : workflows) wfs.add(new Workflow(w, "stub", null, "engine: stub\n"));
        return new Trigger(new PipelineId("knot", rkey), new RepoRef("knot", "did:plc:x", "r"),
                new TriggerKind.Manual(List.of(new TriggerKind.Input("k", "v"))), wfs, Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Test
    @DisplayName("a trigger is written once: the second insert of the same (knot, rkey) writes nothing")
    void exactlyOnce() {
        try (Store s = Store.open(dir.resolve("w.db"))) {
            assertEquals(2, s.insertTrigger(trigger("3k1", "a.yml", "b.yml"), 0).orElseThrow().size());
            assertTrue(s.insertTrigger(trigger("3k1", "a.yml", "b.yml"), 0).isEmpty());
            assertEquals(2, s.openRuns().size());
            assertEquals(trigger("3k1", "a.yml", "b.yml"), s.trigger(new PipelineId("knot", "3k1")).orElseThrow());
        }
    }

    @Test
    @DisplayName("event ids strictly increase and rkeys are unique under concurrent publishers and a stuck clock")
    void monotonicIds() throws Exception {
        try (Store s = Store.open(dir.resolve("w.db"))) {
            List<RunRecord> runs = new ArrayList<>();
            for (int i = 0; i < 8; i++) runs.addAll(s.insertTrigger(trigger("3k" + i, "a.yml"), 0).orElseThrow());
            for (RunRecord r : runs) {
                for (int k = 0; k < 50; k++) s.transition(r.id(), new Status.Running(), 0, 0);
            }
            ConcurrentLinkedQueue<StatusEvent> published = new ConcurrentLinkedQueue<>();
            CountDownLatch go = new CountDownLatch(1);
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        go.await();
                    } catch (InterruptedException e) {
                        return;
                    }
                    for (int k = 0; k < 100; k++) {
                        // A clock stuck at the same instant: ids must still move forward.
                        synchronized (s) {
                            s.nextOutbox().ifPresent(o -> published.add(s.publish(o, 1_000_000_000L)));
                        }
                    }
                }));
            }
            go.countDown();
            for (Thread t : threads) t.join();
            List<StatusEvent> log = s.eventsAfter(0, 10_000);
            assertEquals(published.size(), log.size());
            Set<String> rkeys = new HashSet<>();
            for (int i = 1; i < log.size(); i++) {
                assertTrue(log.get(i).id() > log.get(i - 1).id(), "ids increase");
                assertTrue(log.get(i).rkey().compareTo(log.get(i - 1).rkey()) > 0, "TIDs sort with ids");
            }
            for (StatusEvent e : log) assertTrue(rkeys.add(e.rkey()), "rkey unique: " + e.rkey());
            assertEquals(log.get(log.size() - 1).id(), s.lastEventId());
        }
    }

    @Test
    @DisplayName("publishing from several threads without outside locking never reuses an id")
    void concurrentPublishRaw() throws Exception {
        try (Store s = Store.open(dir.resolve("w.db"))) {
            RunRecord r = s.insertTrigger(trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
            ConcurrentLinkedQueue<Long> ids = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    for (int k = 0; k < 50; k++) {
                        ids.add(s.publish(new OutboxEntry(-1, r.id(), new Status.Running(), 0), 5L).id());
                    }
                }));
            }
            for (Thread t : threads) t.join();
            assertEquals(300, new HashSet<>(ids).size(), "every id distinct");
        }
    }

    @Test
    @DisplayName("the schema is versioned and reopening keeps the data and the last event id")
    void reopen() {
        long last;
        try (Store s = Store.open(dir.resolve("w.db"))) {
            RunRecord r = s.insertTrigger(trigger("3k1", "a.yml"), 0).orElseThrow().get(0);
            last = s.publish(s.nextOutbox().orElseThrow(), 42).id();
            assertTrue(s.schemaVersion() >= 1);
            s.attach(r.id(), "build-7", "https://ci/7");
            s.attribute(r.id(), "uuid", "u-1");
        }
        try (Store s = Store.open(dir.resolve("w.db"))) {
            assertEquals(last, s.lastEventId());
            RunRecord r = s.runByExternalId("stub", "build-7").orElseThrow();
            assertEquals("u-1", s.attribute(r.id(), "uuid").orElseThrow());
            assertEquals(RunState.PENDING, r.state());
            assertEquals(List.of(new Status.Pending()), s.publishedStatuses(r.id()));
        }
    }

    @Test
    @DisplayName("a knot cursor only moves forward")
    void cursors() {
        try (Store s = Store.open(dir.resolve("w.db"))) {
            assertTrue(s.cursor("k").isEmpty());
            s.saveCursor("k", 100);
            s.saveCursor("k", 50);
            assertEquals(100, s.cursor("k").getAsLong());
        }
    }

    @Test
    @DisplayName("registrations persist with their source")
    void repos() {
        try (Store s = Store.open(dir.resolve("w.db"))) {
            RepoRef.RepoKey k = new RepoRef.RepoKey("knot", "did:plc:x", "r");
            assertTrue(s.addRepo(k, "static", Instant.EPOCH));
            assertTrue(!s.addRepo(k, "other", Instant.EPOCH));
            assertEquals("static", s.repos().get(0).source());
            assertTrue(s.removeRepo(k));
            assertTrue(s.repos().isEmpty());
        }
    }

    @Test
    @DisplayName("a database from a newer weft is refused rather than touched")
    void newerSchema() throws Exception {
        Path db = dir.resolve("w.db");
        Store.open(db).close();
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var st = c.createStatement()) {
            st.execute("INSERT INTO schema_version (version) VALUES (999)");
        }
        StoreException e = assertThrows(StoreException.class, () -> Store.open(db));
        assertTrue(e.getMessage().contains("newer"), e.getMessage());
    }
}
