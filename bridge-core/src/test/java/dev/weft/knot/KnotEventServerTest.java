package dev.weft.knot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("KnotEventServer serves /events as a knot does")
class KnotEventServerTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Instant T0 = Instant.parse("2025-12-01T10:00:00Z");

    final MutableClock clock = new MutableClock(T0);
    final List<AutoCloseable> closeLater = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : closeLater.reversed()) c.close();
    }

    KnotEventServer server(Duration pingAfter) {
        KnotEventServer s = new KnotEventServer(0, pingAfter, clock).start();
        closeLater.add(s);
        return s;
    }

    FrameRecorder client(KnotEventServer s, String query) throws InterruptedException {
        FrameRecorder r = new FrameRecorder("ws://" + s.host() + "/events" + query);
        closeLater.add(r::closeBlocking);
        return r.open();
    }

    List<String> rkeys(FrameRecorder r, int n) throws Exception {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String f = r.next(5000);
            if (f == null) throw new AssertionError("frame " + i + " of " + n + " did not arrive; got " + out);
            out.add(JSON.readTree(f).get("rkey").textValue());
        }
        return out;
    }

    /** Publishes rkeys r1..rn at T0+1s..T0+ns and returns their ids. */
    List<Long> publishAt(KnotEventServer s, int n) {
        List<Long> ids = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            clock.set(T0.plusSeconds(i));
            ids.add(s.publish("sh.tangled.git.refUpdate", "r" + i, "{\"n\":" + i + "}"));
        }
        return ids;
    }

    @Test
    @DisplayName("frames have sorted keys with the event verbatim, and ids are Unix nanos made strictly increasing")
    void frame_shape_and_ids() throws Exception {
        KnotEventServer s = server(Duration.ofMinutes(1));
        assertTrue(s.host().startsWith("127.0.0.1:"), s.host());
        FrameRecorder r = client(s, "");
        await().until(() -> s.connectionCount() == 1);
        long a = s.publishPipeline("3lbtid0000001", "{\"$type\":\"\",\"z\":1,\"a\":2}");
        long b = s.publishPipeline("3lbtid0000002", "{}");
        assertEquals("{\"event\":{\"$type\":\"\",\"z\":1,\"a\":2},\"nsid\":\"sh.tangled.pipeline\",\"rkey\":\"3lbtid0000001\"}",
                r.next(5000));
        assertEquals("{\"event\":{},\"nsid\":\"sh.tangled.pipeline\",\"rkey\":\"3lbtid0000002\"}", r.next(5000));
        assertEquals(KnotConsumer.unixNanos(T0), a);
        assertEquals(a + 1, b, "same clock reading: the next id is last + 1");
        assertThrows(IllegalArgumentException.class, () -> s.publishPipeline("x", "not json"));
        assertThrows(IllegalArgumentException.class, () -> s.publishPipeline("x", "[1]"));
    }

    @Test
    @DisplayName("a missing, unparsable or zero cursor is live only")
    void live_only() throws Exception {
        KnotEventServer s = server(Duration.ofMinutes(1));
        publishAt(s, 2);
        FrameRecorder none = client(s, "");
        FrameRecorder junk = client(s, "?cursor=abc");
        FrameRecorder zero = client(s, "?cursor=0");
        await().until(() -> s.connectionCount() == 3);
        clock.set(T0.plusSeconds(10));
        s.publish("sh.tangled.git.refUpdate", "live", "{}");
        for (FrameRecorder r : List.of(none, junk, zero)) assertEquals(List.of("live"), rkeys(r, 1));
        assertEquals(List.of("", "abc", "0"), s.requestedCursors());
    }

    @Test
    @DisplayName("a negative cursor replays from the oldest; a positive one replays ids above it, then goes live")
    void backfill() throws Exception {
        KnotEventServer s = server(Duration.ofMinutes(1));
        List<Long> ids = publishAt(s, 4);
        FrameRecorder all = client(s, "?cursor=-1");
        assertEquals(List.of("r1", "r2", "r3", "r4"), rkeys(all, 4));
        FrameRecorder after = client(s, "?cursor=" + ids.get(1));
        assertEquals(List.of("r3", "r4"), rkeys(after, 2));
        clock.set(T0.plusSeconds(20));
        s.publish("sh.tangled.git.refUpdate", "r5", "{}");
        assertEquals(List.of("r5"), rkeys(all, 1));
        assertEquals(List.of("r5"), rkeys(after, 1));
        assertNull(after.next(100), "no duplicate at the hand-over");
    }

    @Test
    @DisplayName("pings a connection that was sent nothing for pingAfter")
    void pings_when_idle() throws Exception {
        KnotEventServer s = server(Duration.ofMillis(100));
        FrameRecorder r = client(s, "");
        await().atMost(Duration.ofSeconds(5)).until(() -> r.pings.get() >= 2);
    }

    @Test
    @DisplayName("refuses paths other than /events with an HTTP error")
    void other_paths() {
        KnotEventServer s = server(Duration.ofMinutes(1));
        FrameRecorder r = new FrameRecorder("ws://" + s.host() + "/xrpc/whatever");
        closeLater.add(r::closeBlocking);
        assertThrows(AssertionError.class, r::open);
        assertEquals(0, s.connectionCount());
    }

    @Test
    @DisplayName("dropConnections closes every client without a close handshake; sendRaw sends any text")
    void test_controls() throws Exception {
        KnotEventServer s = server(Duration.ofMinutes(1));
        FrameRecorder r = client(s, "");
        await().until(() -> s.connectionCount() == 1);
        s.sendRaw("{not json");
        assertEquals("{not json", r.next(5000));
        s.dropConnections();
        await().until(() -> r.closeCode != Integer.MIN_VALUE);
        assertEquals(1006, r.closeCode);
        assertEquals(0, s.connectionCount());
        assertEquals(1, s.connectionsAccepted());
        assertFalse(r.isOpen());
    }

    @Test
    @DisplayName("frames carry the nsid given, so other collections share the stream")
    void other_nsids() throws Exception {
        KnotEventServer s = server(Duration.ofMinutes(1));
        FrameRecorder r = client(s, "");
        await().until(() -> s.connectionCount() == 1);
        s.publish("sh.tangled.git.refUpdate", "k", "{\"ref\":\"refs/heads/main\"}");
        JsonNode f = JSON.readTree(r.next(5000));
        assertEquals("sh.tangled.git.refUpdate", f.get("nsid").textValue());
    }
    @Test
    @DisplayName("the created shape writes Go's field order with created = the event id, strictly increasing, and honours ?cursor= by it")
    void created_shape_and_cursor() throws Exception {
        KnotEventServer s = new KnotEventServer(0, Duration.ofMinutes(1), clock, KnotEventServer.Shape.CREATED).start();
        closeLater.add(s);
        FrameRecorder live = client(s, "");
        await().until(() -> s.connectionCount() == 1);
        long a = s.publishPipeline("3kaaaaaaaaaa2", "{\"z\":1}");
        long b = s.publishPipeline("3kaaaaaaaaaa3", "{}"); // same clock reading
        clock.set(T0.minusSeconds(5)); // the knot's clock steps back: ids still increase
        long c = s.publish("sh.tangled.git.refUpdate", "3kaaaaaaaaaa4", "{}");
        assertEquals("{\"rkey\":\"3kaaaaaaaaaa2\",\"nsid\":\"sh.tangled.pipeline\",\"event\":{\"z\":1},\"created\":" + a + "}",
                live.next(5000));
        assertEquals("{\"rkey\":\"3kaaaaaaaaaa3\",\"nsid\":\"sh.tangled.pipeline\",\"event\":{},\"created\":" + b + "}",
                live.next(5000));
        assertEquals(c, JSON.readTree(live.next(5000)).get("created").longValue());
        assertEquals(KnotConsumer.unixNanos(T0), a);
        assertEquals(List.of(a + 1, a + 2), List.of(b, c), "max(now, last + 1)");

        // A cursor that is the created of the last event read resumes right after it.
        FrameRecorder resumed = client(s, "?cursor=" + a);
        assertEquals(List.of("3kaaaaaaaaaa3", "3kaaaaaaaaaa4"), rkeys(resumed, 2));
    }
}
