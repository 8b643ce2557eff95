package dev.weft.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket08FrameDecoder;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("FrameStreamHandler on an in-memory channel")
class FrameStreamHandlerTest {
    private static final ServerOptions OPTIONS = ServerOptions.builder().streamBatch(10)
            .slowClientTimeout(Duration.ofSeconds(30)).maxPendingBytes(4096).closeHandshakeTimeout(Duration.ofSeconds(5))
            .build();

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ServerMetrics metrics = new ServerMetrics(registry);
    private final StallableChannel ch = new StallableChannel(1024, 2048);
    private final TestEventFeed feed = new TestEventFeed();

    @AfterEach
    void release() {
        ch.finishAndReleaseAll();
    }

    private FrameStreamHandler eventsFrom(long start) {
        return install(new FrameStreamHandler(ServerMetrics.EVENTS, "test", new EventFrames(feed), start, OPTIONS, metrics));
    }

    /** Adds the handler with the server's tail behind it (queued writes fail when a channel closes), and runs it. */
    private FrameStreamHandler install(FrameStreamHandler h) {
        ch.pipeline().addLast(h);
        ch.pipeline().addLast(new TailHandler());
        ch.runPendingTasks();
        return h;
    }

    /**
     * Every frame written so far, in order: frame objects as written (close, ping), and the frames
     * the stream gathers into buffers parsed back by Netty's own client-side decoder, which also
     * checks their framing.
     */
    private List<WebSocketFrame> written() {
        List<WebSocketFrame> out = new ArrayList<>();
        Object m;
        while ((m = ch.readOutbound()) != null) {
            if (m instanceof WebSocketFrame f) {
                out.add(f);
                continue;
            }
            EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 24, false));
            client.writeInbound(m);
            for (Object d; (d = client.readInbound()) != null; ) out.add((WebSocketFrame) d);
            client.finishAndReleaseAll();
        }
        return out;
    }

    /** The text of every frame written so far, releasing them; a close frame reads "close <code> <reason>". */
    private List<String> drain() {
        List<String> out = new ArrayList<>();
        for (WebSocketFrame f : written()) {
            if (f instanceof TextWebSocketFrame t) out.add(t.text());
            else if (f instanceof CloseWebSocketFrame c) out.add("close " + c.statusCode() + " " + c.reasonText());
            else out.add(f.getClass().getSimpleName());
            f.release();
        }
        return out;
    }

    private static List<String> eventFrames(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(id -> TestEventFeed.frame(id)).toList();
    }

    @Test
    @DisplayName("subscribes before its first read")
    void subscribeFirst() {
        List<String> calls = new CopyOnWriteArrayList<>();
        FrameSource source = new FrameSource() {
            @Override
            public AutoCloseable subscribe(Runnable wake) {
                calls.add("subscribe");
                return () -> calls.add("unsubscribe");
            }

            @Override
            public Chunk read(long after, int limit) {
                calls.add("read " + after);
                return new Chunk(List.of(), false);
            }
        };
        install(new FrameStreamHandler(ServerMetrics.EVENTS, "test", source, 7, OPTIONS, metrics));
        assertEquals(List.of("subscribe", "read 7"), calls);
        ch.close();
        assertEquals("unsubscribe", calls.get(calls.size() - 1));
    }

    @Test
    @DisplayName("streams everything after its start position in order, then follows appends")
    void backfillThenLive() {
        for (long id = 1; id <= 250; id++) feed.put(id);
        eventsFrom(50);
        assertEquals(eventFrames(51, 250), drain());
        feed.append(251);
        ch.runPendingTasks();
        assertEquals(eventFrames(251, 251), drain());
        assertEquals(1.0, metrics.eventsConnections.get());
    }

    @Test
    @DisplayName("reads only while writable, and resumes exactly where it stopped, appends included")
    void backpressure() {
        for (long id = 1; id <= 300; id++) feed.put(id);
        ch.stall();
        FrameStreamHandler h = eventsFrom(0);
        assertFalse(ch.isWritable());
        long frameSize = TestEventFeed.frame(1).length() + FrameStreamHandler.MAX_FRAME_HEADER + 96; // Netty's entry overhead
        assertTrue(ch.pendingBytes() <= 2048 + frameSize, "queued " + ch.pendingBytes());
        long stoppedAt = h.position();
        assertTrue(stoppedAt < 20, "read ahead to " + stoppedAt);

        List<String> got = new ArrayList<>();
        long next = 301;
        while (got.size() < 400) {
            if (next <= 400) feed.append(next++); // live appends while the backlog is still streaming
            ch.resume();
            got.addAll(drain());
            ch.stall();
            ch.runPendingTasks();
        }
        assertEquals(eventFrames(1, 400), got);
    }

    @Test
    @DisplayName("a channel unwritable for the slow-client timeout is closed, counted and unsubscribed")
    void slowTimer() {
        for (long id = 1; id <= 300; id++) feed.put(id);
        ch.freezeTime();
        ch.stall();
        eventsFrom(0);
        assertEquals(1, feed.subscribers());
        ch.advanceTimeBy(29, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen(), "not yet");
        ch.advanceTimeBy(2, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
        assertEquals(1.0, registry.get("weft.ws.slow_disconnects").tag("endpoint", "events").counter().count());
        assertEquals(0, feed.subscribers());
        assertEquals(0, metrics.eventsConnections.get());
    }

    @Test
    @DisplayName("becoming writable again in time cancels the slow-client timer")
    void slowTimerCancelled() {
        for (long id = 1; id <= 30; id++) feed.put(id);
        ch.freezeTime();
        ch.stall();
        eventsFrom(0);
        ch.advanceTimeBy(20, TimeUnit.SECONDS);
        ch.resume();
        drain();
        ch.advanceTimeBy(20, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertTrue(ch.isOpen());
        assertEquals(0.0, registry.get("weft.ws.slow_disconnects").tag("endpoint", "events").counter().count());
    }

    @Test
    @DisplayName("bytes queued beyond the last frame over the cap close the channel at once")
    void pendingCap() {
        feed.put(1);
        ch.stall();
        eventsFrom(0);
        assertTrue(ch.isOpen());
        ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[5000])); // something written around the stream's gating
        feed.append(2);
        ch.runPendingTasks();
        assertFalse(ch.isOpen());
        assertEquals(1.0, registry.get("weft.ws.slow_disconnects").tag("endpoint", "events").counter().count());
    }

    @Test
    @DisplayName("one frame bigger than the cap does not trip it")
    void hugeFrameAllowed() {
        TestLogFeed.TestLog log = new TestLogFeed.TestLog().append(new byte[100_000]);
        ch.stall();
        install(new FrameStreamHandler(ServerMetrics.LOGS, "test", new LogFrames(log), 0, OPTIONS, metrics));
        assertTrue(ch.pendingBytes() >= 100_000);
        assertTrue(ch.isOpen());
        assertFalse(FrameStreamHandler.overCap(100_014 + 2000, 100_014, 4096));
        assertTrue(FrameStreamHandler.overCap(100_014 + 5000, 100_014, 4096));
    }

    @Test
    @DisplayName("a complete log sends its lines, then close 1000 'log stream complete', then waits for the client")
    void logCompletion() {
        TestLogFeed.TestLog log = new TestLogFeed.TestLog().appendLines(1, 25).finish();
        ch.freezeTime();
        install(new FrameStreamHandler(ServerMetrics.LOGS, "test", new LogFrames(log), 0, OPTIONS, metrics));
        List<String> expected = new ArrayList<>(IntStream.rangeClosed(1, 25).mapToObj(TestLogFeed.TestLog::line).toList());
        expected.add("close 1000 log stream complete");
        assertEquals(expected, drain());
        assertEquals(Boolean.TRUE, ch.attr(WebSocketControlHandler.CLOSE_SENT).get());
        assertEquals(0, log.subscribers());
        assertTrue(ch.isOpen(), "waits for the client's close frame");
        ch.advanceTimeBy(6, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertFalse(ch.isOpen());
    }

    @Test
    @DisplayName("nothing is written after the client started closing")
    void peerClosing() {
        eventsFrom(0);
        ch.pipeline().fireUserEventTriggered(WebSocketControlHandler.PEER_CLOSING);
        feed.append(1);
        ch.runPendingTasks();
        assertNull(ch.readOutbound());
    }

    @Test
    @DisplayName("an item without bytes (it could not be encoded) is skipped rather than blocking the stream")
    void unsendableSkipped() {
        FrameSource source = new FrameSource() {
            @Override
            public AutoCloseable subscribe(Runnable wake) {
                return () -> {
                };
            }

            @Override
            public Chunk read(long after, int limit) {
                List<Frame> all = List.of(new Frame(1, "a".getBytes(StandardCharsets.UTF_8)), new Frame(2, null),
                        new Frame(3, "c".getBytes(StandardCharsets.UTF_8)));
                return new Chunk(all.stream().filter(f -> f.position() > after).limit(limit).toList(), false);
            }
        };
        FrameStreamHandler h = install(new FrameStreamHandler(ServerMetrics.EVENTS, "test", source, 0, OPTIONS, metrics));
        assertEquals(List.of("a", "c"), drain());
        assertEquals(3, h.position());
    }

    @Test
    @DisplayName("a feed that throws ends the stream with 1011")
    void feedFailure() {
        FrameSource broken = new FrameSource() {
            @Override
            public AutoCloseable subscribe(Runnable wake) {
                return () -> {
                };
            }

            @Override
            public Chunk read(long after, int limit) {
                throw new IllegalStateException("store closed");
            }
        };
        install(new FrameStreamHandler(ServerMetrics.EVENTS, "test", broken, 0, OPTIONS, metrics));
        assertEquals(List.of("close 1011 internal error"), drain());
    }

    @Test
    @DisplayName("raw frame bytes are sent as they are")
    void rawBytes() {
        byte[] frame = "{\"content\":\"\u00e9\"}".getBytes(StandardCharsets.UTF_8);
        TestLogFeed.TestLog log = new TestLogFeed.TestLog().append(frame);
        install(new FrameStreamHandler(ServerMetrics.LOGS, "test", new LogFrames(log), 0, OPTIONS, metrics));
        TextWebSocketFrame f = (TextWebSocketFrame) written().getFirst();
        byte[] got = new byte[f.content().readableBytes()];
        f.content().getBytes(0, got);
        f.release();
        assertEquals(new String(frame, StandardCharsets.UTF_8), new String(got, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("gathered frames use each length encoding at its bounds, as Netty's decoder reads them")
    void lengthEncodings() {
        io.netty.buffer.ByteBuf out = io.netty.buffer.Unpooled.buffer();
        int[] sizes = {0, 125, 126, 65_535, 65_536, 70_000};
        for (int n : sizes) FrameStreamHandler.appendFrame(out, n % 2 == 0, new byte[n]);
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket08FrameDecoder(false, false, 1 << 24, false));
        client.writeInbound(out);
        for (int n : sizes) {
            WebSocketFrame f = client.readInbound();
            assertEquals(n, f.content().readableBytes());
            assertEquals(n % 2 == 0, f instanceof io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame);
            assertTrue(f.isFinalFragment());
            f.release();
        }
        assertNull(client.readInbound());
        client.finishAndReleaseAll();
    }
}
