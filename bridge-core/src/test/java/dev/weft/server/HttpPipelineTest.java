package dev.weft.server;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The whole HTTP pipeline on an in-memory channel: raw bytes in, raw bytes out. */
@DisplayName("HTTP pipeline on an in-memory channel")
class HttpPipelineTest {
    private static final String UPGRADE = "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    private final TestEventFeed events = new TestEventFeed();
    private final TestLogFeed logs = new TestLogFeed();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Blocking blocking = new Blocking();
    private final ServerOptions options = ServerOptions.builder().maxHeaderSize(1024).maxInitialLineLength(256).build();
    private final EmbeddedChannel ch = new EmbeddedChannel(new HttpPipeline(new HttpPipeline.Deps(options, events, logs,
            new WebhookRoutes(), new XrpcRoutes(), new PageRoutes(), new ServerMetrics(registry), blocking,
            () -> new Health(true, "v", "ok"), registry, "ci.example.com"), null));

    @AfterEach
    void close() {
        ch.finishAndReleaseAll();
        blocking.close();
    }

    private String exchange(String request) {
        ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
        ch.runPendingTasks();
        return output();
    }

    private String output() {
        StringBuilder sb = new StringBuilder();
        Object m;
        while ((m = ch.readOutbound()) != null) {
            ByteBuf b = (ByteBuf) m;
            sb.append(b.toString(StandardCharsets.ISO_8859_1));
            b.release();
        }
        return sb.toString();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/logs/a/b", "/logs/a/%2F/c", "/logs/../b/c", "/logs/a//c", "/logs/a/b/c%00", "/logs/a/b/c/"})
    @DisplayName("a bad /logs path is 400 with a text body, never 101, and the feed is not asked")
    void badLogPath(String path) {
        String r = exchange("GET " + path + " HTTP/1.1\r\nHost: x\r\n" + UPGRADE + "\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400 "), r);
        assertTrue(r.contains("content-type: text/plain"), r);
        assertFalse(r.contains("101"), r);
        assertTrue(logs.opened.isEmpty());
        assertFalse(ch.isOpen());
    }

    @Test
    @DisplayName("a WebSocket upgrade to an unknown path is 404 before the upgrade")
    void unknownUpgrade() {
        String r = exchange("GET /somewhere HTTP/1.1\r\nHost: x\r\n" + UPGRADE + "\r\n");
        assertTrue(r.startsWith("HTTP/1.1 404 "), r);
        assertFalse(ch.isOpen());
    }

    @Test
    @DisplayName("/events upgrades, swaps the HTTP handlers for WebSocket ones, and streams frames")
    void eventsUpgrade() {
        String r = exchange("GET /events HTTP/1.1\r\nHost: x\r\n" + UPGRADE + "\r\n");
        assertTrue(r.startsWith("HTTP/1.1 101 Switching Protocols"), r);
        for (String name : HttpPipeline.HTTP_ONLY) assertNull(ch.pipeline().get(name), name);
        assertTrue(ch.pipeline().get(FrameStreamHandler.class) != null);

        events.append(1);
        ch.runPendingTasks();
        byte[] frame = output().getBytes(StandardCharsets.ISO_8859_1);
        byte[] payload = TestEventFeed.frame(1).getBytes(StandardCharsets.UTF_8);
        assertEquals((byte) 0x81, frame[0], "one final text frame");
        assertEquals(payload.length, frame.length - 4, "unmasked, with a 16-bit length");
        assertEquals(TestEventFeed.frame(1), new String(frame, 4, frame.length - 4, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("/.well-known/did.json is the spindle's did:web document with its #tangled_spindle service; POST is 405")
    void didDocument() {
        String r = exchange("GET /.well-known/did.json HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200 "), r);
        assertTrue(r.contains("content-type: application/json"), r);
        assertTrue(r.endsWith("{\"@context\":[\"https://www.w3.org/ns/did/v1\"],\"id\":\"did:web:ci.example.com\","
                + "\"service\":[{\"id\":\"#tangled_spindle\",\"type\":\"TangledSpindle\","
                + "\"serviceEndpoint\":\"https://ci.example.com\"}]}"), r);
        String post = exchange("POST /.well-known/did.json HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n");
        assertTrue(post.startsWith("HTTP/1.1 405 "), post);
    }

    @Test
    @DisplayName("a did:web id percent-encodes a port; localhost is served over http, as the appview dials it")
    void didDocumentWithPort() {
        assertEquals("{\"@context\":[\"https://www.w3.org/ns/did/v1\"],\"id\":\"did:web:localhost%3A6555\","
                        + "\"service\":[{\"id\":\"#tangled_spindle\",\"type\":\"TangledSpindle\","
                        + "\"serviceEndpoint\":\"http://localhost:6555\"}]}",
                new String(DidDocumentHandler.document("localhost:6555"), StandardCharsets.UTF_8));
        assertTrue(new String(DidDocumentHandler.document("ci.example.com:8443"), StandardCharsets.UTF_8)
                .contains("\"id\":\"did:web:ci.example.com%3A8443\",\"service\":[{\"id\":\"#tangled_spindle\","
                        + "\"type\":\"TangledSpindle\",\"serviceEndpoint\":\"https://ci.example.com:8443\"}]"));
    }

    @Test
    @DisplayName("a request the decoder cannot parse is 400 and closes")
    void malformed() {
        String r = exchange("GET /healthz HTTP/1.1\r\nHost x\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 400 "), r);
        assertTrue(r.contains("connection: close"), r);
        assertFalse(ch.isOpen());
    }

    @Test
    @DisplayName("headers over the limit are 431")
    void headersTooBig() {
        String r = exchange("GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + "a".repeat(2000) + "\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 431 "), r);
        assertFalse(ch.isOpen());
    }

    @Test
    @DisplayName("a request line over the limit is 414")
    void lineTooLong() {
        String r = exchange("GET /" + "a".repeat(300) + " HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 414 "), r);
        assertFalse(ch.isOpen());
    }

    @Test
    @DisplayName("the index page is served on the event loop and keeps the connection")
    void index() {
        String r = exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assertTrue(r.startsWith("HTTP/1.1 200 OK"), r);
        assertTrue(r.contains("/logs/{knot}/{rkey}/{workflow}"), r);
        assertTrue(ch.isOpen());
    }
}
