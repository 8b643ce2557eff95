package dev.weft.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * Turns an HTTP connection into a server-push WebSocket: completes the handshake, takes the HTTP
 * handlers out of the pipeline and puts in ping, control and the given stream handler. Call on the
 * event loop, after every reason to refuse the request has been checked.
 */
final class WebSocketUpgrade {
    private static final Logger log = LoggerFactory.getLogger(WebSocketUpgrade.class);

    /** Clients send only control frames; anything bigger than this is not a client we serve. */
    static final int MAX_CLIENT_FRAME = 64 * 1024;

    private WebSocketUpgrade() {
    }

    static void upgrade(ChannelHandlerContext ctx, HttpCall call, FrameStreamHandler stream, ServerOptions options,
                        WebSocketControlHandler control) {
        String host = call.nettyHeaders().get(HttpHeaderNames.HOST, "localhost");
        FullHttpRequest req = call.toUpgradeRequest();
        try {
            WebSocketServerHandshaker hs = new WebSocketServerHandshakerFactory("ws://" + host + call.uri(), null,
                    false, MAX_CLIENT_FRAME).newHandshaker(req);
            if (hs == null) {
                log.info("{} {}: unsupported WebSocket version", ctx.channel().remoteAddress(), call.uri());
                WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel())
                        .addListener(ChannelFutureListener.CLOSE);
                return;
            }
            // The handshaker writes the 101 and swaps the codec; frames written after this call
            // queue behind the 101, so the stream may start at once.
            hs.handshake(ctx.channel(), req).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        } catch (WebSocketHandshakeException e) {
            log.info("{} {}: bad WebSocket handshake: {}", ctx.channel().remoteAddress(), call.uri(), e.getMessage());
            Responses.textAndClose(ctx, call, HttpResponseStatus.BAD_REQUEST, "bad WebSocket handshake\n");
            return;
        } finally {
            req.release();
        }
        ChannelPipeline p = ctx.pipeline();
        for (String name : HttpPipeline.HTTP_ONLY) {
            if (p.get(name) != null) p.remove(name);
        }
        p.addBefore(HttpPipeline.ERRORS, "wsPing", new IdlePingHandler(options.pingIdle()));
        p.addBefore(HttpPipeline.ERRORS, "wsControl", control);
        p.addBefore(HttpPipeline.ERRORS, "stream", stream);
    }
}
