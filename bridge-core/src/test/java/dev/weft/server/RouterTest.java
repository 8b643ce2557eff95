package dev.weft.server;

import dev.weft.model.WorkflowId;
import dev.weft.spi.WebhookResponse;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@DisplayName("Router on an in-memory channel")
class RouterTest {
    private final WebhookRoutes webhooks = new WebhookRoutes();
    private final XrpcRoutes xrpc = new XrpcRoutes();
    private final PageRoutes pages = new PageRoutes();
    private final EmbeddedChannel ch = new EmbeddedChannel(new Router(webhooks, xrpc, pages));

    @AfterEach
    void noLeaks() {
        ch.finishAndReleaseAll();
    }

    private static FullHttpRequest request(HttpMethod method, String uri, boolean upgrade) {
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method, uri, Unpooled.buffer(0));
        r.headers().set(HttpHeaderNames.HOST, "spindle.example.com");
        if (upgrade) {
            r.headers().set(HttpHeaderNames.UPGRADE, "websocket");
            r.headers().set(HttpHeaderNames.CONNECTION, "Upgrade");
        }
        return r;
    }

    private Route routed(FullHttpRequest req) {
        ch.writeInbound(req);
        assertEquals(0, req.refCnt(), "the router releases the request");
        Object out = ch.readOutbound();
        if (out != null) {
            FullHttpResponse r = (FullHttpResponse) out;
            String body = r.content().toString(StandardCharsets.UTF_8);
            r.release();
            throw new AssertionError("answered " + r.status() + ": " + body);
        }
        return ch.readInbound();
    }

    /** The status of the response the router wrote itself; nothing may be routed onwards. */
    private int refused(FullHttpRequest req) {
        ch.writeInbound(req);
        assertNull(ch.readInbound(), "must not be routed");
        FullHttpResponse r = ch.readOutbound();
        try {
            assertTrue(r.content().readableBytes() > 0, "a short text body");
            return r.status().code();
        } finally {
            r.release();
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/logs", "/logs/", "/logs/a", "/logs/a/b", "/logs/a/b/c/d", "/logs//b/c", "/logs/a//c",
            "/logs/a/b/", "/logs/a/%2F/c", "/logs/a%2fb/c/d", "/logs/../b/c", "/logs/a/./c", "/logs/a/b/..",
            "/logs/a/%2e%2E/c", "/logs/a/%00/c", "/logs/a/b%0d/c", "/logs/a/b/%7F", "/logs/a/b/%C2%85",
            "/logs/a/b/%zz", "/logs/a/b/%4", "/logs/a/b/%C3", "/logs/a/b/%", "/logs/%/b/c"})
    @DisplayName("a bad /logs path is 400 before any upgrade")
    void badLogPaths(String path) {
        assertEquals(400, refused(request(HttpMethod.GET, path, true)));
        assertFalse(ch.isOpen(), "a refused upgrade closes the connection");
    }

    @ParameterizedTest(name = "{0} -> ({1}, {2}, {3})")
    @CsvSource({
            "/logs/localhost:5555/3kabcdefgh2aa/ci.yml, localhost:5555, 3kabcdefgh2aa, ci.yml",
            "/logs/knot.example.com/3kabcdefgh2aa/ci.yml?x=1, knot.example.com, 3kabcdefgh2aa, ci.yml",
            "/logs/localhost%3A5555/r/build%20and%20test.yml, localhost:5555, r, build and test.yml",
            "/logs/k/r/a+b.yml, k, r, a+b.yml",
            "/logs/k/r/caf%C3%A9.yml, k, r, café.yml",
            "/logs/k/r/...yml, k, r, ...yml"})
    @DisplayName("a good /logs path routes to its workflow")
    void goodLogPaths(String uri, String knot, String rkey, String name) {
        Route.Logs logs = assertInstanceOf(Route.Logs.class, routed(request(HttpMethod.GET, uri, true)));
        assertEquals(new WorkflowId(knot, rkey, name), logs.workflow());
    }

    @Test
    @DisplayName("/logs without an upgrade is 400, with another method 405")
    void logsNeedsUpgradeAndGet() {
        assertEquals(400, refused(request(HttpMethod.GET, "/logs/k/r/ci.yml", false)));
    }

    @Test
    @DisplayName("/logs with POST is 405")
    void logsPost() {
        assertEquals(405, refused(request(HttpMethod.POST, "/logs/k/r/ci.yml", true)));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/", "/nope", "/healthz", "/metrics", "/xrpc/sh.tangled.owner", "/events/", "/hooks/x"})
    @DisplayName("a WebSocket upgrade anywhere else is 404")
    void upgradeElsewhere(String path) {
        webhooks.mount("/hooks/x", "x", req -> WebhookResponse.ok());
        assertEquals(404, refused(request(HttpMethod.GET, path, true)));
    }

    @ParameterizedTest(name = "{0} -> cursor {1}")
    @CsvSource({"/events, 0", "/events?cursor=0, 0", "/events?cursor=-1, -1", "/events?cursor=123, 123",
            "/events?cursor=x, 0", "/events?cursor=1.5, 0", "/events?cursor=99999999999999999999, 0",
            "/events?cursor=9223372036854775807, 9223372036854775807", "/events?other=1&cursor=7, 7"})
    @DisplayName("/events parses its cursor, invalid meaning live")
    void eventsCursor(String uri, long cursor) {
        Route.Events e = assertInstanceOf(Route.Events.class, routed(request(HttpMethod.GET, uri, true)));
        assertEquals(cursor, e.cursor());
    }

    @Test
    @DisplayName("the cursor decides where /events starts")
    void startAfter() {
        long skew = 120_000_000_000L;
        assertEquals(0, EventsUpgradeHandler.startAfter(0, skew), "0 (absent, invalid): from the start, as upstream now");
        assertEquals(0, EventsUpgradeHandler.startAfter(-1, skew), "negative: from the start");
        assertEquals(0, EventsUpgradeHandler.startAfter(5, skew), "never below the start");
        assertEquals(1_000_000_000_000L - skew, EventsUpgradeHandler.startAfter(1_000_000_000_000L, skew));
        assertEquals(Long.MAX_VALUE - skew, EventsUpgradeHandler.startAfter(Long.MAX_VALUE, skew));
    }

    @Test
    @DisplayName("a mounted page prefix takes its path and everything below it, any method; nothing else")
    void pages() {
        PageHandler h = req -> PageHandler.Response.of(200, "text/plain", "x");
        pages.mount("/console", h);
        for (String uri : List.of("/console", "/console/", "/console/pipeline/3k?x=1")) {
            assertEquals(h, assertInstanceOf(Route.Page.class, routed(request(HttpMethod.GET, uri, false))).handler(), uri);
        }
        assertInstanceOf(Route.Page.class, routed(request(HttpMethod.POST, "/console/cancel", false)));
        assertThrows(IllegalArgumentException.class, () -> pages.mount("/console", h), "mounted once");
        assertThrows(IllegalArgumentException.class, () -> pages.mount("/other", h), "only reserved prefixes");
        assertThrows(IllegalArgumentException.class, () -> webhooks.mount("/console/hook", "x", req -> WebhookResponse.ok()),
                "no webhook under the console");
        ch.writeInbound(request(HttpMethod.GET, "/consoleish", false));
        FullHttpResponse r = ch.readOutbound();
        assertEquals(404, r.status().code(), "a longer name is not below the prefix");
        r.release();
    }

    @Test
    @DisplayName("plain routes, XRPC and webhooks route by exact path and method")
    void plainRoutes() {
        assertInstanceOf(Route.Healthz.class, routed(request(HttpMethod.GET, "/healthz", false)));
        assertInstanceOf(Route.Metrics.class, routed(request(HttpMethod.GET, "/metrics", false)));
        assertInstanceOf(Route.Index.class, routed(request(HttpMethod.GET, "/", false)));
        xrpc.mount("sh.tangled.owner", "GET", req -> XrpcHandler.Response.empty(200));
        Route.Xrpc x = assertInstanceOf(Route.Xrpc.class, routed(request(HttpMethod.GET, "/xrpc/sh.tangled.owner?a=b", false)));
        assertEquals("sh.tangled.owner", x.nsid());
        webhooks.mount("/hooks/buildkite", "buildkite", req -> WebhookResponse.ok());
        Route.Webhook w = assertInstanceOf(Route.Webhook.class, routed(request(HttpMethod.POST, "/hooks/buildkite", false)));
        assertEquals("buildkite", w.engine());

        assertEquals(405, refused(request(HttpMethod.GET, "/hooks/buildkite", false)));
        assertEquals(405, refused(request(HttpMethod.DELETE, "/healthz", false)));
        assertEquals(405, refused(request(HttpMethod.valueOf("FROB"), "/metrics", false)));
        assertEquals(404, refused(request(HttpMethod.GET, "/healthz/", false)));
        assertEquals(404, refused(request(HttpMethod.GET, "/xrpc/sh.tangled.nope", false)));
        assertEquals(405, refused(request(HttpMethod.POST, "/xrpc/sh.tangled.owner", false)));
        assertEquals(400, refused(request(HttpMethod.GET, "/xrpc/sh.tangled.owner?a=%zz", false)));
        assertTrue(ch.isOpen(), "ordinary refusals keep the connection");
        assertEquals(400, refused(request(HttpMethod.GET, "/events", false)));
        assertFalse(ch.isOpen(), "a refused WebSocket request closes it");
    }
}
