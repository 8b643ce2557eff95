package dev.weft.server;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

@DisplayName("CallbackBodyLimit on an in-memory channel")
class CallbackBodyLimitTest {
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final EmbeddedChannel ch = new EmbeddedChannel(new CallbackBodyLimit(100, new ServerMetrics(meters)));

    private static HttpRequest request(String uri, long length) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, uri);
        if (length >= 0) r.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
        return r;
    }

    private static HttpContent bytes(int n, boolean last) {
        return last ? new DefaultLastHttpContent(Unpooled.wrappedBuffer(new byte[n])) : new DefaultHttpContent(Unpooled.wrappedBuffer(new byte[n]));
    }

    @Test
    @DisplayName("other paths pass untouched whatever their size; callbacks within the limit pass too")
    void passes() {
        ch.writeInbound(request("/hooks/buildkite", 5000), bytes(5000, true));
        ch.writeInbound(request("/hooks/callback/1", 100), bytes(60, false), bytes(40, true));
        for (int i = 0; i < 5; i++) ReferenceCountUtil.release(ch.readInbound());
        assertNull(ch.readInbound());
        assertNull(ch.readOutbound());
        ch.finishAndReleaseAll();
    }

    @Test
    @DisplayName("a declared length over the limit: 413 at once, nothing passes, the connection closes")
    void declared() {
        HttpContent body = bytes(10, false);
        ch.writeInbound(request("/hooks/callback/1", 101), body);
        FullHttpResponse r = assertInstanceOf(FullHttpResponse.class, ch.readOutbound());
        assertEquals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, r.status());
        r.release();
        assertNull(ch.readInbound());
        assertEquals(0, body.refCnt(), "dropped content is released");
        assertFalse(ch.isOpen());
        assertEquals(1.0, meters.get("weft.webhooks").tag("engine", "callback").counter().count());
        ch.finishAndReleaseAll();
    }

    @Test
    @DisplayName("a chunked body is cut off with 413 as soon as it passes the limit")
    void chunked() {
        ch.writeInbound(request("/hooks/callback/1", -1), bytes(60, false));
        ReferenceCountUtil.release(ch.readInbound());
        ReferenceCountUtil.release(ch.readInbound());
        ch.writeInbound(bytes(60, false));
        FullHttpResponse r = assertInstanceOf(FullHttpResponse.class, ch.readOutbound());
        assertEquals(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, r.status());
        r.release();
        assertNull(ch.readInbound());
        assertFalse(ch.isOpen());
        ch.finishAndReleaseAll();
    }
}
