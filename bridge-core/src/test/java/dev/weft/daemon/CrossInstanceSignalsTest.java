package dev.weft.daemon;

import dev.weft.config.WeftConfig;
import dev.weft.knot.KnotEventServer;
import dev.weft.lease.InstanceId;
import dev.weft.model.RunState;
import dev.weft.spi.ProviderFactory;
import dev.weft.testing.WebSocketRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;

import static dev.weft.daemon.HighAvailabilityTest.EVERY;
import static dev.weft.daemon.HighAvailabilityTest.TTL;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Statuses and log lines written on one instance reach live viewers on another through the store's
 * signals (PostgreSQL {@code LISTEN/NOTIFY}), not its polling: the instances here look at the store
 * only once a minute ({@link Weft.Builder#storePolling}), so anything that arrives within a few
 * seconds was carried by a signal. Two instances on one PostgreSQL; {@code a} takes the knot and
 * publishes, {@code b} only serves viewers.
 */
class CrossInstanceSignalsTest {
    /** Far longer than any wait below: only a signal can explain a timely arrival. */
    private static final Duration BACKSTOP = Duration.ofSeconds(60);
    private static final Duration TIMELY = Duration.ofSeconds(5);
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CrossInstanceSignalsTest.class);

    @TempDir
    Path dir;
    private final List<AutoCloseable> closeLater = new ArrayList<>();
    private final CountDownLatch finish = new CountDownLatch(1);

    @AfterEach
    void tearDown() throws Exception {
        finish.countDown();
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    /** Runs that go running, print a line, wait for {@link #finish}, print another and succeed. */
    private ProviderFactory engine(String instance) {
        return HaEngine.of(run -> HaEngine.helloBye(run, instance, finish), run -> { });
    }

    private Weft start(String name, String db, KnotEventServer knot) throws Exception {
        Weft w = Weft.builder(WeftConfig.from(HighAvailabilityTest.env(name, db, knot, dir)))
                .providers(List.of(engine(name))).instance(InstanceId.of(name))
                .leases(TTL, EVERY).storePolling(BACKSTOP).stopWait(Duration.ofSeconds(2)).start();
        closeLater.add(w);
        return w;
    }

    /** When each instance's feed first showed each event id (nanoTime), from its subscription. */
    private static Map<Long, Long> seen(Weft w, List<AutoCloseable> closeLater) {
        Map<Long, Long> at = new ConcurrentHashMap<>();
        long[] last = {w.events().lastId()};
        closeLater.add(w.events().subscribe(() -> {
            long now = System.nanoTime();
            synchronized (last) {
                for (var e : w.events().framesAfter(last[0], 10_000)) {
                    at.putIfAbsent(e.id(), now);
                    last[0] = Math.max(last[0], e.id());
                }
            }
        }));
        return at;
    }

    @Test
    @DisplayName("statuses published on one instance reach /events viewers on another at once, without polling")
    void statusesCrossInstancesBySignal() throws Exception {
        String db = HighAvailabilityTest.db();
        KnotEventServer knot = HighAvailabilityTest.knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        assertTrue(a.leases().holds(Weft.PUBLISHER_LEASE) && b.leases().held().isEmpty(), "a publishes, b follows");
        await().atMost(Duration.ofSeconds(10)).until(() -> a.knots().isConnected(knot.host()));
        Map<Long, Long> onA = seen(a, closeLater);
        Map<Long, Long> onB = seen(b, closeLater);
        WebSocketRecorder viewer = WebSocketRecorder.connect(URI.create(b.baseUrl().replace("http://", "ws://") + "/events"));
        closeLater.add(viewer);

        List<String> rkeys = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rkeys.add(HighAvailabilityTest.push(knot, i));
            // Each push's pipeline record, pending and running reach b's viewer long before b would look.
            int expected = 3 * (i + 1);
            viewer.awaitFrames(3, TIMELY);
            assertEquals(expected, viewer.frames().size());
            Thread.sleep(50); // spaced pushes: each latency is measured on its own, not in a batch
        }
        assertTrue(HighAvailabilityTest.allIn(b, rkeys, knot.host(), RunState.RUNNING));
        await().atMost(TIMELY).until(() -> onB.keySet().containsAll(onA.keySet()) && onA.size() == 30);
        long[] latencies = onA.entrySet().stream().mapToLong(e -> onB.get(e.getKey()) - e.getValue()).sorted().toArray();
        LOG.info("measured: event published on a -> in b's /events feed, {} events: p50 {} ms, p95 {} ms, max {} ms (store polled every {})",
                latencies.length, latencies[latencies.length / 2] / 1e6, latencies[(int) Math.ceil(latencies.length * 0.95) - 1] / 1e6,
                latencies[latencies.length - 1] / 1e6, BACKSTOP);
        assertTrue(Arrays.stream(latencies).allMatch(l -> l < TIMELY.toNanos()), Arrays.toString(latencies));

        // A status queued on b (a webhook landing there): the publisher on a hears of it by the
        // store's signal, and b's viewer gets the publication the same way.
        long id = HighAvailabilityTest.runs(a, rkeys.subList(0, 1), knot.host()).get(0).id();
        b.runs().byId(id).orElseThrow().status().success();
        List<String> end = viewer.awaitFrames(1, TIMELY);
        assertTrue(end.get(0).contains("\"status\":\"success\"") && end.get(0).contains(rkeys.get(0)), end.toString());
    }

    @Test
    @DisplayName("a /logs viewer on one instance gets the lines another instance writes, and the end, without polling")
    void logLinesCrossInstancesBySignal() throws Exception {
        String db = HighAvailabilityTest.db();
        KnotEventServer knot = HighAvailabilityTest.knot(closeLater);
        Weft a = start("a", db, knot);
        Weft b = start("b", db, knot);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.knots().isConnected(knot.host()));
        List<String> rkeys = List.of(HighAvailabilityTest.push(knot, 0));
        await().atMost(TIMELY).until(() -> HighAvailabilityTest.allIn(a, rkeys, knot.host(), RunState.RUNNING));
        assertEquals(1, a.runs().activeCount());
        assertEquals(0, b.runs().activeCount(), "a drives the run");
        String path = "/logs/" + knot.host() + "/" + rkeys.get(0) + "/ci.yml";
        try (WebSocketRecorder logs = WebSocketRecorder.connect(URI.create(b.baseUrl().replace("http://", "ws://") + path))) {
            // What was stored before the viewer came is read at once; what comes next needs a signal.
            List<String> live = logs.awaitFrames(2, TIMELY);
            assertTrue(live.get(1).contains("hello from a"), live.toString());
            long released = System.nanoTime();
            finish.countDown();
            List<String> rest = logs.awaitFrames(2, TIMELY);
            long took = System.nanoTime() - released;
            assertTrue(rest.get(0).contains("bye from a"), rest.toString());
            assertTrue(rest.get(1).contains("\"step_status\":\"end\""), rest.toString());
            assertEquals(1000, logs.awaitClose(TIMELY), "the stream ends with the log, told by the store's signal");
            LOG.info("measured: log lines written on a reached b's /logs viewer {} ms after the run was let go (store polled every {})",
                    took / 1_000_000, BACKSTOP);
        }
    }
}
