package dev.weft.server;

import dev.weft.testing.WebSocketRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("/events")
class EventsEndpointTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    private ServerFixture server(ServerOptions options) {
        return track(new ServerFixture(options));
    }

    private WebSocketRecorder connect(ServerFixture s, String pathAndQuery) {
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(pathAndQuery)));
        assertEquals(101, ws.handshakeStatus(), "handshake for " + pathAndQuery);
        return ws;
    }

    @ParameterizedTest(name = "cursor query \"{0}\" streams everything from the beginning, then live (spec tangled-ci 5.3)")
    @ValueSource(strings = {"", "?cursor=0", "?cursor=abc", "?cursor=", "?cursor=99999999999999999999999"})
    void fromTheBeginning(String query) {
        ServerFixture s = server(ServerOptions.defaults());
        for (long id = 1; id <= 5; id++) s.events.append(id);

        WebSocketRecorder ws = connect(s, "/events" + query);
        assertEquals(LongStream.rangeClosed(1, 5).mapToObj(TestEventFeed::frame).toList(), ws.awaitFrames(5, WAIT));
        s.events.append(6);
        assertEquals(TestEventFeed.frame(6), ws.awaitFrame(WAIT));
        assertEquals(6, ws.frames().size(), "the backlog, then the live event, once each");
    }

    @Test
    @DisplayName("a positive cursor resends from cursor minus the skew allowance, then follows live")
    void positiveCursorWithSkew() {
        ServerFixture s = server(ServerOptions.builder().skewAllowance(Duration.ofMinutes(2)).build());
        long base = TimeUnit.DAYS.toNanos(20_000);
        long[] ids = {base - TimeUnit.MINUTES.toNanos(5), base - TimeUnit.SECONDS.toNanos(121),
                base - TimeUnit.SECONDS.toNanos(119), base - TimeUnit.SECONDS.toNanos(1), base, base + 1};
        for (long id : ids) s.events.append(id);

        WebSocketRecorder ws = connect(s, "/events?cursor=" + base);
        List<String> expected = LongStream.of(ids[2], ids[3], ids[4], ids[5]).mapToObj(TestEventFeed::frame).toList();
        assertEquals(expected, ws.awaitFrames(4, WAIT));

        s.events.append(base + 2);
        assertEquals(TestEventFeed.frame(base + 2), ws.awaitFrame(WAIT));
        assertEquals(5, ws.frames().size());
    }

    @Test
    @DisplayName("a negative cursor streams everything, then live, with no gap or duplicate while events pour in")
    void negativeCursorBackfillThenLive() throws Exception {
        ServerFixture s = server(ServerOptions.defaults());
        int backlog = 10_000;
        int live = 10_000;
        for (long id = 1; id <= backlog; id++) s.events.put(id);

        // Start appending the moment the connection subscribes, which is just before its first
        // backfill read, so appends and wake-ups land while the backlog is being streamed.
        Thread appender = Thread.ofPlatform().start(() -> {
            while (s.events.subscribers() == 0) Thread.onSpinWait();
            for (long id = backlog + 1; id <= backlog + live; id++) s.events.append(id);
        });
        WebSocketRecorder ws = connect(s, "/events?cursor=-1");
        List<String> got = ws.awaitFrames(backlog + live, Duration.ofSeconds(60));
        appender.join();

        assertEquals(backlog + live, new HashSet<>(got).size(), "duplicates");
        for (int i = 0; i < got.size(); i++) {
            if (!got.get(i).equals(TestEventFeed.frame(i + 1))) {
                throw new AssertionError("frame " + i + " should be event " + (i + 1) + " but was " + got.get(i));
            }
        }
        s.events.append(backlog + live + 1);
        assertEquals(TestEventFeed.frame(backlog + live + 1), ws.awaitFrame(WAIT));
    }

    @Test
    @DisplayName("frames are exactly StatusFrames.frame bytes")
    void exactBytes() {
        ServerFixture s = server(ServerOptions.defaults());
        s.events.append(42);
        WebSocketRecorder ws = connect(s, "/events?cursor=-5");
        ws.awaitFrame(WAIT);
        assertEquals(new String(dev.weft.wire.StatusFrames.frame(TestEventFeed.event(42)), StandardCharsets.UTF_8),
                new String(ws.rawFrames().get(0), StandardCharsets.UTF_8));
        assertTrue(java.util.Arrays.equals(dev.weft.wire.StatusFrames.frame(TestEventFeed.event(42)), ws.rawFrames().get(0)));
    }

    @Test
    @DisplayName("an idle stream is pinged; client pings are answered and client text is ignored")
    void pingsAndClientFrames() {
        ServerFixture s = server(ServerOptions.builder().pingIdle(Duration.ofMillis(200)).build());
        WebSocketRecorder ws = connect(s, "/events");
        await().atMost(WAIT).until(() -> ws.pingsReceived() >= 2);

        ws.send("hello?");
        ws.sendPing();
        await().atMost(WAIT).until(() -> ws.pongsReceived() >= 1);
        s.events.append(1);
        assertEquals(TestEventFeed.frame(1), ws.awaitFrame(WAIT));
        assertEquals(null, ws.closeCode(), "the stream stays open");
    }

    @Test
    @DisplayName("a client close is answered, and the subscription and gauge are released")
    void clientClose() {
        ServerFixture s = server(ServerOptions.defaults());
        WebSocketRecorder ws = connect(s, "/events");
        await().atMost(WAIT).until(() -> s.gauge("weft.events.connections") == 1.0);
        assertEquals(1, s.events.subscribers());

        ws.close();
        assertEquals(1000, ws.awaitClose(WAIT));
        await().atMost(WAIT).until(() -> s.gauge("weft.events.connections") == 0.0 && s.events.subscribers() == 0);
    }

    @Test
    @DisplayName("server close sends 1001 going away")
    void serverCloseGoesAway() {
        ServerFixture s = new ServerFixture();
        WebSocketRecorder ws = connect(s, "/events");
        s.close();
        assertEquals(1001, ws.awaitClose(WAIT));
    }

    @Test
    @DisplayName("a client that stops reading is disconnected, and the server reads only a bounded amount for it")
    void slowClientDisconnected() throws Exception {
        EndlessEventFeed feed = new EndlessEventFeed();
        ServerFixture s = track(new ServerFixture(feed, ServerOptions.builder()
                .slowClientTimeout(Duration.ofMillis(500)).writeBufferHighWaterMark(64 * 1024).build()));

        Socket raw = stalledClient(s, "/events?cursor=-1");
        try {
            await().atMost(WAIT).until(() -> s.counter("weft.ws.slow_disconnects", "endpoint", "events") == 1.0);
            await().atMost(WAIT).until(() -> s.gauge("weft.events.connections") == 0.0);
            long served = feed.maxServed.get();
            // Kernel socket buffers plus the write buffer hold at most a few tens of thousands of
            // ~300-byte frames; a server ignoring writability would run through the endless feed.
            assertTrue(served > 0 && served < 100_000, "events read for a stalled client: " + served);
        } finally {
            raw.close(); // only now: until here the client must look alive but stalled
        }
    }

    /**
     * Opens a WebSocket with a raw socket that has a tiny receive buffer, reads the 101 response,
     * and then never reads again.
     */
    static Socket stalledClient(ServerFixture s, String pathAndQuery) throws Exception {
        Socket raw = new Socket();
        raw.setReceiveBufferSize(4096);
        raw.connect(new InetSocketAddress("127.0.0.1", s.server.port()), 5000);
        raw.setSoTimeout(5000);
        OutputStream out = raw.getOutputStream();
        out.write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = raw.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) throw new AssertionError("closed during handshake: " + head);
            head.append((char) b);
        }
        assertTrue(head.toString().startsWith("HTTP/1.1 101"), head.toString());
        return raw;
    }
}
