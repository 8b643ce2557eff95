package dev.weft.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

import java.nio.charset.StandardCharsets;

/** Writes whole HTTP responses with correct length and keep-alive handling. Call on the event loop. */
final class Responses {
    static final String TEXT = "text/plain; charset=utf-8";
    static final String JSON = "application/json";

    private Responses() {
    }

    static ChannelFuture text(ChannelHandlerContext ctx, HttpCall call, HttpResponseStatus status, String text) {
        return send(ctx, call, response(status, TEXT, text.getBytes(StandardCharsets.UTF_8)), false);
    }

    static ChannelFuture json(ChannelHandlerContext ctx, HttpCall call, HttpResponseStatus status, byte[] body) {
        return send(ctx, call, response(status, body.length == 0 ? null : JSON, body), false);
    }

    /** A text answer after which the connection is closed: refused upgrades and unparsable input. */
    static ChannelFuture textAndClose(ChannelHandlerContext ctx, HttpCall call, HttpResponseStatus status, String text) {
        return send(ctx, call, response(status, TEXT, text.getBytes(StandardCharsets.UTF_8)), true);
    }

    /** XRPC's error shape, {@code {"error":"<tag>","message":"<text>"}}, as a JSON response. */
    static FullHttpResponse xrpcError(HttpResponseStatus status, String error, String message) {
        return response(status, JSON, XrpcHandler.Response.error(status.code(), error, message).body());
    }

    static FullHttpResponse response(HttpResponseStatus status, String contentType, byte[] body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(body));
        if (contentType != null) r.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        return r;
    }

    /**
     * Sends {@code r}, keeping the connection open only when the request asked for keep-alive
     * and {@code close} is false. {@code call} may be null (the request could not be parsed).
     */
    static ChannelFuture send(ChannelHandlerContext ctx, HttpCall call, FullHttpResponse r, boolean close) {
        boolean keepAlive = !close && call != null && call.keepAlive();
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (call.version().equals(HttpVersion.HTTP_1_0)) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ChannelFuture f = ctx.writeAndFlush(r);
        if (!keepAlive) f.addListener(ChannelFutureListener.CLOSE);
        return f;
    }
}
