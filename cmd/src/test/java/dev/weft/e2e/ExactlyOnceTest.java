package dev.weft.e2e;

import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.store.RunRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every trigger is spawned exactly once, whatever reconnects, replays and restarts happen. */
class ExactlyOnceTest {
    static final String QUICK = "engine: stub\nstub:\n  steps:\n    - name: s\n      output: [\"once\"]\n";

    @Test
    @DisplayName("a dropped knot connection replays recent events on reconnect; none is spawned twice")
    void replayAfterDrop() throws Exception {
        try (WeftFixture f = new WeftFixture()) {
            List<String> rkeys = new ArrayList<>();
            for (int i = 0; i < 5; i++) rkeys.add(f.push("ci.yml", QUICK));
            for (String r : rkeys) assertEquals(RunState.SUCCESS, f.awaitTerminal(r, "ci.yml").state());
            long connections = f.knot.connectionsAccepted();

            f.knot.dropConnections();
            await().atMost(Duration.ofSeconds(10)).until(() -> f.knot.connectionsAccepted() > connections
                    && f.weft.knots().isConnected(f.knot.host()));
            String cursor = f.knot.requestedCursors().get(f.knot.requestedCursors().size() - 1);
            assertTrue(cursor != null && !cursor.isEmpty() && !cursor.equals("0"),
                    "the reconnect rewinds with a cursor: " + f.knot.requestedCursors());
            // One more trigger after the reconnect proves the stream is live again and ordered.
            String after = f.push("ci.yml", QUICK);
            assertEquals(RunState.SUCCESS, f.awaitTerminal(after, "ci.yml").state());

            for (String r : rkeys) assertSpawnedOnce(f, r);
            assertSpawnedOnce(f, after);
        }
    }

    @Test
    @DisplayName("weft stopped mid-run: on restart every run ends terminal and no trigger is spawned twice")
    void restartMidRun() throws Exception {
        try (WeftFixture f = new WeftFixture(Map.of("WEFT_FIRST_STATUS_DELAY", "0s"))) {
            String hang = f.push("hang.yml", "engine: stub\nstub:\n  steps:\n    - name: wait\n      output: [\"waiting\"]\n  hang: true\n");
            String done = f.push("done.yml", QUICK);
            await().atMost(Duration.ofSeconds(10)).until(() -> f.published(hang, "hang.yml").contains(RunState.RUNNING));
            f.awaitTerminal(done, "done.yml");

            f.restart();

            Status end = f.awaitTerminal(hang, "hang.yml");
            assertEquals(RunState.FAILED, end.state());
            assertTrue(end.error().orElse("").contains("weft restarted during the run"), end.toString());
            List<String> frames = f.storedFrames(hang, "hang.yml");
            assertTrue(frames.get(frames.size() - 1).contains("\"step_status\":\"end\""),
                    "the step left open by the restart is closed: " + frames);
            // The knot replays both triggers to the new consumer (rewind): neither runs again.
            String after = f.push("after.yml", QUICK);
            f.awaitTerminal(after, "after.yml");
            assertSpawnedOnce(f, done);
            assertEquals(1, f.weft.store().runs().runs(f.workflow(hang, "hang.yml").pipeline()).size());
        }
    }

    private static void assertSpawnedOnce(WeftFixture f, String rkey) {
        RunRecord r = f.weft.store().runs().run(f.workflow(rkey, "ci.yml")).or(() -> f.weft.store().runs().run(f.workflow(rkey, "done.yml")))
                .or(() -> f.weft.store().runs().run(f.workflow(rkey, "after.yml"))).orElseThrow();
        List<RunState> states = f.weft.store().statuses().publishedStatuses(r.id()).stream().map(Status::state).toList();
        assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), states, "statuses of " + rkey);
        long starts = f.storedFrames(rkey, r.workflow().name()).stream().filter(s -> s.contains("\"step_status\":\"start\"")).count();
        assertEquals(1, starts, "one step started: spawned once");
    }
}
