package dev.weft.knot;

import dev.weft.testkit.LiveThreads;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("KnotSupervisor")
class KnotSupervisorTest {

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final RecordingSink sink = new RecordingSink();
    final MemoryCursorStore store = new MemoryCursorStore();
    final List<AutoCloseable> closeLater = new ArrayList<>();
    /** Threads alive before the test: the baseline for "what this test started". */
    final Set<Long> threadsBefore = LiveThreads.ids();
    final KnotOptions options = KnotOptions.defaults()
            .withReplayWindow(Duration.ofSeconds(10))
            .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200))
            .withConnectTimeout(Duration.ofSeconds(2))
            .withCloseTimeout(Duration.ofSeconds(2));
    final KnotSupervisor supervisor = new KnotSupervisor(sink, store, true, options, Clock.systemUTC(), registry);

    @AfterEach
    void tearDown() throws Exception {
        supervisor.close();
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    KnotEventServer server() {
        KnotEventServer s = new KnotEventServer().start();
        closeLater.add(s);
        return s;
    }

    /** Names of the knot consumers' processing threads this test started, sorted. */
    List<String> consumerThreads() {
        return LiveThreads.startedSince(threadsBefore, t -> false).stream().map(LiveThreads.LiveThread::name)
                .filter(n -> n.startsWith("knot-consumer-")).sorted().toList();
    }

    /** Socket reader threads of WebSocket client connections this test started (one per connection). */
    long socketReaders() {
        return LiveThreads.startedSince(threadsBefore, t -> false).stream()
                .filter(t -> t.stack().stream().anyMatch(f -> f.contains("org.java_websocket.client.WebSocketClient.run(")))
                .count();
    }

    static void publish(KnotEventServer s, String rkey) {
        s.publishPipeline(TestRkeys.tid(rkey), KnotConsumerTest.record(s, rkey));
    }

    @Test
    @DisplayName("adds and removes knots at run time; each knot's triggers carry that knot")
    void add_remove_at_run_time() {
        KnotEventServer a = server();
        KnotEventServer b = server();
        assertTrue(supervisor.add(a.host()));
        await().until(() -> supervisor.isConnected(a.host()) && a.connectionCount() == 1);
        publish(a, "a1");
        await().until(() -> sink.rkeys(a.host()).equals(List.of("a1")));

        assertTrue(supervisor.add(b.host()));
        await().until(() -> supervisor.isConnected(b.host()) && b.connectionCount() == 1);
        assertEquals(Set.of(a.host(), b.host()), supervisor.knots());
        publish(b, "b1");
        publish(a, "a2");
        await().until(() -> sink.rkeys(b.host()).equals(List.of("b1")) && sink.rkeys(a.host()).equals(List.of("a1", "a2")));

        assertTrue(supervisor.remove(a.host()));
        await().until(() -> a.connectionCount() == 0);
        assertFalse(supervisor.isConnected(a.host()));
        assertEquals(Set.of(b.host()), supervisor.knots());
        assertNull(registry.find("weft.knot.connected").tag("knot", a.host()).gauge(), "a removed knot's gauge goes");
        publish(a, "a3");
        publish(b, "b2");
        await().until(() -> sink.rkeys(b.host()).equals(List.of("b1", "b2")));
        assertEquals(List.of("a1", "a2"), sink.rkeys(a.host()), "nothing from a removed knot");
        assertEquals(1, a.connectionsAccepted());

        // Re-adding resumes from the checkpoint minus the replay window: a3 comes back.
        assertTrue(supervisor.add(a.host()));
        await().until(() -> sink.rkeys(a.host()).contains("a3"));
        assertNotNull(registry.find("weft.knot.connected").tag("knot", a.host()).gauge());
        await().until(() -> registry.get("weft.knot.connected").tag("knot", a.host()).gauge().value() == 1.0);
    }

    @Test
    @DisplayName("add and remove are idempotent; unknown knots are simply absent")
    void idempotent() {
        KnotEventServer a = server();
        assertTrue(supervisor.add(a.host()));
        assertFalse(supervisor.add(a.host()));
        await().until(() -> a.connectionCount() == 1);
        assertEquals(1, a.connectionsAccepted(), "a second add does not open a second connection");
        assertTrue(supervisor.remove(a.host()));
        assertFalse(supervisor.remove(a.host()));
        assertFalse(supervisor.remove("never.example.com"));
        assertFalse(supervisor.remove(null));
        assertFalse(supervisor.isConnected("never.example.com"));
        assertFalse(supervisor.isConnected(null));
        assertEquals(Set.of(), supervisor.knots());
        assertThrows(IllegalArgumentException.class, () -> supervisor.add("https://knot.example.com"));
    }

    @Test
    @DisplayName("concurrent adds and removes from many threads leave exactly what the last call per knot said")
    void concurrent_calls() throws Exception {
        List<KnotEventServer> servers = List.of(server(), server(), server());
        CountDownLatch go = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int seed = t;
                fs.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < 20; i++) {
                        KnotEventServer s = servers.get((seed + i) % servers.size());
                        if ((seed + i) % 2 == 0) supervisor.add(s.host());
                        else supervisor.remove(s.host());
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : fs) f.get();
        }
        // Settle to a known state, then check every server sees exactly what the supervisor says.
        supervisor.add(servers.get(0).host());
        supervisor.remove(servers.get(1).host());
        supervisor.add(servers.get(2).host());
        assertEquals(Set.of(servers.get(0).host(), servers.get(2).host()), supervisor.knots());
        await().until(() -> servers.get(0).connectionCount() == 1 && servers.get(1).connectionCount() == 0
                && servers.get(2).connectionCount() == 1);
        // Nothing the races started is left to connect later: one consumer per added knot, and one
        // socket reader per connection they hold. Then the servers' counts are final.
        await("only the two added knots' consumers and connections left").until(() ->
                consumerThreads().equals(List.of("knot-consumer-" + servers.get(0).host(), "knot-consumer-" + servers.get(2).host())
                        .stream().sorted().toList()) && socketReaders() == 2);
        await().until(() -> servers.get(0).connectionCount() == 1 && servers.get(1).connectionCount() == 0
                && servers.get(2).connectionCount() == 1);
    }

    @Test
    @DisplayName("a knot removed while its consumer is still connecting leaves no connection behind")
    void rapid_add_remove_leaks_nothing() {
        KnotEventServer a = server();
        for (int i = 0; i < 40; i++) {
            supervisor.add(a.host());
            supervisor.remove(a.host());
        }
        // No consumer and no socket reader of the 40 is left, so nothing can still connect; then
        // the server has seen every connection end.
        await("every removed consumer and its connections gone").until(() -> consumerThreads().isEmpty() && socketReaders() == 0);
        await().until(() -> a.connectionCount() == 0);
        supervisor.add(a.host());
        await().until(() -> a.connectionCount() == 1 && supervisor.isConnected(a.host()));
    }

    @Test
    @DisplayName("close stops every consumer and refuses later adds")
    void close_all() {
        KnotEventServer a = server();
        KnotEventServer b = server();
        supervisor.add(a.host());
        supervisor.add(b.host());
        await().until(() -> a.connectionCount() == 1 && b.connectionCount() == 1);
        supervisor.close();
        await().until(() -> a.connectionCount() == 0 && b.connectionCount() == 0);
        assertEquals(Set.of(), supervisor.knots());
        assertThrows(IllegalStateException.class, () -> supervisor.add(a.host()));
        supervisor.close(); // idempotent
    }
}
