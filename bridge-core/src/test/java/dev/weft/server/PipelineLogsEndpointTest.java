package dev.weft.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.LogLine;
import dev.weft.model.WorkflowId;
import dev.weft.testing.WebSocketRecorder;
import dev.weft.wire.CiLogFrames;
import dev.weft.wire.GoJson;
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
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("sh.tangled.ci.subscribePipelineLogs")
class PipelineLogsEndpointTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final String TID = "3kabcdefgh2aa";
    private static final WorkflowId CI = new WorkflowId("localhost:5555", TID, "ci.yml");
    private static final WorkflowId LINT = new WorkflowId("localhost:5555", TID, "lint.yml");
    private static final String SUB = "/xrpc/sh.tangled.ci.subscribePipelineLogs";
    private static final String ALIAS = "/xrpc/sh.tangled.ci.pipeline.subscribeLogs";
    private static final OffsetDateTime T0 = OffsetDateTime.parse("2026-05-01T10:00:00+02:00");
    private static final HexFormat HEX = HexFormat.of();

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) open.get(i).close();
    }

    private <T extends AutoCloseable> T track(T c) {
        open.add(c);
        return c;
    }

    /** Line {@code n} of a workflow: data on both streams and a control line now and then. */
    private static LogLine line(WorkflowId w, int n) {
        if (n % 5 == 0) {
            return LogLine.control(n / 5, n % 10 == 0 ? LogLine.StepStatus.END : LogLine.StepStatus.START,
                    "step " + n, LogLine.StepKind.USER, "make " + n, T0.plusSeconds(n));
        }
        return LogLine.data(n / 5, n % 2 == 0 ? LogLine.Stream.STDERR : LogLine.Stream.STDOUT,
                w.name() + " line " + n + " caf\u00e9", T0.plusSeconds(n).plusNanos(123_456_789));
    }

    private static void append(TestLogFeed.TestLog log, WorkflowId w, int from, int to) {
        for (int i = from; i <= to; i++) log.append(GoJson.logLine(line(w, i)));
    }

    /** What the subscription must send for lines {@code from..to} of {@code w}, as hex. */
    private static List<String> expected(WorkflowId w, int from, int to) {
        return IntStream.rangeClosed(from, to).mapToObj(i -> HEX.formatHex(CiLogFrames.logLine(line(w, i), w.name()))).toList();
    }

    private static List<String> hex(List<byte[]> frames) {
        return frames.stream().map(HEX::formatHex).toList();
    }

    /** The frames of one workflow, in the order received. */
    private static List<String> of(List<String> received, List<String> expectedOfWorkflow) {
        Set<String> mine = Set.copyOf(expectedOfWorkflow);
        return received.stream().filter(mine::contains).toList();
    }

    private static String query(String path, String q) {
        return path + "?" + q;
    }

    @Test
    @DisplayName("a finished pipeline: every line of every workflow once, byte-exact, each in order, then close 1000")
    void finishedPipeline() {
        ServerFixture s = track(new ServerFixture());
        TestLogFeed.TestLog ci = s.logs.add(CI);
        TestLogFeed.TestLog lint = s.logs.add(LINT);
        append(ci, CI, 1, 1200);
        append(lint, LINT, 1, 700);
        ci.finish();
        lint.finish();

        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(query(SUB, "pipeline=" + TID))));
        assertEquals(101, ws.handshakeStatus());
        assertEquals(1000, ws.awaitClose(WAIT));
        assertEquals("log stream complete", ws.closeReason());
        assertTrue(ws.closedRemotely());
        assertEquals(List.of(), ws.frames(), "binary frames only");
        List<String> got = hex(ws.binaryFrames());
        assertEquals(1900, got.size());
        assertEquals(expected(CI, 1, 1200), of(got, expected(CI, 1, 1200)));
        assertEquals(expected(LINT, 1, 700), of(got, expected(LINT, 1, 700)));
        // Workflows take turns: lint's first line does not wait behind all 1200 of ci's.
        assertTrue(got.indexOf(expected(LINT, 1, 1).get(0)) < 1200, "interleaved");
        await().atMost(WAIT).until(() -> s.gauge("weft.pipeline_logs.connections") == 0.0);
    }

    @Test
    @DisplayName("workflows= picks workflows; the pre-rename NSID serves the same stream")
    void filterAndAlias() {
        ServerFixture s = track(new ServerFixture());
        TestLogFeed.TestLog ci = s.logs.add(CI);
        append(ci, CI, 1, 5);
        ci.finish();
        TestLogFeed.TestLog lint = s.logs.add(LINT);
        append(lint, LINT, 1, 3);
        lint.finish();

        for (String path : List.of(SUB, ALIAS)) {
            WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(query(path, "pipeline=" + TID + "&workflows=lint.yml"))));
            assertEquals(1000, ws.awaitClose(WAIT), path);
            assertEquals(expected(LINT, 1, 3), hex(ws.binaryFrames()), path);

            WebSocketRecorder both = track(WebSocketRecorder.connect(
                    s.ws(query(path, "pipeline=" + TID + "&workflows=lint.yml&workflows=ci.yml&workflows=lint.yml"))));
            assertEquals(1000, both.awaitClose(WAIT), path);
            List<String> got = hex(both.binaryFrames());
            assertEquals(8, got.size(), "a repeated name is streamed once");
            assertEquals(expected(CI, 1, 5), of(got, expected(CI, 1, 5)));
        }
    }

    @Test
    @DisplayName("live workflows interleave as their lines are written; the stream closes 1000 after the last one ends")
    void liveInterleaving() {
        ServerFixture s = track(new ServerFixture());
        TestLogFeed.TestLog ci = s.logs.add(CI);
        TestLogFeed.TestLog lint = s.logs.add(LINT);
        append(ci, CI, 1, 2);

        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(query(SUB, "pipeline=" + TID))));
        assertEquals(expected(CI, 1, 2), hex(ws.awaitBinaryFrames(2, WAIT)));
        append(lint, LINT, 1, 1);
        assertEquals(expected(LINT, 1, 1), hex(ws.awaitBinaryFrames(1, WAIT)));
        append(ci, CI, 3, 3);
        assertEquals(expected(CI, 3, 3), hex(ws.awaitBinaryFrames(1, WAIT)));
        append(lint, LINT, 2, 2);
        lint.finish();
        assertEquals(expected(LINT, 2, 2), hex(ws.awaitBinaryFrames(1, WAIT)));
        assertEquals(null, ws.closeCode(), "ci is still running: the stream stays open");

        append(ci, CI, 4, 6);
        ci.finish();
        assertEquals(1000, ws.awaitClose(WAIT));
        assertEquals(expected(CI, 4, 6), hex(ws.binaryFrames()).subList(5, 8));
        await().atMost(WAIT).until(() -> ci.subscribers() == 0 && lint.subscribers() == 0);
    }

    @Test
    @DisplayName("lines written right up to the terminal status all arrive before the close")
    void noLineLostAtTheEnd() throws Exception {
        ServerFixture s = track(new ServerFixture());
        TestLogFeed.TestLog ci = s.logs.add(CI);
        TestLogFeed.TestLog lint = s.logs.add(LINT);
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(query(SUB, "pipeline=" + TID))));
        Thread a = Thread.ofPlatform().start(() -> {
            append(ci, CI, 1, 3000);
            ci.finish();
        });
        Thread b = Thread.ofPlatform().start(() -> {
            append(lint, LINT, 1, 3000);
            lint.finish();
        });
        assertEquals(1000, ws.awaitClose(Duration.ofSeconds(30)));
        a.join();
        b.join();
        List<String> got = hex(ws.binaryFrames());
        assertEquals(6000, got.size());
        assertEquals(expected(CI, 1, 3000), of(got, expected(CI, 1, 3000)));
        assertEquals(expected(LINT, 1, 3000), of(got, expected(LINT, 1, 3000)));
    }

    @Test
    @DisplayName("a stored line that is not JSON still arrives, as data of step 0")
    void notJson() {
        ServerFixture s = track(new ServerFixture());
        s.logs.add(CI).append("plain text").finish();
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(query(SUB, "pipeline=" + TID))));
        assertEquals(1000, ws.awaitClose(WAIT));
        byte[] got = ws.binaryFrames().get(0);
        // The time is the server's clock, so compare everything but it.
        String h = HEX.formatHex(got);
        assertTrue(h.startsWith("a26174652364617461626f7001a5647374657000"), h);
        assertTrue(h.endsWith(HEX.formatHex("plain text\n".getBytes(StandardCharsets.UTF_8)) + "68776f726b666c6f776663692e796d6c"), h);
    }

    @Test
    @DisplayName("a provider backend failure: the upgrade, then the error frame, then close 1011")
    void backendFailure() {
        ServerFixture s = track(new ServerFixture());
        s.logs.add(CI).finish();
        s.logs.breakBackend(CI);
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(query(SUB, "pipeline=" + TID))));
        assertEquals(101, ws.handshakeStatus());
        assertEquals(1011, ws.awaitClose(WAIT));
        assertEquals(List.of(HEX.formatHex(CiLogFrames.error("InternalError", "backend down for " + CI))),
                hex(ws.binaryFrames()));
    }

    @Test
    @DisplayName("a quiet live stream is pinged")
    void pings() {
        ServerFixture s = track(new ServerFixture(ServerOptions.builder().pingIdle(Duration.ofMillis(100)).build()));
        s.logs.add(CI);
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(query(SUB, "pipeline=" + TID))));
        await().atMost(WAIT).until(() -> ws.pingsReceived() >= 2);
    }

    // ------------------------------------------------------------------ errors before the upgrade

    record Answer(int status, String body) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(body);
        }
    }

    /** Sends a request (a WebSocket upgrade unless {@code upgrade} is false) and reads the whole answer. */
    static Answer raw(ServerFixture s, String method, String pathAndQuery, boolean upgrade) throws Exception {
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress("127.0.0.1", s.server.port()), 5000);
            raw.setSoTimeout(10_000);
            OutputStream out = raw.getOutputStream();
            out.write((method + " " + pathAndQuery + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + (upgrade ? "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    + "Sec-WebSocket-Version: 13\r\n" : "Connection: close\r\n") + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = raw.getInputStream();
            String all = new String(in.readAllBytes(), StandardCharsets.UTF_8); // the server closes after refusing
            int status = Integer.parseInt(all.substring(9, 12));
            String body = all.substring(all.indexOf("\r\n\r\n") + 4);
            assertTrue(all.toLowerCase().contains("content-type: application/json"), all);
            return new Answer(status, body);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"", "?pipeline=", "?pipeline=nope", "?pipeline=3kabcdefgh2a", "?pipeline=3KABCDEFGH2AA",
            "?pipeline=" + TID + "&pipeline=" + TID, "?pipeline=" + TID + "&workflows=", "?pipeline=%ZZ"})
    @DisplayName("a missing or malformed TID is 400 InvalidRequest before any lookup")
    void badQuery(String q) throws Exception {
        ServerFixture s = track(new ServerFixture());
        s.logs.add(CI).finish();
        for (String path : List.of(SUB, ALIAS)) {
            Answer a = raw(s, "GET", path + q, true);
            assertEquals(400, a.status(), a.body());
            assertEquals("InvalidRequest", a.json().get("error").asText(), a.body());
            assertTrue(!a.json().get("message").asText().isEmpty());
        }
        assertEquals(List.of(), s.logs.listed, "no lookup for a bad query");
    }

    @Test
    @DisplayName("an unknown pipeline is 404 NotFound; an unknown workflow 400 WorkflowNotFound; both before the upgrade")
    void unknowns() throws Exception {
        ServerFixture s = track(new ServerFixture());
        s.logs.add(CI).finish();
        for (String path : List.of(SUB, ALIAS)) {
            Answer a = raw(s, "GET", path + "?pipeline=3kabcdefgh2ab", true);
            assertEquals(404, a.status());
            assertEquals("NotFound", a.json().get("error").asText());
            assertEquals("pipeline not found: 3kabcdefgh2ab", a.json().get("message").asText());

            Answer w = raw(s, "GET", path + "?pipeline=" + TID + "&workflows=ci.yml&workflows=nope.yml", true);
            assertEquals(400, w.status());
            assertEquals("WorkflowNotFound", w.json().get("error").asText());
            assertTrue(w.json().get("message").asText().contains("nope.yml"), w.body());
        }
        assertEquals(List.of(), s.logs.opened, "no log opened for a refused request");
    }

    @Test
    @DisplayName("a plain GET is 400 and another method 405, as XRPC errors")
    void notAnUpgrade() throws Exception {
        ServerFixture s = track(new ServerFixture());
        s.logs.add(CI).finish();
        Answer get = raw(s, "GET", SUB + "?pipeline=" + TID, false);
        assertEquals(400, get.status());
        assertEquals("InvalidRequest", get.json().get("error").asText());
        Answer post = raw(s, "POST", ALIAS + "?pipeline=" + TID, false);
        assertEquals(405, post.status());
        assertEquals("InvalidRequest", post.json().get("error").asText());
    }

    // ------------------------------------------------------------------ slow readers and many clients

    @Test
    @DisplayName("a client that never reads while 100,000 lines are written is cut off; weft reads only what fits")
    void slowReader() throws Exception {
        ServerFixture s = track(new ServerFixture(ServerOptions.builder()
                .slowClientTimeout(Duration.ofMillis(300)).writeBufferHighWaterMark(64 * 1024).build()));
        TestLogFeed.TestLog ci = s.logs.add(CI);
        Socket raw = EventsEndpointTest.stalledClient(s, query(SUB, "pipeline=" + TID));
        try {
            String pad = "x".repeat(200);
            for (int i = 1; i <= 100_000; i++) {
                ci.append(GoJson.logLine(LogLine.data(1, LogLine.Stream.STDOUT, pad + i, T0)));
            }
            await().atMost(WAIT).until(() -> s.counter("weft.ws.slow_disconnects", "endpoint", "pipeline_logs") == 1.0);
            await().atMost(WAIT).until(() -> s.gauge("weft.pipeline_logs.connections") == 0.0 && ci.subscribers() == 0);
            // Kernel buffers plus the write buffer hold a few thousand ~250-byte frames at most; a
            // server ignoring writability would have read all 100,000.
            assertTrue(ci.maxRead() < 50_000, "lines read for a stalled client: " + ci.maxRead());
        } finally {
            raw.close();
        }
    }

    @Test
    @DisplayName("hundreds of subscriptions opened and dropped at once leave no connection or subscriber behind")
    void manyDropped() throws Exception {
        ServerFixture s = track(new ServerFixture());
        TestLogFeed.TestLog ci = s.logs.add(CI);
        TestLogFeed.TestLog lint = s.logs.add(LINT);
        append(ci, CI, 1, 50);
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < 300; i++) sockets.add(EventsEndpointTest.stalledClient(s, query(SUB, "pipeline=" + TID)));
            await().atMost(WAIT).until(() -> s.gauge("weft.pipeline_logs.connections") == 300.0);
            append(lint, LINT, 1, 50); // wakes all of them while they go
        } finally {
            for (Socket so : sockets) so.close();
        }
        await().atMost(WAIT).until(() -> s.gauge("weft.pipeline_logs.connections") == 0.0);
        await().atMost(WAIT).until(() -> ci.subscribers() == 0 && lint.subscribers() == 0);
        // The server still serves.
        ci.finish();
        lint.finish();
        WebSocketRecorder ws = track(WebSocketRecorder.connect(s.ws(query(SUB, "pipeline=" + TID))));
        assertEquals(1000, ws.awaitClose(WAIT));
        assertEquals(100, ws.binaryFrames().size());
        assertEquals(Set.of(), ws.frames().stream().collect(Collectors.toSet()));
    }
}
