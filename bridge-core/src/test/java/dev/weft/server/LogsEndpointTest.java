package dev.weft.server;

import dev.weft.model.WorkflowId;
import dev.weft.testing.WebSocketRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("/logs/{knot}/{rkey}/{name}")
class LogsEndpointTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final WorkflowId CI = new WorkflowId("localhost:5555", "3kabcdefgh2aa", "ci.yml");
    private static final String CI_PATH = "/logs/localhost:5555/3kabcdefgh2aa/ci.yml";

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    private static List<String> lines(int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(TestLogFeed.TestLog::line).toList();
    }

    @Test
    @DisplayName("a finished log sends every line once, in order, then closes 1000 'log stream complete'")
    void finishedLog() {
        ServerFixture s = track(new ServerFixture());
        s.logs.add(CI).appendLines(1, 1500).finish();

        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(CI_PATH)));
        assertEquals(101, ws.handshakeStatus());
        assertEquals(1000, ws.awaitClose(WAIT));
        assertEquals("log stream complete", ws.closeReason());
        assertTrue(ws.closedRemotely());
        assertEquals(lines(1, 1500), ws.frames());
        await().atMost(WAIT).until(() -> s.gauge("weft.logs.connections") == 0.0);
    }

    @Test
    @DisplayName("an empty finished log closes at once")
    void emptyFinishedLog() {
        ServerFixture s = track(new ServerFixture());
        s.logs.add(CI).finish();
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(CI_PATH)));
        assertEquals(1000, ws.awaitClose(WAIT));
        assertEquals(List.of(), ws.frames());
    }

    @Test
    @DisplayName("a live log follows new lines and closes once the workflow completes")
    void liveLog() {
        ServerFixture s = track(new ServerFixture());
        TestLogFeed.TestLog log = s.logs.add(CI).appendLines(1, 3);

        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(CI_PATH)));
        assertEquals(lines(1, 3), ws.awaitFrames(3, WAIT));
        log.appendLines(4, 4);
        assertEquals(TestLogFeed.TestLog.line(4), ws.awaitFrame(WAIT));
        log.appendLines(5, 6);
        assertEquals(lines(5, 6), ws.awaitFrames(2, WAIT));
        assertEquals(null, ws.closeCode(), "still running: the stream stays open");

        log.appendLines(7, 7).finish();
        assertEquals(1000, ws.awaitClose(WAIT));
        assertEquals("log stream complete", ws.closeReason());
        assertEquals(lines(1, 7), ws.frames());
        await().atMost(WAIT).until(() -> log.subscribers() == 0);
    }

    @Test
    @DisplayName("thousands of lines written while streaming arrive exactly once, in order, before the close")
    void concurrentAppends() throws Exception {
        ServerFixture s = track(new ServerFixture());
        TestLogFeed.TestLog log = s.logs.add(CI).appendLines(1, 500);

        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(CI_PATH)));
        Thread writer = Thread.ofPlatform().start(() -> {
            log.appendLines(501, 5000);
            log.finish();
        });
        assertEquals(1000, ws.awaitClose(Duration.ofSeconds(30)));
        writer.join();
        assertEquals(lines(1, 5000), ws.frames());
    }

    @Test
    @DisplayName("raw frame bytes pass through untouched, UTF-8 included")
    void rawBytes() {
        ServerFixture s = track(new ServerFixture());
        byte[] frame = "{\"content\":\"caf\u00e9 \u2028 \\u003c\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        s.logs.add(CI).append(frame).finish();
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(CI_PATH)));
        ws.awaitClose(WAIT);
        assertTrue(java.util.Arrays.equals(frame, ws.rawFrames().get(0)));
    }

    @Test
    @DisplayName("path segments are percent-decoded before the lookup")
    void decodedSegments() {
        ServerFixture s = track(new ServerFixture());
        WorkflowId spaced = new WorkflowId("knot.example.com", "3kabcdefgh2aa", "build and test.yml");
        s.logs.add(spaced).appendLines(1, 1).finish();
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws("/logs/knot.example.com/3kabcdefgh2aa/build%20and%20test.yml")));
        assertEquals(1000, ws.awaitClose(WAIT));
        assertEquals(lines(1, 1), ws.frames());
    }

    @Test
    @DisplayName("an unknown workflow is 404 before the upgrade")
    void unknownWorkflow() {
        ServerFixture s = track(new ServerFixture());
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws("/logs/knot.example.com/3kabcdefgh2aa/nope.yml")));
        assertEquals(404, ws.handshakeStatus());
        assertEquals(false, ws.opened());
        assertEquals(List.of(new WorkflowId("knot.example.com", "3kabcdefgh2aa", "nope.yml")), s.logs.opened);
    }

    @Test
    @DisplayName("a provider backend failure is 502 before the upgrade")
    void backendFailure() {
        ServerFixture s = track(new ServerFixture());
        s.logs.add(CI);
        s.logs.breakBackend(CI);
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(CI_PATH)));
        assertEquals(502, ws.handshakeStatus());
        assertEquals(false, ws.opened());
    }

    @ParameterizedTest(name = "{0} is 400 before any lookup")
    @ValueSource(strings = {"/logs", "/logs/", "/logs/a/b", "/logs/a/b/c/d", "/logs/a//c", "/logs/a/b/",
            "/logs/a/%2F/c", "/logs/a/b%2fc/d", "/logs/../b/c", "/logs/a/./c", "/logs/a/%2E%2E/c",
            "/logs/a/%00/c", "/logs/a/b/c%0A", "/logs/a/b/%C3", "/logs/a/b/c%7F"})
    void badPaths(String path) {
        ServerFixture s = track(new ServerFixture());
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(path)));
        assertEquals(400, ws.handshakeStatus());
        assertEquals(List.of(), s.logs.opened, "no lookup for a bad path");
    }

    @ParameterizedTest(name = "an upgrade to {0} is 404 before the upgrade")
    @ValueSource(strings = {"/", "/nope", "/healthz", "/xrpc/sh.tangled.owner", "/events/extra"})
    void upgradeElsewhere(String path) {
        ServerFixture s = track(new ServerFixture());
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(path)));
        assertEquals(404, ws.handshakeStatus());
    }

    @Test
    @DisplayName("log lines far bigger than the pending-byte cap still reach a client that reads")
    void hugeLinesReachReadingClient() {
        ServerFixture s = track(new ServerFixture(ServerOptions.builder()
                .maxPendingBytes(1 << 20).writeBufferHighWaterMark(64 * 1024).build()));
        String huge = "x".repeat(8 << 20);
        TestLogFeed.TestLog log = s.logs.add(CI);
        for (int i = 0; i < 3; i++) log.append(huge);
        log.finish();

        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(CI_PATH)));
        assertEquals(1000, ws.awaitClose(Duration.ofSeconds(30)));
        assertEquals(List.of(huge, huge, huge), ws.frames());
        assertEquals(0.0, s.counter("weft.ws.slow_disconnects", "endpoint", "logs"));
    }

    @Test
    @DisplayName("a client that stops reading a log of huge lines is disconnected when the timer runs out")
    void stalledOnHugeLines() throws Exception {
        ServerFixture s = track(new ServerFixture(ServerOptions.builder()
                .slowClientTimeout(Duration.ofMillis(300)).writeBufferHighWaterMark(64 * 1024).build()));
        byte[] huge = new byte[16 << 20];
        java.util.Arrays.fill(huge, (byte) 'x');
        TestLogFeed.TestLog log = s.logs.add(CI);
        for (int i = 0; i < 4; i++) log.append(huge);

        Socket raw = EventsEndpointTest.stalledClient(s, CI_PATH);
        try {
            await().atMost(WAIT).until(() -> s.counter("weft.ws.slow_disconnects", "endpoint", "logs") == 1.0);
            await().atMost(WAIT).until(() -> s.gauge("weft.logs.connections") == 0.0 && log.subscribers() == 0);
        } finally {
            raw.close(); // only now: until here the client must look alive but stalled
        }
    }
}
