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
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.stream.IntStream;

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
    /** When set, consumers made from here on measure silence (deadAfter) in it, not in real time. */
    ManualTicker ticker;

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
        return consumer(knot, clock, sink);
    }

    KnotConsumer consumer(String knot, Clock clock, TriggerSink sink) {
        KnotConsumer c = new KnotConsumer(knot, true, sink, store, options, clock, registry);
        closeLater.add(c);
        if (ticker != null) c.deadAfterTicker(ticker);
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
        for (String r : rkeys) s.publishPipeline(TestRkeys.tid(r), record(s, r));
    }

    static String[] rkeys(int n) {
        return IntStream.range(0, n).mapToObj(i -> String.format("p%02d", i)).toArray(String[]::new);
    }

    /** Waits until the consumer has judged the stream's silence {@code times} more times. */
    void awaitJudged(int times) {
        int base = ticker.judgements();
        await("the consumer judging the silence " + times + " more times")
                .until(() -> ticker.judgements() >= base + times);
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
            if (TestRkeys.label(t.pipeline().rkey()).equals("p00")) {
                entered.countDown();
                hold(release);
            }
        });
        FrameClock received = new FrameClock();
        connected(s, received);
        publish(s, "p00", "p01");
        await().until(() -> entered.getCount() == 0);
        // p01 has reached the consumer (its receive time is taken) while p00 is still in the sink:
        // nothing but p00's start may have happened. The journal below proves the order after it.
        await().until(() -> received.reads() >= 2);
        assertEquals(List.of("accept-start p00"), journal);
        // p00's accept has not returned (the journal), so neither a checkpoint nor an acceptance exists.
        assertTrue(store.cursor(s.host()).isEmpty() && sink.accepted.isEmpty());
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
        s.sendRaw("{\"event\":{},\"nsid\":\"sh.tangled.pipeline\",\"rkey\":7}"); // rkey not a string
        s.sendRaw("{\"event\":{},\"nsid\":\"sh.tangled.pipeline\",\"rkey\":\"a/b\"}"); // not a record key: invalid
        s.publish("sh.tangled.repo.issue", "3kaaaaaaaaaa2", "{\"title\":\"not ours\"}"); // another nsid: ignored
        s.publish("sh.tangled.git.refUpdate", "ref1", "{\"ref\":\"refs/heads/main\"}"); // a refUpdate missing fields: invalid
        s.publishPipeline(TestRkeys.tid("wrongknot"), record(s, "wrongknot").replace(s.host(), "elsewhere.example.com"));
        publish(s, "good2");
        await().until(() -> sink.accepted.size() == 2);
        assertEquals(List.of("good1", "good2"), sink.rkeys());
        assertEquals(7.0, rejected(s.host(), "malformed"));
        assertEquals(3.0, rejected(s.host(), "invalid"));
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
    @DisplayName("silence is measured from the last frame: deadAfter of it keeps the stream, a nanosecond more ends it")
    void dead_after_boundary() {
        // Silence is measured in time the test moves by hand, so the boundary is exact whatever the
        // machine's load; the knot never pings.
        options = options.withDeadAfter(Duration.ofMillis(400));
        KnotEventServer s = server(Duration.ofHours(1), Clock.systemUTC());
        ticker = new ManualTicker(s.host());
        KnotConsumer c = connected(s, Clock.systemUTC());
        ticker.advance(Duration.ofMillis(400));
        awaitJudged(2);
        publish(s, "kept");
        await().until(() -> sink.rkeys().contains("kept"));
        assertEquals(1, s.connectionsAccepted(), "silent for exactly deadAfter: still alive");

        ticker.advance(Duration.ofMillis(400).plusNanos(1)); // from "kept", the last frame
        await().until(() -> s.connectionsAccepted() == 2 && c.isConnected());
        await().until(() -> sink.rkeys().equals(List.of("kept", "kept"))); // the reconnect's rewind
    }

    @Test
    @DisplayName("the knot's pings keep a quiet stream alive")
    void pings_keep_alive() {
        // Real pings every 50 ms, but silence is measured in time the test moves by hand: 300 ms
        // (under deadAfter) at a time, each step only once a ping has arrived after the previous
        // one. Five steps are 1.5 s, nearly four times deadAfter, so only the pings can have kept
        // the stream, and a late ping on a loaded machine only makes the test wait, never fail.
        options = options.withDeadAfter(Duration.ofMillis(400));
        KnotEventServer s = server(Duration.ofMillis(50), Clock.systemUTC());
        ticker = new ManualTicker(s.host());
        KnotConsumer c = connected(s, Clock.systemUTC());
        for (int i = 0; i < 5; i++) {
            long t = ticker.advance(Duration.ofMillis(300));
            await("a ping stamped after the move").until(() -> ticker.lastStamp() >= t); // only pings stamp a quiet stream
        }
        awaitJudged(2); // judged at 1.5 s, and acted on it (the second judgement follows the first)
        publish(s, "after");
        await().until(() -> sink.rkeys().contains("after"));
        assertEquals(1, s.connectionsAccepted(), "the same connection all along");
        assertTrue(c.isConnected());
    }

    @Test
    @DisplayName("a slow sink holds the socket back (bounded queue) without losing frames or being taken for a dead stream")
    void slow_sink_backpressure() {
        // Capacity 2 and 4 frames: p00 sits in the sink, p01 and p02 fill the queue, and the reader
        // blocks on p03 while the silence time moves ten times deadAfter. That wait is ours, not the
        // knot's silence. The knot never pings, so nothing but that rule keeps the stream alive
        // after the release. Time is moved by hand so that the outcome does not depend on load.
        options = options.withQueueCapacity(2).withDeadAfter(Duration.ofMillis(1000));
        KnotEventServer s = server(Duration.ofHours(1), Clock.systemUTC());
        ticker = new ManualTicker(s.host());
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        sink.hook(t -> {
            if (TestRkeys.label(t.pipeline().rkey()).equals("p00")) {
                entered.countDown();
                hold(release);
            }
        });
        KnotConsumer c = connected(s, Clock.systemUTC());
        String[] keys = rkeys(4);
        publish(s, keys);
        await().until(() -> entered.getCount() == 0);
        // The socket reader parks only on a full queue, so once parked it holds p03, stamped.
        await("the socket reader parked on the full queue")
                .until(() -> ticker.lastStamper() != null && parked(ticker.lastStamper()));
        assertEquals(List.of("accept-start p00"), journal);
        ticker.advance(Duration.ofSeconds(10));
        release.countDown();
        await().until(() -> sink.accepted.size() == 4);
        assertEquals(List.of(keys), sink.rkeys());
        awaitJudged(2); // with the queue drained, judged at the moved time, and acted on it
        publish(s, "p04");
        await("p04 on top of p00..p03").until(() -> sink.accepted.size() >= 5);
        assertEquals(List.of("p00", "p01", "p02", "p03", "p04"), sink.rkeys());
        assertEquals(1, s.connectionsAccepted(), "never taken for a dead stream");
        assertTrue(c.isConnected());
    }

    static boolean parked(Thread t) {
        Thread.State state = t.getState();
        return state == Thread.State.WAITING || state == Thread.State.TIMED_WAITING;
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

    /**
     * A sink that takes triggers pipelined and leaves their outcome to the test: each
     * {@code acceptLater} returns a future the test completes (or fails); completing one journals
     * its follow-up work when the consumer runs it.
     */
    final class PipelinedSink implements TriggerSink {
        final Map<String, CompletableFuture<Accepted>> results = new ConcurrentHashMap<>();
        final Map<String, Trigger> triggers = new ConcurrentHashMap<>();

        @Override
        public Outcome accept(Trigger trigger) {
            throw new AssertionError("the consumer takes triggers pipelined");
        }

        @Override
        public CompletableFuture<Accepted> acceptLater(Trigger trigger) {
            String label = TestRkeys.label(trigger.pipeline().rkey());
            journal.add("submit " + label);
            CompletableFuture<Accepted> f = new CompletableFuture<>();
            // Replays of the same rkey get a fresh future: the test completes the latest.
            results.put(label, f);
            triggers.put(label, trigger);
            return f;
        }

        void complete(String label) {
            results.get(label).complete(new Accepted(Outcome.ACCEPTED, () -> journal.add("then " + label)));
        }
    }

    /** A consumer of {@code s} with a {@link PipelinedSink}, once p00, p01 and p02 were handed to it. */
    private PipelinedSink threeInFlight(KnotEventServer s) {
        PipelinedSink pipelined = new PipelinedSink();
        KnotConsumer c = consumer(s.host(), Clock.systemUTC(), pipelined);
        await().until(() -> s.connectionCount() == 1 && c.isConnected());
        publish(s, "p00", "p01", "p02");
        await().until(() -> journal.size() == 3);
        return pipelined;
    }

    @Test
    @DisplayName("pipelined: triggers are handed on without waiting; each is dispatched and checkpointed in stream order once it and those before it are durable")
    void pipelined_in_order() {
        KnotEventServer s = server();
        PipelinedSink pipelined = threeInFlight(s);
        assertEquals(List.of("submit p00", "submit p01", "submit p02"), journal, "three in flight at once");

        pipelined.complete("p01");
        pipelined.complete("p02");
        // Durable, but behind p00: neither dispatched nor checkpointed. The consumer is woken by
        // each completion; the journal stays as it was until p00 is durable too.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> journal.size() == 3);
        assertTrue(store.cursor(s.host()).isEmpty());

        pipelined.complete("p00");
        await().until(() -> journal.size() == 9);
        assertEquals(List.of("submit p00", "submit p01", "submit p02", "then p00", "save", "then p01", "save", "then p02", "save"),
                journal.stream().map(e -> e.startsWith("save ") ? "save" : e).toList());
        assertEquals(java.util.stream.Stream.of("p00", "p01", "p02")
                .map(r -> KnotConsumer.unixNanos(pipelined.triggers.get(r).receivedAt())).toList(), saves());
    }

    @Test
    @DisplayName("pipelined: a trigger that fails is not checkpointed past, later durable ones are still dispatched, and the rewind re-delivers from it")
    void pipelined_failure() {
        KnotEventServer s = server();
        PipelinedSink pipelined = threeInFlight(s);
        pipelined.complete("p00");
        pipelined.complete("p02");
        pipelined.results.get("p01").completeExceptionally(new IllegalStateException("disk full"));
        // p00 is saved; p01 failed; p02's runs exist, so they are dispatched, but not checkpointed.
        await().until(() -> journal.contains("then p02"));
        List<String> firstLife = journal.stream().map(e -> e.startsWith("save ") ? "save" : e).toList();
        assertEquals(List.of("submit p00", "submit p01", "submit p02", "then p00", "save", "then p02"),
                firstLife.subList(0, 6));
        // The connection is dropped and the rewind asks for p01 and p02 again (the real sink
        // answers DUPLICATE for p02, so nothing runs twice).
        await().until(() -> s.connectionsAccepted() == 2 && journal.contains("submit p01")
                && journal.lastIndexOf("submit p01") > journal.indexOf("then p02"));
        assertEquals(1, saves().size(), "nothing checkpointed past the failure");
        assertTrue(journal.subList(journal.indexOf("then p02"), journal.size()).contains("submit p02"), "p02 re-delivered");
    }

    /** The checkpoints saved so far, in order. */
    List<Long> saves() {
        return journal.stream().filter(e -> e.startsWith("save ")).map(e -> Long.parseLong(e.substring(5))).toList();
    }

    @Test
    @DisplayName("when the sink throws, nothing is checkpointed past it and the reconnect re-delivers it")
    void sink_failure_redelivers() {
        KnotEventServer s = server();
        AtomicBoolean failOnce = new AtomicBoolean(true);
        sink.hook(t -> {
            if (TestRkeys.label(t.pipeline().rkey()).equals("p02") && failOnce.getAndSet(false)) {
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
            s.publishPipeline(TestRkeys.tid("bad1"), record(s, "bad1").replace("\"workflows\"", "\"workflowz\""));
            publish(s, "good");
            await().until(() -> sink.accepted.size() == 1);
        } finally {
            System.setErr(savedErr);
            System.setOut(savedOut);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertTrue(out.contains("trigger rejected from " + s.host() + " rkey " + TestRkeys.tid("bad1") + ": workflows is missing"), out);
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

    /**
     * The time a consumer's dead-stream rule measures silence in, moved by hand. Reads by the
     * consumer's processing thread are its judgements of the silence (nothing else on that thread
     * reads it while a connection is up); reads by other threads are the socket reader stamping a
     * frame, ping or pong as it arrives. Reads and moves are serialised, so a read counted after a
     * move returned the moved time.
     */
    static final class ManualTicker implements LongSupplier {
        private final String processingThread;
        private long now;
        private int judgements;
        private volatile long lastStamp = Long.MIN_VALUE;
        private volatile Thread lastStamper;

        /** @param knot the consumer's knot, which names its processing thread */
        ManualTicker(String knot) {
            this.processingThread = "knot-consumer-" + knot;
        }

        @Override
        public synchronized long getAsLong() {
            if (Thread.currentThread().getName().equals(processingThread)) {
                judgements++;
            } else {
                lastStamp = now;
                lastStamper = Thread.currentThread();
            }
            return now;
        }

        /** Moves the time on; returns the new time. */
        synchronized long advance(Duration d) {
            now += d.toNanos();
            return now;
        }

        /** How many times the processing thread has read the time (judged the silence). */
        synchronized int judgements() {
            return judgements;
        }

        /** The time the socket reader last stamped an arrival with. */
        long lastStamp() {
            return lastStamp;
        }

        /** The socket reader thread that stamped last, or null. */
        Thread lastStamper() {
            return lastStamper;
        }
    }

    /** The system clock, counting reads: a consumer takes one receive time per frame it reads. */
    static final class FrameClock extends Clock {
        private final AtomicInteger reads = new AtomicInteger();

        int reads() {
            return reads.get();
        }

        @Override
        public Instant instant() {
            reads.incrementAndGet();
            return Instant.now();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
    // ---------------------------------------------------------------- syntax at intake, created checkpoints

    KnotEventServer server(Clock clock, KnotEventServer.Shape shape) {
        KnotEventServer s = new KnotEventServer(0, Duration.ofMinutes(1), clock, shape).start();
        closeLater.add(s);
        return s;
    }

    /** Runs {@code r} with slf4j-simple's output (System.err, or System.out) captured; returns it. */
    static String capturingLog(Runnable r) {
        PrintStream savedErr = System.err;
        PrintStream savedOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream tee = new PrintStream(captured, true, StandardCharsets.UTF_8);
        System.setErr(tee);
        System.setOut(tee);
        try {
            r.run();
        } finally {
            System.setErr(savedErr);
            System.setOut(savedOut);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("an rkey that is not a TID record key is refused with a log line naming the knot and why; the next frame still arrives")
    void bad_rkeys_refused_stream_continues() {
        KnotEventServer s = server();
        KnotConsumer c = connected(s, Clock.systemUTC());
        record Bad(String rkey, String shown, String reason) {
        }
        List<Bad> bads = List.of(
                new Bad("..", "\"..\"", "rkey is not a record key: record key \"..\" is not allowed"),
                new Bad(".", "\".\"", "rkey is not a record key: record key \".\" is not allowed"),
                new Bad("", "\"\"", "rkey is not a record key: record key is empty"),
                new Bad(" ", "\" \"", "rkey is not a record key: record key \" \" has the disallowed character U+0020"),
                new Bad("\u0000", "\"\\u0000\"", "rkey is not a record key: record key \"\\u0000\" has the disallowed character U+0000"),
                new Bad("3".repeat(513), dev.weft.model.AtSyntax.quote("3".repeat(513)),
                        "rkey is not a record key: record key is 513 characters, over the 512 allowed"),
                new Bad("3kcaf\u00e9aaaaaa", "\"3kcaf\\u00e9aaaaaa\"", "has the disallowed character U+00E9"),
                new Bad("self", "self", "rkey is not a TID, as pipeline rkeys are: TID \"self\" is 4 characters, not 13"));
        for (int i = 0; i < bads.size(); i++) {
            Bad bad = bads.get(i);
            String next = "next" + i;
            String log = capturingLog(() -> {
                s.publishPipeline(bad.rkey(), record(s, "bad"));
                publish(s, next);
                await("the valid frame after " + bad.shown()).until(() -> sink.rkeys().contains(next));
            });
            assertTrue(log.contains("trigger rejected from " + s.host() + " rkey " + bad.shown() + ": "),
                    bad.shown() + " not logged as refused: " + log);
            assertTrue(log.contains(bad.reason()), "reason for " + bad.shown() + ": " + log);
        }
        assertEquals(IntStream.range(0, bads.size()).mapToObj(i -> "next" + i).toList(), sink.rkeys(),
                "nothing of the refused frames was handed on");
        assertEquals(bads.size(), rejected(s.host(), "invalid"));
        assertEquals(1, s.connectionsAccepted(), "a refused rkey never costs the connection");
        assertTrue(c.isConnected());
    }

    @Test
    @DisplayName("a lone surrogate in a workflow name is refused at intake, not published as '?'; the next frame still arrives")
    void lone_surrogate_refused() {
        KnotEventServer s = server();
        connected(s, Clock.systemUTC());
        // The JSON escape goes over the wire as six ASCII characters; the parser makes it a lone surrogate.
        String bad = record(s, "lone").replace("\"ci.yml\"", "\"ci\\ud800.yml\"");
        assertTrue(bad.contains("ci\\ud800.yml"), bad);
        String log = capturingLog(() -> {
            s.publishPipeline(TestRkeys.tid("lone"), bad);
            publish(s, "next");
            await().until(() -> sink.rkeys().contains("next"));
        });
        assertTrue(log.contains("trigger rejected from " + s.host() + " rkey " + TestRkeys.tid("lone")
                + ": workflows[0].name is not valid text: unpaired UTF-16 surrogate U+D800 at index 2"), log);
        assertEquals(List.of("next"), sink.rkeys());
        assertEquals(1.0, rejected(s.host(), "invalid"));
    }

    @Test
    @DisplayName("with created frames the checkpoint is the last processed frame's created, not the receive time")
    void created_checkpoints() {
        MutableClock knotClock = new MutableClock(Instant.parse("2025-12-01T10:00:00Z"));
        KnotEventServer s = server(knotClock, KnotEventServer.Shape.CREATED);
        connected(s, Clock.systemUTC());
        publish(s, "p01");
        knotClock.advance(Duration.ofSeconds(1));
        long p02 = s.publishPipeline(TestRkeys.tid("p02"), record(s, "p02"));
        await().until(() -> sink.accepted.size() == 2);
        await("the checkpoint of p02").until(() -> store.cursor(s.host()).getAsLong() == p02);

        // Frames of other nsids and refused records checkpoint on created too.
        knotClock.advance(Duration.ofSeconds(1));
        long other = s.publish("sh.tangled.git.refUpdate", "3kaaaaaaaaaa2", "{}");
        await("the checkpoint of the refUpdate").until(() -> store.cursor(s.host()).getAsLong() == other);
        knotClock.advance(Duration.ofSeconds(1));
        long refused = s.publishPipeline("..", record(s, "x"));
        await("the checkpoint of the refused frame").until(() -> store.cursor(s.host()).getAsLong() == refused);
        assertEquals(List.of("p01", "p02"), sink.rkeys());
    }

    @Test
    @DisplayName("legacy frames (no created) keep receive-time checkpoints")
    void legacy_receive_time_checkpoints() {
        Instant knotTime = Instant.parse("2025-12-01T10:00:00Z");
        Instant localTime = Instant.parse("2025-12-01T12:34:56.789Z");
        KnotEventServer s = server(Duration.ofMinutes(1), new MutableClock(knotTime));
        connected(s, new MutableClock(localTime));
        long id = s.publishPipeline(TestRkeys.tid("p01"), record(s, "p01"));
        await().until(() -> sink.accepted.size() == 1);
        await().until(() -> store.cursor(s.host()).isPresent());
        assertEquals(KnotConsumer.unixNanos(localTime), store.cursor(s.host()).getAsLong());
        assertTrue(id < KnotConsumer.unixNanos(localTime), "the knot's id is on another clock");
    }

    /** A sink that de-duplicates by rkey, as the real one does by (knot, rkey), and counts outcomes. */
    static final class DedupSink implements TriggerSink {
        final java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final List<String> acceptedOnce = new CopyOnWriteArrayList<>();
        final List<String> duplicates = new CopyOnWriteArrayList<>();
        volatile java.util.function.Consumer<String> before = r -> { };

        @Override
        public Outcome accept(Trigger t) {
            String label = TestRkeys.label(t.pipeline().rkey());
            before.accept(label);
            if (!seen.add(label)) {
                duplicates.add(label);
                return Outcome.DUPLICATE;
            }
            acceptedOnce.add(label);
            return Outcome.ACCEPTED;
        }
    }

    @Test
    @DisplayName("a crash while catching up on a backlog older than the replay window: the restart resumes from the last created, nothing lost, nothing run twice")
    void crash_during_backlog_resumes_on_created() throws Exception {
        // The knot's events are hours older than the replay window (10 s) by the consumer's clock:
        // a receive-time checkpoint taken while catching up would resume after all of them.
        MutableClock knotClock = new MutableClock(Instant.now().minus(Duration.ofHours(3)));
        KnotEventServer s = server(knotClock, KnotEventServer.Shape.CREATED);
        String[] keys = rkeys(30);
        long[] ids = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            knotClock.advance(Duration.ofMillis(1));
            ids[i] = s.publishPipeline(TestRkeys.tid(keys[i]), record(s, keys[i]));
        }
        assertTrue(ids[keys.length - 1] < KnotConsumer.unixNanos(Instant.now()) - options.replayWindow().toNanos());
        // The checkpoint before the backlog, as a previous run left it.
        store.put(s.host(), ids[0] - 1 + options.replayWindow().toNanos());

        DedupSink dedup = new DedupSink();
        CountDownLatch reached = new CountDownLatch(1);
        dedup.before = label -> {
            if (label.equals("p12")) {
                reached.countDown();
                try {
                    new CountDownLatch(1).await(); // until the crash interrupts it
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("crashed while writing p12");
                }
            }
        };
        options = options.withCloseTimeout(Duration.ofMillis(100));
        KnotConsumer first = new KnotConsumer(s.host(), true, dedup, store, options, Clock.systemUTC(), registry);
        closeLater.add(first);
        first.start();
        assertTrue(reached.await(10, TimeUnit.SECONDS), "the first consumer reached p12");
        first.close(); // the crash: p12 is not durable, so not checkpointed
        assertEquals(ids[11], store.cursor(s.host()).getAsLong(), "the checkpoint is p11's created");
        assertEquals(IntStream.range(0, 12).mapToObj(i -> keys[i]).toList(), dedup.acceptedOnce);

        dedup.before = label -> { };
        KnotConsumer second = new KnotConsumer(s.host(), true, dedup, store, options, Clock.systemUTC(), registry);
        closeLater.add(second);
        second.start();
        await("every trigger of the backlog").until(() -> dedup.acceptedOnce.size() == keys.length);
        await("the checkpoint of the last one").until(() -> store.cursor(s.host()).getAsLong() == ids[keys.length - 1]);
        assertEquals(List.of(keys), dedup.acceptedOnce, "each accepted exactly once, in order");
        assertEquals(IntStream.range(0, 12).mapToObj(i -> keys[i]).toList(), dedup.duplicates,
                "the rewind re-delivers only what was already durable, and the sink absorbs it");
        assertEquals(Long.toString(ids[11] - options.replayWindow().toNanos()), s.requestedCursors().getLast(),
                "the restart asks for p11's created minus the replay window");
    }
}
