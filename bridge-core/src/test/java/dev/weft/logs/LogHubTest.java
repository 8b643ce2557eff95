package dev.weft.logs;

import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.spi.Step;
import dev.weft.store.RunRecord;
import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogHubTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("a live reader at any cursor sees exactly the stored frames, while the tail grows and wraps")
    void tailMatchesStore() throws Exception {
        try (SqliteStores store = SqliteStores.open(dir.resolve("w.db"))) {
            RunRecord run = store.runs().insertTrigger(new Trigger(new PipelineId("k", "3k1"), new RepoRef("k", "did:plc:x", "r"),
                    new TriggerKind.Manual(List.of()), List.of(new Workflow("a.yml", "stub", null, "")), Instant.now()), 0)
                    .orElseThrow().get(0);
            LogHub hub = new LogHub(store.runs(), store.logs(), Clock.systemUTC());
            RunLogWriter w = hub.writer(run.id(), UnaryOperator.identity());
            LogFeed.WorkflowLog log = hub.open(run.workflow()).orElseThrow();
            Step step = w.startStep("s", "cmd");
            long read = 0;
            List<LogFeed.EncodedLine> seen = new ArrayList<>();
            for (int i = 0; i < 9000; i++) {
                step.out("line " + i);
                if (i % 7 == 0) {
                    List<LogFeed.EncodedLine> got = log.after(read, 50);
                    seen.addAll(got);
                    if (!got.isEmpty()) read = got.get(got.size() - 1).seq();
                }
            }
            step.end();
            List<LogFeed.EncodedLine> old = log.after(1, 10);
            assertEquals(2, old.get(0).seq(), "a cursor older than the tail reads the store");
            for (int i = 0; i < old.size(); i++) {
                assertArrayEquals(store.logs().after(run.id(), 1, 10).get(i).frame(), old.get(i).frame());
            }
            assertFalse(log.complete());
            w.complete(Instant.now());
            assertTrue(log.complete());
            while (true) {
                List<LogFeed.EncodedLine> got = log.after(read, 500);
                if (got.isEmpty()) break;
                seen.addAll(got);
                read = got.get(got.size() - 1).seq();
            }
            List<dev.weft.store.StoredFrame> stored = store.logs().after(run.id(), 0, 100_000);
            assertEquals(9002, stored.size());
            assertEquals(stored.size(), seen.size());
            for (int i = 0; i < stored.size(); i++) {
                assertEquals(stored.get(i).position(), seen.get(i).seq());
                assertArrayEquals(stored.get(i).frame(), seen.get(i).frame());
            }
            assertThrows(IllegalStateException.class, () -> step.out("after end"));
        }
    }

    @Test
    @DisplayName("a finished run's tail stays in memory while a viewer is still reading, and goes when it leaves")
    void finishedTailKeptForViewers() throws Exception {
        try (SqliteStores store = SqliteStores.open(dir.resolve("w.db"))) {
            RunRecord run = store.runs().insertTrigger(new Trigger(new PipelineId("k", "3k2"), new RepoRef("k", "did:plc:x", "r"),
                    new TriggerKind.Manual(List.of()), List.of(new Workflow("a.yml", "stub", null, "")), Instant.now()), 0)
                    .orElseThrow().get(0);
            LogHub hub = new LogHub(store.runs(), store.logs(), Clock.systemUTC());
            RunLogWriter w = hub.writer(run.id(), UnaryOperator.identity());
            LogFeed.WorkflowLog log = hub.open(run.workflow()).orElseThrow();
            AutoCloseable viewer = log.subscribe(() -> { });
            Step step = w.startStep("s", "");
            for (int i = 0; i < 100; i++) step.out("line " + i);
            w.complete(Instant.now());
            // Prove where reads come from: with the rows gone from the store, only the tail has them.
            try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("w.db"));
                 var st = c.createStatement()) {
                st.execute("DELETE FROM log_lines WHERE run_id = " + run.id());
            }
            assertTrue(log.complete());
            assertEquals(102, log.after(0, 1000).size(), "served from the kept tail");
            viewer.close();
            assertEquals(0, log.after(0, 1000).size(), "after the last viewer left, reads go to the store");
        }
    }
}
