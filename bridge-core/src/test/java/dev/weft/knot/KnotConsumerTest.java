package dev.weft.knot;

import dev.weft.model.Trigger;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("KnotConsumer against an in-process knot")
class KnotConsumerTest {

    static final String DID = "did:plc:alice";
    static final String SHA = "b".repeat(40);
    static final Duration DEAD = Duration.ofSeconds(5);

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final List<String> journal = new CopyOnWriteArrayList<>();
    final RecordingSink sink = new RecordingSink(journal);
    final MemoryCursorStore store = new MemoryCursorStore(journal);
    final List<AutoCloseable> closeLater = new ArrayList<>();

    KnotOptions options = KnotOptions.defaults()
            .withReplayWindow(Duration.ofSeconds(10))
            .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .withStableAfter(Duration.ofMillis(500))
            .withDeadAfter(DEAD)
            .withConnectTimeout(Duration.ofSeconds(2))
            .withCloseTimeout(Duration.ofSeconds(2));

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    KnotEventServer server(Duration pingAfter, Clock clock) {
        KnotEventServer s = new KnotEventServer(0, pingAfter, clock).start();
        closeLater.add(s);
        return s;
    }

    KnotEventServer server() {
        return server(Duration.ofMinutes(1), Clock.systemUTC());
    }

    KnotConsumer consumer(String knot, Clock clock) {
        KnotConsumer c = new KnotConsumer(knot, true, sink, store, options, clock, registry);
        closeLater.add(c);
        c.start();
        return c;
    }

    /** A consumer connected to {@code s} (with no checkpoint, so live from here). */
    KnotConsumer connected(KnotEventServer s, Clock clock) {
        KnotConsumer c = consumer(s.host(), clock);
        await().until(() -> s.connectionCount() == 1 && c.isConnected());
        return c;
    }

    static String record(KnotEventServer s, String rkey) {
        return PipelineRecordJson.push(s.host(), DID, "hello", "refs/heads/main", SHA, "0".repeat(40))
                .workflow("ci.yml", "stub", "# " + rkey + "\n").json();
    }

    static void publish(KnotEventServer s, String... rkeys) {
        for (String r : rkeys) s.publishPipeline(r, record(s, r));
    }

    static String[] rkeys(int n) {
        return IntStream.range(0, n).mapToObj(i -> String.format("p%02d", i)).toArray(String[]::new);
    }

    double rejected(String knot, String reason) {
        return registry.get("weft.triggers.rejected").tag("knot", knot).tag("reason", reason).counter().count();
    }

    double received(String knot) {
        return registry.get("weft.triggers.received").tag("knot", knot).counter().count();
    }

    @Test
    @DisplayName("delivers triggers in stream order, from now when there is no checkpoint")
    void delivers_in_order() {
        KnotEventServer s = server();
        publish(s, "before"); // before any checkpoint: never asked for
        KnotConsumer c = connected(s, Clock.systemUTC());
        String[] keys = rkeys(25);
        publish(s, keys);
        await().until(() -> sink.accepted.size() == 25);
        assertEquals(List.of(keys), sink.rkeys());
        Trigger first = sink.accepted.getFirst();
        assertEquals(s.host(), first.pipeline().knot());
        assertEquals("ci.yml", first.workflows().getFirst().name());
        assertEquals(List.of(""), s.requestedCursors(), "no checkpoint: no cursor");
        assertEquals(25.0, received(s.host()));
        assertEquals(1.0, registry.get("weft.knot.connected").tag("knot", s.host()).gauge().value());
        assertEquals(KnotConsumer.unixNanos(sink.accepted.getLast().receivedAt()), store.cursor(s.host()).getAsLong());
        assertTrue(c.isConnected());
    }

    @Test
    @DisplayName("saves the checkpoint only after the sink returned, one frame at a time")
    void checkpoint_after_sink() {
        KnotEventServer s = server();
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        sink.hook(t -> {
            if (t.pipeline().rkey().equals("p00")) {
                entered.countDown();
                hold(release);
            }
        });
        connected(s, Clock.systemUTC());
        publish(s, "p00", "p01");
        await().until(() -> entered.getCount() == 0);
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2))
                .until(() -> store.cursor(s.host()).isEmpty() && sink.accepted.isEmpty());
        release.countDown();
        await().until(() -> journal.size() == 6);
        assertEquals(List.of("accept-start p00", "accept-end p00", "save", "accept-start p01", "accept-end p01", "save"),
                journal.stream().map(e -> e.startsWith("save ") ? "save" : e).toList());
        assertEquals("save " + KnotConsumer.unixNanos(sink.accepted.get(0).receivedAt()), journal.get(2));
        assertEquals("save " + KnotConsumer.unixNanos(sink.accepted.get(1).receivedAt()), journal.get(5));
    }

    @Test
    @DisplayName("after a dropped connection, rewinds by the replay window: recent triggers come again, then live ones")
    void replay_after_drop() {
        Instant t0 = Instant.parse("2025-12-01T10:00:00Z");
        MutableClock clock = new MutableClock(t0);
        options = options.withReplayWindow(Duration.ofMillis(1500));
        KnotEventServer s = server(Duration.ofMinutes(1), clock);
        KnotConsumer c = connected(s, clock);
        for (int i = 1; i <= 3; i++) {
            clock.set(t0.plusSeconds(i)); // event ids t0+1s, t0+2s, t0+3s
            publish(s, "p0" + i);
        }
        await().until(() -> sink.accepted.size() == 3);
        assertEquals(KnotConsumer.unixNanos(t0.plusSeconds(3)), store.cursor(s.host()).getAsLong());

        s.dropConnections();
        // cursor = t0+3s - 1.5s: the knot re-sends p02 and p03 (ids above it), not p01.
        await().until(() -> sink.accepted.size() == 5);
        assertEquals(List.of("p01", "p02", "p03", "p02", "p03"), sink.rkeys(),
                "the consumer re-delivers the replayed triggers; a real sink de-duplicates by (knot, rkey)");
        assertEquals(List.of("", Long.toString(KnotConsumer.unixNanos(t0.plusMillis(1500)))), s.requestedCursors());

        clock.set(t0.plusSeconds(4));
        publish(s, "p04");
        await().until(() -> sink.accepted.size() == 6);
        assertEquals("p04", sink.rkeys().getLast());
        assertEquals(2, s.connectionsAccepted());
        assertTrue(c.isConnected());
    }

    @Test
    @DisplayName("malformed frames, other nsids and invalid records between two good frames: both good ones arrive")
    void malformed_between_good() {
        KnotEventServer s = server();
        KnotConsumer c = connected(s, Clock.systemUTC());
        publish(s, "good1");
        s.sendRaw("{not json");
        s.sendRaw("[1,2,3]");
        s.sendRaw("{\"a\":1} trailing");
        s.sendRaw("{\"event\":{},\"rkey\":\"x\"}"); // no nsid
        s.sendRaw("{\"nsid\":\"sh.tangled.pipeline\",\"rkey\":\"x\"}"); // no event
        s.sendRaw("{\"event\":{},\"nsid\":\"sh.tangled.pipeline\"}"); // no rkey
        s.sendRaw("{\"event\":{},\"nsid\":\"sh.tangled.pipeline\",\"rkey\":\"a/b\"}"); // rkey unusable in a URI
        s.publish("sh.tangled.git.refUpdate", "ref1", "{\"ref\":\"refs/heads/main\"}");
        s.publishPipeline("wrongknot", record(s, "wrongknot").replace(s.host(), "elsewhere.example.com"));
        publish(s, "good2");
        await().until(() -> sink.accepted.size() == 2);
        assertEquals(List.of("good1", "good2"), sink.rkeys());
        assertEquals(7.0, rejected(s.host(), "malformed"));
        assertEquals(1.0, rejected(s.host(), "invalid"));
        assertEquals(0.0, rejected(s.host(), "oversized"));
        assertEquals(2.0, received(s.host()));
        assertEquals(1, s.connectionsAccepted(), "bad frames never cost the connection");
        assertTrue(c.isConnected());
    }

    @Test
    @DisplayName("a frame over 4 MiB between two good frames is skipped without dropping the connection")
    void oversized_between_good() {
        KnotEventServer s = server();
        connected(s, Clock.systemUTC());
        publish(s, "good1");
        String huge = PipelineRecordJson.push(s.host(), DID, "hello", "refs/heads/main", SHA, "0".repeat(40))
                .workflow("ci.yml", "stub", "#".repeat(KnotOptions.DEFAULT_MAX_FRAME_BYTES)).json();
        s.sendRaw("{\"event\":" + huge + ",\"nsid\":\"sh.tangled.pipeline\",\"rkey\":\"huge\"}");
        publish(s, "good2");
        await().until(() -> sink.accepted.size() == 2);
        assertEquals(List.of("good1", "good2"), sink.rkeys());
        assertEquals(1.0, rejected(s.host(), "oversized"));
        assertEquals(1, s.connectionsAccepted());
    }

    @Test
    @DisplayName("a frame over the hard limit closes the connection; the rewind brings back what followed it")
    void hard_limit_reconnects() {
        options = options.withFrameLimits(2048, 4096);
        KnotEventServer s = server();
        connected(s, Clock.systemUTC());
        publish(s, "good1");
        await().until(() -> sink.accepted.size() == 1);
        s.sendRaw("{\"event\":{\"raw\":\"" + "x".repeat(8192) + "\"},\"nsid\":\"sh.tangled.pipeline\",\"rkey\":\"big\"}");
        publish(s, "good2");
        await().until(() -> sink.rkeys().contains("good2"));
        assertEquals(1.0, rejected(s.host(), "oversized"));
        assertTrue(s.connectionsAccepted() >= 2, "the library closed the connection at the big frame");
        assertFalse(sink.rkeys().contains("big"));
    }

    @Test
    @DisplayName("a stream with no frame and no ping for deadAfter is closed and reconnected")
    void dead_stream_reconnects() {
        options = options.withDeadAfter(Duration.ofMillis(300));
        KnotEventServer s = server(Duration.ofHours(1), Clock.systemUTC()); // never pings
        KnotConsumer c = consumer(s.host(), Clock.systemUTC());
        await().atMost(Duration.ofSeconds(10)).until(() -> s.connectionsAccepted() >= 3);
        // And it still works once the knot talks again.
        await().until(() -> s.connectionCount() == 1 && c.isConnected());
        publish(s, "after");
        await().until(() -> sink.rkeys().contains("after"));
    }

    @Test
    @DisplayName("the knot's pings keep a quiet stream alive")
    void pings_keep_alive() {
        options = options.withDeadAfter(Duration.ofMillis(400));
        KnotEventServer s = server(Duration.ofMillis(50), Clock.systemUTC());
        connected(s, Clock.systemUTC());
        await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3))
                .until(() -> s.connectionsAccepted() == 1 && s.connectionCount() == 1);
    }

    @Test
    @DisplayName("a slow sink holds the socket back (bounded queue) without losing frames or being taken for a dead stream")
    void slow_sink_backpressure() {
        // Capacity 2 and 4 frames: p00 sits in the sink, p01 and p02 fill the queue, and the reader
        // blocks on p03 far longer than deadAfter. That wait is ours, not the knot's silence. The
        // knot never pings, so nothing but that rule keeps the stream alive after the release.
        options = options.withQueueCapacity(2).withDeadAfter(Duration.ofMillis(1000));
        KnotEventServer s = server(Duration.ofHours(1), Clock.systemUTC());
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        sink.hook(t -> {
            if (t.pipeline().rkey().equals("p00")) {
                entered.countDown();
                hold(release);
            }
        });
        String[] keys = rkeys(4);
        List<String> records = Stream.of(keys).map(k -> record(s, k)).toList(); // built before the clock runs
        KnotConsumer c = consumer(s.host(), Clock.systemUTC());
        await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2))
                .until(() -> s.connectionCount() == 1 && c.isConnected());
        for (int i = 0; i < keys.length; i++) s.publishPipeline(keys[i], records.get(i));
        await().pollInterval(Duration.ofMillis(2)).until(() -> entered.getCount() == 0);
        await().during(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(4))
                .until(() -> s.connectionsAccepted() == 1 && sink.accepted.isEmpty());
        release.countDown();
        await().until(() -> sink.accepted.size() == 4);
        assertEquals(List.of(keys), sink.rkeys());
        // Shorter than deadAfter: the knot's real silence from here on may end the stream later.
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(2)).until(() -> s.connectionsAccepted() == 1);
    }

    @Test
    @DisplayName("many frames behind a slow sink all arrive, in order, on one connection")
    void slow_sink_many_frames() {
        options = options.withQueueCapacity(2);
        KnotEventServer s = server();
        sink.hook(t -> {
            try {
                Thread.sleep(5); // a slow database, not an assertion
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        connected(s, Clock.systemUTC());
        String[] keys = rkeys(200);
        publish(s, keys);
        await().atMost(Duration.ofSeconds(20)).until(() -> sink.accepted.size() == 200);
        assertEquals(List.of(keys), sink.rkeys());
        assertEquals(1, s.connectionsAccepted());
    }

    @Test
    @DisplayName("when the sink throws, nothing is checkpointed past it and the reconnect re-delivers it")
    void sink_failure_redelivers() {
        KnotEventServer s = server();
        AtomicBoolean failOnce = new AtomicBoolean(true);
        sink.hook(t -> {
            if (t.pipeline().rkey().equals("p02") && failOnce.getAndSet(false)) {
                throw new IllegalStateException("database is locked");
            }
        });
        connected(s, Clock.systemUTC());
        publish(s, "p01", "p02", "p03");
        await().until(() -> sink.accepted.size() == 4);
        assertEquals(List.of("p01", "p01", "p02", "p03"), sink.rkeys());
        assertEquals(2, s.connectionsAccepted());
        int failedAt = journal.indexOf("accept-start p02");
        assertEquals("accept-start p01", journal.get(failedAt + 1), "no checkpoint after the failed trigger");
    }

    @Test
    @DisplayName("after the knot restarts, reconnects with backoff and asks for checkpoint minus the replay window")
    void knot_restart() {
        KnotEventServer s1 = server();
        KnotConsumer c = connected(s1, Clock.systemUTC());
        publish(s1, "p01");
        await().until(() -> sink.accepted.size() == 1);
        long checkpoint = store.cursor(s1.host()).getAsLong();
        int port = Integer.parseInt(s1.host().substring(s1.host().indexOf(':') + 1));
        s1.close();
        await().until(() -> !c.isConnected());
        assertEquals(0.0, registry.get("weft.knot.connected").tag("knot", s1.host()).gauge().value());

        KnotEventServer s2 = new KnotEventServer(port, Duration.ofMinutes(1), Clock.systemUTC()).start();
        closeLater.add(s2);
        await().until(() -> s2.connectionCount() == 1 && c.isConnected());
        assertEquals(List.of(Long.toString(checkpoint - Duration.ofSeconds(10).toNanos())), s2.requestedCursors());
        publish(s2, "p02");
        await().until(() -> sink.rkeys().equals(List.of("p01", "p02")));
    }

    @Test
    @DisplayName("failed connection attempts back off exponentially with jitter, up to the ceiling")
    void backoff_grows_to_ceiling() throws Exception {
        options = options.withBackoff(Duration.ofMillis(40), Duration.ofMillis(320));
        List<Long> accepts = new CopyOnWriteArrayList<>();
        // A "knot" that accepts TCP and hangs up at once: every attempt fails in its handshake.
        try (ServerSocket refusing = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                while (!refusing.isClosed()) {
                    try (Socket ignored = refusing.accept()) {
                        accepts.add(System.nanoTime());
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            consumer("127.0.0.1:" + refusing.getLocalPort(), Clock.systemUTC());
            await().atMost(Duration.ofSeconds(10)).until(() -> accepts.size() >= 8);
            refusing.close();
            acceptor.join(2000);
        }
        // Attempt k waits a delay in [b/2, b] with b = min(40 ms * 2^k, 320 ms).
        for (int k = 0; k < 7; k++) {
            long gapMillis = (accepts.get(k + 1) - accepts.get(k)) / 1_000_000;
            long base = Math.min(40L << k, 320);
            assertTrue(gapMillis >= base / 2 - 5, "gap " + k + " was " + gapMillis + " ms, below half of " + base);
            assertTrue(gapMillis <= base + 400, "gap " + k + " was " + gapMillis + " ms, far above " + base);
        }
    }

    @Test
    @DisplayName("logs a rejected record as \"trigger rejected from <knot> rkey <rkey>: <reason>\"")
    void rejected_log_line() {
        KnotEventServer s = server();
        connected(s, Clock.systemUTC());
        // slf4j-simple writes to System.err unless configured for System.out: watch both.
        PrintStream savedErr = System.err;
        PrintStream savedOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setErr(tee);
        System.setOut(tee);
        try {
            s.publishPipeline("bad1", record(s, "bad1").replace("\"workflows\"", "\"workflowz\""));
            publish(s, "good");
            await().until(() -> sink.accepted.size() == 1);
        } finally {
            System.setErr(savedErr);
            System.setOut(savedOut);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("trigger rejected from " + s.host() + " rkey bad1: workflows is missing"), out);
        assertEquals(List.of("good"), sink.rkeys());
    }

    @Test
    @DisplayName("close stops the thread, drops the connection and removes the gauge; start after close fails")
    void close_behaviour() {
        KnotEventServer s = server();
        KnotConsumer c = connected(s, Clock.systemUTC());
        c.close();
        await().until(() -> s.connectionCount() == 0);
        assertFalse(c.isConnected());
        assertNull(registry.find("weft.knot.connected").tag("knot", s.host()).gauge());
        c.close(); // idempotent
        try {
            c.start();
            throw new AssertionError("start after close must fail");
        } catch (IllegalStateException expected) {
            // as documented
        }
    }

    @Test
    @DisplayName("refuses a knot that is not host[:port]")
    void bad_knot() {
        for (String bad : List.of("", "wss://knot.example.com", "knot.example.com/events", "knot example")) {
            try {
                new KnotConsumer(bad, true, sink, store, options, Clock.systemUTC(), registry);
                throw new AssertionError("accepted " + bad);
            } catch (IllegalArgumentException expected) {
                // as documented
            }
        }
    }

    static void hold(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) throw new AssertionError("latch never released");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
