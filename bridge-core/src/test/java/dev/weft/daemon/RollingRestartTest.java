package dev.weft.daemon;

import dev.weft.config.WeftConfig;
import dev.weft.knot.KnotEventServer;
import dev.weft.lease.InstanceId;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.spi.ProviderFactory;
import dev.weft.store.RunRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.weft.daemon.HighAvailabilityTest.EVERY;
import static dev.weft.daemon.HighAvailabilityTest.TTL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rolling restart under load: three instances on one PostgreSQL and one knot; while a push
 * arrives every 150 ms, each instance in turn is stopped cleanly and started again under the same
 * {@code WEFT_INSTANCE_ID} (a new holder, as a restarted process is). In the end every push has
 * exactly one run, spawned once, ended once, every status published once with strictly increasing
 * ids, and every instance's {@code /events} serves all of them. Leases of 2 s renewed every 200 ms.
 */
class RollingRestartTest {
    private static final String[] NAMES = {"a", "b", "c"};
    /** How long each run works before it succeeds: several are open whenever an instance stops. */
    private static final long RUN_MILLIS = 400;
    /** Pushes in all, at least (one every 150 ms): about 3 s of load beyond the restarts themselves on a fast machine. */
    private static final int MIN_PUSHES = 20;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(RollingRestartTest.class);

    @TempDir
    Path dir;
    private final List<Weft> live = new CopyOnWriteArrayList<>();
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private final Map<String, List<String>> spawnedBy = new ConcurrentHashMap<>();
    private final Map<String, List<String>> resumedBy = new ConcurrentHashMap<>();

    @AfterEach
    void tearDown() throws Exception {
        for (Weft w : live) w.close();
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    /**
     * Runs that work {@link #RUN_MILLIS} and succeed; a run interrupted by its instance's stop
     * stays open (the stop leaves it for another instance), whose {@code resume} ends it.
     */
    private ProviderFactory engine(String instance) {
        return HaEngine.of(run -> {
            spawnedBy.computeIfAbsent(run.workflowId().pipeline().rkey(), k -> new CopyOnWriteArrayList<>()).add(instance);
            run.status().running();
            Thread.sleep(RUN_MILLIS);
            run.status().success();
        }, run -> resumedBy.computeIfAbsent(run.workflowId().pipeline().rkey(), k -> new CopyOnWriteArrayList<>()).add(instance));
    }

    private Weft start(String name, String db, KnotEventServer knot) throws Exception {
        Weft w = Weft.builder(WeftConfig.from(HighAvailabilityTest.env(name, db, knot, dir)))
                .providers(List.of(engine(name))).instance(InstanceId.of(name))
                .leases(TTL, EVERY).stopWait(Duration.ofSeconds(2)).start();
        live.add(w);
        return w;
    }

    @Test
    @DisplayName("restarting each of three instances in turn while pushes keep coming: one run per push, spawned once, all ended, ids increasing")
    void rollingRestartUnderLoad() throws Exception {
        long began = System.nanoTime();
        String db = HighAvailabilityTest.db();
        KnotEventServer knot = new KnotEventServer().start();
        closeLater.add(knot);
        Weft[] instances = new Weft[NAMES.length];
        for (int i = 0; i < NAMES.length; i++) instances[i] = start(NAMES[i], db, knot);
        await().atMost(Duration.ofSeconds(10)).until(() -> instances[0].knots().isConnected(knot.host()));

        List<String> pushed = new CopyOnWriteArrayList<>();
        AtomicBoolean pushing = new AtomicBoolean(true);
        Thread pusher = Thread.ofPlatform().name("test-pusher").start(() -> {
            for (int i = 0; pushing.get(); i++) {
                pushed.add(HighAvailabilityTest.push(knot, i));
                try {
                    Thread.sleep(150);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            for (int i = 0; i < NAMES.length; i++) {
                // Work flows before each restart: the pushes so far have their runs.
                int before = pushed.size();
                await().atMost(Duration.ofSeconds(10)).until(() -> runsOf(live.get(0), pushed, knot).size() >= before + 2);
                Weft old = instances[i];
                long t0 = System.nanoTime();
                old.close();
                live.remove(old);
                long t1 = System.nanoTime();
                instances[i] = start(NAMES[i], db, knot);
                LOG.info("measured: restart of {}: close {} ms, start {} ms", NAMES[i], (t1 - t0) / 1_000_000,
                        (System.nanoTime() - t1) / 1_000_000);
            }
            // Work flows after the last restart too, and the pushes number at least MIN_PUSHES
            // however quickly the restarts went.
            int before = pushed.size();
            await().atMost(Duration.ofSeconds(20)).until(() -> pushed.size() >= MIN_PUSHES
                    && runsOf(live.get(0), pushed, knot).size() >= before + 2);
        } finally {
            pushing.set(false);
            pusher.join(5000);
        }

        long drained = System.nanoTime();
        List<String> all = List.copyOf(pushed);
        Weft any = instances[0];
        await().atMost(TTL.plus(Duration.ofSeconds(10))).until(() -> HighAvailabilityTest.allIn(any, all, knot.host(), RunState.SUCCESS));

        LOG.info("measured: {} pushes; every run ended {} ms after the last push", all.size(), (System.nanoTime() - drained) / 1_000_000);
        // One run per push, each spawned exactly once; a run left open by a stop was resumed once, elsewhere.
        List<RunRecord> runs = runsOf(any, all, knot);
        assertEquals(all.size(), runs.size(), "one run per push");
        assertTrue(all.size() >= MIN_PUSHES, "pushes kept coming through the restarts: " + all.size());
        for (String r : all) {
            assertEquals(1, spawnedBy.getOrDefault(r, List.of()).size(), r + " spawned by " + spawnedBy.get(r));
            List<String> resumed = resumedBy.getOrDefault(r, List.of());
            assertTrue(resumed.size() <= 1, r + " resumed by " + resumed);
        }
        // The stops did leave runs open (the knot's consumer drives several at any time), so the
        // hand-over of runs, not only of the knot, was exercised.
        assertTrue(!resumedBy.isEmpty(), "some runs were left open by a stop and resumed elsewhere");
        // Each run's statuses published once each, in order; nothing left in the outbox.
        for (RunRecord r : runs) {
            List<RunState> states = any.store().statuses().publishedStatuses(r.id()).stream().map(Status::state).toList();
            assertEquals(RunState.PENDING, states.get(0), r.workflow() + ": " + states);
            assertEquals(RunState.SUCCESS, states.get(states.size() - 1), r.workflow() + ": " + states);
            assertEquals(states.size(), new HashSet<>(states).size(), r.workflow() + " published twice: " + states);
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> any.store().statuses().nextDue().isEmpty());
        List<StatusEvent> events = any.store().statuses().eventsAfter(0, 10_000);
        for (int i = 1; i < events.size(); i++) {
            assertTrue(events.get(i).id() > events.get(i - 1).id(), "event ids increase: " + events.get(i - 1) + ", " + events.get(i));
        }
        // Every live instance serves every status on /events, once.
        long last = any.store().statuses().lastEventId();
        for (Weft w : live) {
            await().atMost(Duration.ofSeconds(5)).until(() -> w.events().lastId() == last);
            Set<Long> ids = new HashSet<>();
            for (StatusEvent e : w.events().after(0, 10_000)) assertTrue(ids.add(e.id()));
        }
        LOG.info("measured: the test's body took {} ms", (System.nanoTime() - began) / 1_000_000);
    }

    private static List<RunRecord> runsOf(Weft w, List<String> rkeys, KnotEventServer knot) {
        return HighAvailabilityTest.runs(w, rkeys, knot.host());
    }
}
