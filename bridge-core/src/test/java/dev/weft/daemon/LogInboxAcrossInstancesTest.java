package dev.weft.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.config.WeftConfig;
import dev.weft.knot.KnotEventServer;
import dev.weft.lease.InstanceId;
import dev.weft.model.RunState;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Step;
import dev.weft.store.StoredFrame;
import dev.weft.testing.WebSocketRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static dev.weft.daemon.HighAvailabilityTest.EVERY;
import static dev.weft.daemon.HighAvailabilityTest.TTL;
import static dev.weft.daemon.StoredLogs.linesOf;
import static dev.weft.daemon.StoredLogs.postHook;
import static dev.weft.daemon.StoredLogs.stepOf;
import static dev.weft.daemon.StoredLogs.stored;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A provider's webhook that writes log lines on an instance that does not drive the run (issue
 * 12): its writes wait in the store's log inbox and the driving instance numbers them beside its
 * own lines, so every line is stored once, in its step, and viewers on any instance see them.
 * Two instances on one PostgreSQL; {@code a} takes the knot and drives the run, the webhook is
 * posted to {@code b}.
 */
class LogInboxAcrossInstancesTest {
    /** Lines the webhook writes into its own step, and as many into the driver's step. */
    private static final int HOOK_LINES = 150;
    private static final Duration WAIT = Duration.ofSeconds(15);

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    /** The run has started its step on the driving instance. */
    private final CountDownLatch started = new CountDownLatch(1);
    /** The webhook has returned: the driver writes a few more lines, then waits for {@link #finish}. */
    private final CountDownLatch hookDone = new CountDownLatch(1);
    private final CountDownLatch finish = new CountDownLatch(1);
    /** Every line the driving instance's provider wrote into its step, in order. */
    private final List<String> driverLines = new CopyOnWriteArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        hookDone.countDown();
        finish.countDown();
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    /**
     * The {@code ha} engine with a webhook: a run starts step {@code build} and writes a line into
     * it every few milliseconds until the webhook is done, twenty more, and on {@link #finish}
     * {@code bye} and its end. The webhook ({@code POST /hooks/ha} with a run id) finds the run,
     * writes {@link #HOOK_LINES} lines into a step of its own and as many into {@code build},
     * found by name, and ends its step. A resume ends the run at once.
     */
    private ProviderFactory engine(String instance) {
        return HaEngine.of(run -> {
            run.status().running();
            Step build = run.log().startStep("build", "make");
            write(build, "hello from " + instance);
            started.countDown();
            for (int i = 0; !hookDone.await(2, TimeUnit.MILLISECONDS); i++) write(build, "driver " + i);
            for (int i = 0; i < 20; i++) write(build, "after " + i);
            finish.await();
            write(build, "bye from " + instance);
            build.end();
            run.status().success();
        }, run -> {
            run.status().success();
            return true;
        }, run -> {
            Step hook = run.log().startStep("webhook", "notify");
            Step build = run.log().openStep("build").orElseThrow();
            for (int i = 0; i < HOOK_LINES; i++) {
                hook.out("hook " + i + " on " + instance);
                build.err("into build " + i + " on " + instance);
            }
            hook.end();
        });
    }

    private void write(Step step, String line) {
        step.out(line);
        driverLines.add(line);
    }

    private Weft start(String name, String db, KnotEventServer knot) throws Exception {
        Weft w = Weft.builder(WeftConfig.from(HighAvailabilityTest.env(name, db, knot, dir)))
                .providers(List.of(engine(name))).instance(InstanceId.of(name))
                .leases(TTL, EVERY).stopWait(Duration.ofSeconds(2)).start();
        closeLater.add(w);
        return w;
    }

        /** The data lines of a log by text, each mapped to its step ids (one per time it occurs). */
    private static Map<String, List<Integer>> dataLines(List<JsonNode> frames) {
        Map<String, List<Integer>> out = new HashMap<>();
        for (JsonNode f : frames) {
            if (f.path("kind").asText().equals("data")) {
                out.computeIfAbsent(f.path("content").asText(), k -> new ArrayList<>()).add(f.path("step_id").asInt());
            }
        }
        return out;
    }

    private static List<String> hookLines(String prefix, String instance) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < HOOK_LINES; i++) out.add(prefix + " " + i + " on " + instance);
        return out;
    }

    @Test
    @DisplayName("a webhook writing a step and lines on the instance that does not drive the run: every line once, in its step, seen by /logs")
    void webhookLinesOnTheOtherInstance() throws Exception {
        String db = HighAvailabilityTest.db();
        KnotEventServer knot = HighAvailabilityTest.knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        HighAvailabilityTest.Pushed pushed = HighAvailabilityTest.pushOne(a, knot, started, WAIT);
        List<String> rkeys = pushed.rkeys();
        long id = pushed.id();
        assertTrue(a.runs().drives(id) && !b.runs().drives(id), "a drives the run");
        String path = "/logs/" + knot.host() + "/" + rkeys.get(0) + "/ci.yml";
        WebSocketRecorder viewer = WebSocketRecorder.connect(URI.create(b.baseUrl().replace("http://", "ws://") + path));
        closeLater.add(viewer);

        // While a writes into its step, b's webhook writes a step of its own and lines into a's.
        assertEquals(200, postHook(b, id));
        hookDone.countDown();
        // a writes what b parked within its next looks at the inbox (every 200 ms).
        await().atMost(WAIT).until(() -> dataLines(stored(a, id)).keySet().containsAll(hookLines("into build", "b")));
        assertEquals(List.of(), a.store().logs().runsWithParkedOps(10), "nothing left parked");
        finish.countDown();
        await().atMost(WAIT).until(() -> HighAvailabilityTest.allIn(a, rkeys, knot.host(), RunState.SUCCESS));
        assertEquals(1000, viewer.awaitClose(WAIT), "b's viewer saw the log to its end");

        List<JsonNode> frames = stored(a, id);
        List<StoredFrame> raw = a.store().logs().after(id, 0, 100_000);
        for (int i = 0; i < raw.size(); i++) assertEquals(i + 1, raw.get(i).position(), "sequences 1.. without a gap");
        // Every line of both instances once, in its step, each writer's in its order.
        int build = stepOf(frames, "build");
        int hook = stepOf(frames, "webhook");
        assertTrue(build != hook);
        Map<String, List<Integer>> lines = dataLines(frames);
        for (String l : driverLines) assertEquals(List.of(build), lines.get(l), l);
        for (String l : hookLines("into build", "b")) assertEquals(List.of(build), lines.get(l), l);
        for (String l : hookLines("hook", "b")) assertEquals(List.of(hook), lines.get(l), l);
        assertEquals(driverLines.size() + 2 * HOOK_LINES, lines.size(), "no other line");
        assertEquals(hookLines("hook", "b"), linesOf(frames, hook));
        List<String> inBuild = linesOf(frames, build);
        assertEquals(driverLines, inBuild.stream().filter(driverLines::contains).toList());
        assertEquals(hookLines("into build", "b"), inBuild.stream().filter(l -> l.startsWith("into build")).toList());
        assertTrue(driverLines.stream().anyMatch(l -> l.startsWith("driver ")), "the driver wrote while the webhook did");

        // The viewer on b got exactly the stored log, frame for frame.
        List<String> seen = viewer.frames();
        List<String> expected = new ArrayList<>();
        for (StoredFrame f : raw) expected.add(new String(f.frame(), StandardCharsets.UTF_8));
        assertEquals(expected, seen);
    }

    @Test
    @DisplayName("lines parked while the driving instance is dead are written by the instance that adopts the run, before its log ends")
    void parkedLinesWrittenByTheAdopter() throws Exception {
        String db = HighAvailabilityTest.db();
        KnotEventServer knot = HighAvailabilityTest.knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        HighAvailabilityTest.Pushed pushed = HighAvailabilityTest.pushOne(a, knot, started, WAIT);
        List<String> rkeys = pushed.rkeys();
        long id = pushed.id();
        a.kill();
        // b does not drive the run until a's lease expires: the webhook's writes wait in the inbox.
        assertEquals(200, postHook(b, id));
        assertEquals(List.of(id), b.store().logs().runsWithParkedOps(10));
        assertTrue(!b.runs().drives(id), "not adopted yet");
        // b adopts the run, resumes it (it ends at once) and writes the parked lines before the log ends.
        await().atMost(TTL.plus(WAIT)).until(() -> b.store().runs().run(id).orElseThrow().logComplete());
        assertEquals(RunState.SUCCESS, b.store().runs().run(id).orElseThrow().state());
        assertEquals(List.of(), b.store().logs().runsWithParkedOps(10), "nothing left parked");
        List<JsonNode> frames = stored(b, id);
        int build = stepOf(frames, "build");
        int hook = stepOf(frames, "webhook");
        assertEquals(hookLines("hook", "b"), linesOf(frames, hook));
        List<String> inBuild = linesOf(frames, build);
        assertEquals(hookLines("into build", "b"), inBuild.stream().filter(l -> l.startsWith("into build")).toList());
        assertEquals("hello from a", inBuild.get(0));
        Map<String, List<Integer>> lines = dataLines(frames);
        for (var e : lines.entrySet()) assertEquals(1, e.getValue().size(), e.getKey() + " stored once");
    }
}
