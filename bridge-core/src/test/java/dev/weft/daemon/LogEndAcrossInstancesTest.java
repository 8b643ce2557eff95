package dev.weft.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.config.WeftConfig;
import dev.weft.knot.KnotEventServer;
import dev.weft.lease.InstanceId;
import dev.weft.model.RunState;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Step;
import dev.weft.store.RunRecord;
import dev.weft.store.StoredFrame;
import dev.weft.testing.WebSocketRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static dev.weft.daemon.HighAvailabilityTest.EVERY;
import static dev.weft.daemon.HighAvailabilityTest.TTL;
import static dev.weft.daemon.StoredLogs.control;
import static dev.weft.daemon.StoredLogs.postHook;
import static dev.weft.daemon.StoredLogs.stepOf;
import static dev.weft.daemon.StoredLogs.stored;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A run ended by a provider's webhook on an instance that does not drive it (issue 12): its log
 * keeps one writer. The instance that stores the end leaves the log to the driving instance, which
 * goes on writing until it learns of the end and then completes the log itself (the parked lines,
 * the end-of-run steps from the stored end); when the driver is dead, a survivor completes it once
 * the driver's lease expired, and when the instance that stored the end dies too, a third
 * instance's look for orphaned logs completes it. Two instances on one PostgreSQL (three in the
 * last test); {@code a} takes the knot and drives the run, the webhook is posted to {@code b}.
 */
class LogEndAcrossInstancesTest {
    private static final Duration WAIT = Duration.ofSeconds(15);
    /** Lines the webhook writes into the driver's step (parked) before it reports the end. */
    private static final int HOOK_LINES = 10;
    private static final String ERROR = "disk full on the runner";
    private static final String ADVICE = "Free some space on the runner, then run it again.";

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private final CountDownLatch started = new CountDownLatch(1);
    /** The driver's provider stopped writing: its step or log refused a line. */
    private final CountDownLatch stopped = new CountDownLatch(1);
    /** Every line the driving instance's provider wrote successfully, in order. */
    private final List<String> written = new CopyOnWriteArrayList<>();
    /** What made the driver's provider stop writing. */
    private final AtomicReference<RuntimeException> refusal = new AtomicReference<>();
    /** How many lines the driver had written when the webhook's end was stored. */
    private final AtomicInteger atEnd = new AtomicInteger(-1);
    /** Lines the webhook writes before the end; none leaves nothing parked for the run. */
    private volatile int hookLines = HOOK_LINES;

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    /**
     * The {@code ha} engine: a spawned run starts step {@code build} and writes a line into it
     * every millisecond or so until a write is refused (noted in {@link #refusal}), and never
     * reports an end itself. The webhook ({@code POST /hooks/ha} with a run id) writes
     * {@link #hookLines} lines into {@code build}, found by name, and reports the run failed.
     */
    private ProviderFactory engine(String instance) {
        return HaEngine.of(run -> {
            run.status().running();
            Step build = run.log().startStep("build", "make");
            started.countDown();
            try {
                for (int i = 0; ; i++) {
                    String line = "driver " + i + " on " + instance;
                    build.out(line);
                    written.add(line);
                    Thread.sleep(1);
                }
            } catch (RuntimeException e) {
                refusal.set(e);
                stopped.countDown();
            }
        }, run -> false, run -> {
            Step build = run.log().openStep("build").orElseThrow();
            for (int i = 0; i < hookLines; i++) build.err("hook " + i + " on " + instance);
            run.status().failed(ERROR, 1);
            atEnd.set(written.size());
        });
    }

    private Weft start(String name, String db, KnotEventServer knot) throws Exception {
        return start(name, db, knot, EVERY);
    }

    private Weft start(String name, String db, KnotEventServer knot, Duration renew) throws Exception {
        return start(name, db, knot, TTL, renew);
    }

    private Weft start(String name, String db, KnotEventServer knot, Duration ttl, Duration renew) throws Exception {
        Path advice = dir.resolve("advice.toml");
        Files.writeString(advice, """
                [[rule]]
                match = 'disk full'
                advice = "%s"
                """.formatted(ADVICE));
        Map<String, String> env = HighAvailabilityTest.env(name, db, knot, dir);
        env.put("WEFT_ADVICE_FILE", advice.toString());
        Weft w = Weft.builder(WeftConfig.from(env)).providers(List.of(engine(name))).instance(InstanceId.of(name))
                .leases(ttl, renew).stopWait(Duration.ofSeconds(2)).start();
        closeLater.add(w);
        return w;
    }

    /**
     * The checks the tests share on the completed log: sequences 1.. without a gap, every line
     * the driver's provider wrote and every line the webhook parked stored once, in {@code build},
     * before its end, each source's in its order, nothing else there, the advice from the stored
     * error as the last system step, and nothing left parked. Returns the raw frames.
     */
    private List<StoredFrame> checkLog(Weft w, long id) throws Exception {
        RunRecord run = w.store().runs().run(id).orElseThrow();
        assertEquals(RunState.FAILED, run.state());
        assertEquals(ERROR, run.error());
        assertTrue(run.logComplete());
        List<StoredFrame> raw = w.store().logs().after(id, 0, 100_000);
        for (int i = 0; i < raw.size(); i++) assertEquals(i + 1, raw.get(i).position(), "sequences 1.. without a gap");
        List<JsonNode> frames = stored(w, id);
        int build = stepOf(frames, "build");
        int advice = stepOf(frames, "advice");
        List<String> inBuild = new ArrayList<>();
        List<String> inAdvice = new ArrayList<>();
        int buildEnd = -1;
        for (int i = 0; i < frames.size(); i++) {
            JsonNode f = frames.get(i);
            if (control(f, "build", "end")) buildEnd = i;
            if (!f.path("kind").asText().equals("data")) continue;
            assertEquals(-1, buildEnd, "no line after build's end: " + f);
            int step = f.path("step_id").asInt();
            if (step == build) inBuild.add(f.path("content").asText());
            else if (step == advice) inAdvice.add(f.path("content").asText());
            else throw new AssertionError("a line in no expected step: " + f);
        }
        Map<String, Integer> counts = new HashMap<>();
        for (String l : inBuild) counts.merge(l, 1, Integer::sum);
        counts.forEach((l, n) -> assertEquals(1, n, l + " stored once"));
        List<String> hook = new ArrayList<>();
        for (int i = 0; i < hookLines; i++) hook.add("hook " + i + " on b");
        assertEquals(written, inBuild.stream().filter(l -> l.startsWith("driver ")).toList(),
                "every line the driver wrote, once, in order");
        assertEquals(hook, inBuild.stream().filter(l -> l.startsWith("hook ")).toList(), "the parked lines, in order");
        assertEquals(written.size() + hookLines, inBuild.size(), "nothing else in build");
        assertEquals(List.of(ADVICE), inAdvice, "the advice of the stored error");
        assertEquals(List.of(), w.store().logs().runsWithParkedOps(10), "nothing left parked");
        return raw;
    }

    @Test
    @DisplayName("an end stored on the other instance while the driver writes: the driver completes the log, every line once")
    void driverCompletesTheLog() throws Exception {
        String db = HighAvailabilityTest.db();
        KnotEventServer knot = HighAvailabilityTest.knot(closeLater);
        // a looks for runs ended elsewhere every 600 ms (its lease round): the window in which it
        // writes on after the end was stored is that long at most, and rarely under a millisecond.
        Weft a = start("a", db, knot, Duration.ofMillis(600));
        Weft b = start("b", db, knot);
        HighAvailabilityTest.Pushed pushed = HighAvailabilityTest.pushOne(a, knot, started, WAIT);
        List<String> rkeys = pushed.rkeys();
        long id = pushed.id();
        assertTrue(a.runs().drives(id) && !b.runs().drives(id), "a drives the run");
        String path = "/logs/" + knot.host() + "/" + rkeys.get(0) + "/ci.yml";
        WebSocketRecorder viewer = WebSocketRecorder.connect(URI.create(b.baseUrl().replace("http://", "ws://") + path));
        closeLater.add(viewer);
        await().atMost(WAIT).until(() -> written.size() >= 50);

        // b stores the end while a writes a line every millisecond or so.
        assertEquals(200, postHook(b, id));
        assertTrue(stopped.await(WAIT.toSeconds(), TimeUnit.SECONDS), "a's provider was stopped by its log's end");
        assertInstanceOf(IllegalStateException.class, refusal.get(),
                "a's lines were refused only because the log had ended, never by the store");
        assertTrue(written.size() > atEnd.get(), "a wrote lines after b had stored the end (" + atEnd.get() + " then "
                + written.size() + ")");
        await().atMost(WAIT).until(() -> a.store().runs().run(id).orElseThrow().logComplete());
        List<StoredFrame> raw = checkLog(a, id);

        assertEquals(1000, viewer.awaitClose(WAIT), "b's viewer saw the log to its end");
        List<String> expected = new ArrayList<>();
        for (StoredFrame f : raw) expected.add(new String(f.frame(), StandardCharsets.UTF_8));
        assertEquals(expected, viewer.frames(), "b's viewer got exactly the stored log");
    }

    @Test
    @DisplayName("the driver dies after the other instance stored the end: the survivor completes the log once the lease expired")
    void survivorCompletesTheLogOfADeadDriver() throws Exception {
        String db = HighAvailabilityTest.db();
        KnotEventServer knot = HighAvailabilityTest.knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        HighAvailabilityTest.Pushed pushed = HighAvailabilityTest.pushOne(a, knot, started, WAIT);
        List<String> rkeys = pushed.rkeys();
        long id = pushed.id();
        await().atMost(WAIT).until(() -> written.size() >= 20);

        // a dies (its run thread interrupted: it never learns of the end); its lease lives on
        // until it expires, so b, storing the end, leaves the log to a.
        long killed = System.nanoTime();
        a.kill();
        assertEquals(200, postHook(b, id));
        RunRecord ended = b.store().runs().run(id).orElseThrow();
        assertEquals(RunState.FAILED, ended.state());
        if (Duration.ofNanos(System.nanoTime() - killed).compareTo(TTL.minusMillis(800)) < 0) {
            assertFalse(ended.logComplete(), "a's lease is live: b left the log to a");
        }

        await().atMost(TTL.plus(WAIT)).until(() -> b.store().runs().run(id).orElseThrow().logComplete());
        assertTrue(Duration.ofNanos(System.nanoTime() - killed).compareTo(TTL.plusSeconds(5)) < 0,
                "completed within a few seconds of a's lease expiring");
        checkLog(b, id);
    }

    @Test
    @DisplayName("the driver dies, then the instance that stored the end dies before completing the log: a third instance completes it")
    void thirdInstanceCompletesAnOrphanedLog() throws Exception {
        // Nothing parked: no instance's look at the inbox offers the run, only the look for
        // orphaned logs finds it.
        hookLines = 0;
        String db = HighAvailabilityTest.db();
        KnotEventServer knot = HighAvailabilityTest.knot(closeLater);
        // a's liveness outlives its death by 5 s: room for b to store the end and die before it
        // expires, so b never gets the log.
        Duration aLease = Duration.ofSeconds(5);
        Weft a = start("a", db, knot, aLease, EVERY);
        Weft b = start("b", db, knot);
        Weft c = start("c", db, knot);
        HighAvailabilityTest.Pushed pushed = HighAvailabilityTest.pushOne(a, knot, started, WAIT);
        List<String> rkeys = pushed.rkeys();
        long id = pushed.id();
        await().atMost(WAIT).until(() -> written.size() >= 20);

        long killed = System.nanoTime();
        a.kill();
        assertEquals(200, postHook(b, id));
        b.kill();
        RunRecord ended = c.store().runs().run(id).orElseThrow();
        assertEquals(RunState.FAILED, ended.state());
        assertTrue(Duration.ofNanos(System.nanoTime() - killed).compareTo(aLease.minusSeconds(1)) < 0,
                "b died well before a's lease expired");
        assertFalse(ended.logComplete(), "a's lease was live: b left the log to a, and died");
        assertEquals(List.of(), c.store().logs().runsWithParkedOps(10), "nothing parked for the run");

        await().atMost(aLease.plus(WAIT)).until(() -> c.store().runs().run(id).orElseThrow().logComplete());
        assertTrue(Duration.ofNanos(System.nanoTime() - killed).compareTo(aLease.plusSeconds(5)) < 0,
                "completed within a few seconds of a's lease expiring");
        List<StoredFrame> raw = checkLog(c, id);

        String path = "/logs/" + knot.host() + "/" + rkeys.get(0) + "/ci.yml";
        WebSocketRecorder viewer = WebSocketRecorder.connect(URI.create(c.baseUrl().replace("http://", "ws://") + path));
        closeLater.add(viewer);
        assertEquals(1000, viewer.awaitClose(WAIT), "c's viewer read the log to its end");
        List<String> expected = new ArrayList<>();
        for (StoredFrame f : raw) expected.add(new String(f.frame(), StandardCharsets.UTF_8));
        assertEquals(expected, viewer.frames(), "c's viewer got exactly the stored log");
    }
}
