package dev.weft.events;

import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.store.RunRecord;
import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.weft.wire.StatusFrames;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EventLogTest {
    @TempDir
    Path dir;

    @Test
    @DisplayName("the in-memory tail answers exactly what the store would, before and after a restart")
    void ringMatchesStore() {
        Path db = dir.resolve("w.db");
        try (SqliteStores store = SqliteStores.open(db)) {
            publish(store, new EventLog(store.statuses(), Clock.systemUTC()), "3ka", 40);
        }
        try (SqliteStores store = SqliteStores.open(db)) {
            EventLog log = new EventLog(store.statuses(), Clock.systemUTC());
            publish(store, log, "3kb", 30);
            List<StatusEvent> all = store.statuses().eventsAfter(Long.MIN_VALUE, 1000);
            assertEquals(70, all.size());
            for (long cursor : new long[]{-1, 0, all.get(10).id(), all.get(39).id(), all.get(40).id(), all.get(69).id()}) {
                assertEquals(store.statuses().eventsAfter(cursor, 1000), log.after(cursor, 1000), "after " + cursor);
                assertEquals(store.statuses().eventsAfter(cursor, 7), log.after(cursor, 7), "after " + cursor + " limited");
            }
        }
    }

    @Test
    @DisplayName("stored frames are exactly the encoded events, from the ring, the store, and rows from before frames were stored")
    void framesMatchEncoding() throws Exception {
        Path db = dir.resolve("w.db");
        try (SqliteStores store = SqliteStores.open(db)) {
            publish(store, new EventLog(store.statuses(), Clock.systemUTC()), "3ka", 20);
        }
        try (var c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + db); var st = c.createStatement()) {
            // Only status rows: rows from before frames were stored (schema 3) were all statuses, and
            // which rowids hold pipeline records depends on publishing order, which made this flaky.
            st.execute("UPDATE status_events SET frame = NULL WHERE rowid % 3 = 0 AND nsid = 'sh.tangled.pipeline.status'");
        }
        try (SqliteStores store = SqliteStores.open(db)) {
            EventLog log = new EventLog(store.statuses(), Clock.systemUTC());
            publish(store, log, "3kb", 10);
            List<StatusEvent> all = store.statuses().eventsAfter(Long.MIN_VALUE, 1000);
            for (long cursor : new long[]{-1, all.get(5).id(), all.get(19).id(), all.get(25).id()}) {
                // Pipeline records are frames but not statuses: compare the status frames.
                List<EventFeed.EncodedEvent> frames = log.framesAfter(cursor, 1000).stream()
                        .filter(f -> new String(f.frame(), StandardCharsets.UTF_8).contains("\"nsid\":\"sh.tangled.pipeline.status\""))
                        .toList();
                List<StatusEvent> events = store.statuses().eventsAfter(cursor, 1000);
                assertEquals(events.size(), frames.size(), "after " + cursor);
                for (int i = 0; i < events.size(); i++) {
                    assertEquals(events.get(i).id(), frames.get(i).id());
                    assertEquals(new String(StatusFrames.frame(events.get(i)), StandardCharsets.UTF_8),
                            new String(frames.get(i).frame(), StandardCharsets.UTF_8));
                }
            }
        }
    }

    private static void publish(SqliteStores store, EventLog log, String rkey, int n) {
        Trigger t = new Trigger(new PipelineId("k", rkey), new RepoRef("k", "did:plc:x", "r"),
                new TriggerKind.Manual(List.of()), List.of(new Workflow("a.yml", "stub", null, "")), Instant.now());
        RunRecord r = store.runs().insertTrigger(t, 0).orElseThrow().get(0);
        for (int i = 1; i < n; i++) store.runs().transition(r.id(), new Status.Running(), 0, 0);
        // n statuses, after the pipeline record queued with the trigger
        for (int i = 0; i <= n; i++) log.append(store.statuses().nextDue().orElseThrow());
    }
}
