package dev.weft.logs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.spi.LineAssembler;
import dev.weft.spi.RunLog;
import dev.weft.spi.Step;
import dev.weft.store.ParkedLogOp;
import dev.weft.store.RunRecord;
import dev.weft.store.StoredFrame;
import dev.weft.store.sqlite.SqliteStores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The log inbox without instances around it: what one view parks (as on an instance that does
 * not drive the run) goes into the driving writer's log in order and in its steps, and what no
 * longer fits is dropped, never written twice.
 */
class LogInboxTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private SqliteStores store;
    private LogHub hub;
    private long runId;

    @BeforeEach
    void open() {
        store = SqliteStores.open(dir.resolve("w.db"));
        RunRecord run = store.runs().insertTrigger(new Trigger(new PipelineId("k", "3k1"), new RepoRef("k", "did:plc:x", "r"),
                new TriggerKind.Manual(List.of()), List.of(new Workflow("a.yml", "stub", null, "")), Instant.now()), 0)
                .orElseThrow().get(0);
        runId = run.id();
        hub = new LogHub(store.runs(), store.logs(), Clock.systemUTC());
    }

    @AfterEach
    void close() {
        store.close();
    }

    /** (step id, kind, content) of each stored frame, in order. */
    private List<String> stored() throws Exception {
        List<String> out = new ArrayList<>();
        for (StoredFrame f : store.logs().after(runId, 0, 100_000)) {
            JsonNode n = JSON.readTree(f.frame());
            String what = n.path("kind").asText().equals("control") ? n.path("step_status").asText() : "data";
            out.add(n.path("step_id").asInt() + " " + what + " " + n.path("content").asText());
        }
        return out;
    }

    @Test
    @DisplayName("parked starts, lines and ends go into the driving writer's log in order and in their steps, masked")
    void parkedWritesLandInTheirSteps() throws Exception {
        RunLogWriter driver = hub.writer(runId, UnaryOperator.identity());
        Step build = driver.startStep("build", "make");
        build.out("d1");
        RunLog elsewhere = hub.inbox().parked(runId, s -> s.replace("hunter2", "***"));
        assertEquals(List.of("build"), elsewhere.steps().stream().map(Step::name).toList());
        Step hook = elsewhere.startStep("hook", "notify");
        assertEquals(-1, hook.id(), "its number is the driving instance's to give");
        hook.out("one hunter2");
        elsewhere.openStep("build").orElseThrow().err("into build");
        assertEquals(List.of("build", "hook"), elsewhere.steps().stream().map(Step::name).toList(), "stored, then parked");
        build.out("d2");

        assertEquals(3, hub.inbox().apply(runId, driver));
        // Lines parked for the step after its start was written find it (through the stored mapping).
        hook.out("two");
        hook.end();
        assertThrows(IllegalStateException.class, () -> hook.out("after end"));
        assertEquals(2, hub.inbox().apply(runId, driver));
        assertEquals(0, hub.inbox().apply(runId, driver), "nothing is written twice");
        build.out("d3");

        assertEquals(List.of("0 start build", "0 data d1", "0 data d2", "1 start hook", "1 data one ***",
                "0 data into build", "1 data two", "1 end hook", "0 data d3"), stored());
        List<Step> steps = elsewhere.steps();
        assertEquals(List.of(0, 1), steps.stream().map(Step::id).toList());
        assertTrue(steps.get(1).ended() && !steps.get(0).ended());
        assertEquals(List.of(), store.logs().runsWithParkedOps(10));
    }

    @Test
    @DisplayName("a parked write that no longer fits is dropped; what is left when the log completes is dropped by the sweep")
    void misfitsAndLeftoversAreDropped() throws Exception {
        RunLogWriter driver = hub.writer(runId, UnaryOperator.identity());
        Step build = driver.startStep("build", "make");
        RunLog elsewhere = hub.inbox().parked(runId, UnaryOperator.identity());
        Step seen = elsewhere.openStep("build").orElseThrow();
        build.end();
        seen.out("too late"); // its end was not known when the view looked
        store.logs().park(new ParkedLogOp.Line(0, runId, new ParkedLogOp.StepRef.Parked(999_999), false, "nowhere", 1), 10, 1000);
        assertEquals(0, hub.inbox().apply(runId, driver));
        assertEquals(List.of(), store.logs().runsWithParkedOps(10), "both dropped");
        assertEquals(List.of("0 start build", "0 end build"), stored());

        // The log completes with a parked write left: a sweep by any instance drops it.
        driver.complete(Instant.now());
        elsewhere.startStep("late", "");
        hub.inbox().sweep(id -> Optional.of(driver));
        assertEquals(0, hub.inbox().apply(runId, driver), "a complete log takes nothing");
        assertEquals(List.of(), store.logs().runsWithParkedOps(10));
        assertEquals(List.of("0 start build", "0 end build"), stored());
    }

    @Test
    @DisplayName("a long line is parked in pieces, and a run's parked bytes are bounded: a piece beyond is refused")
    void bounded() throws Exception {
        RunLogWriter driver = hub.writer(runId, UnaryOperator.identity());
        RunLog elsewhere = hub.inbox().parked(runId, UnaryOperator.identity());
        Step step = elsewhere.startStep("s", "");
        int fit = (int) (LogInbox.MAX_BYTES / LineAssembler.MAX_LINE) - 1; // beside the step's name
        step.out("x".repeat(LineAssembler.MAX_LINE * (fit + 2)));
        assertEquals(1 + fit, store.logs().parked(runId, 0, 100_000).size(), "the start and the pieces that fit");
        // Bounded by bytes: a short line still fits, and the driver's writing frees the room.
        step.out("short");
        assertEquals(1 + fit + 1, hub.inbox().apply(runId, driver));
        List<String> lines = stored();
        assertEquals(1 + fit + 1, lines.size());
        assertTrue(lines.subList(1, 1 + fit).stream().allMatch(l -> l.equals("0 data " + "x".repeat(LineAssembler.MAX_LINE))));
        assertEquals("0 data short", lines.get(lines.size() - 1));
        step.out("y".repeat(LineAssembler.MAX_LINE));
        assertEquals(1, hub.inbox().apply(runId, driver));
    }
}
