package dev.weft.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;

/**
 * The client side of a server-push WebSocket: answers pings (while the channel is writable),
 * completes close handshakes, and drops data frames ({@code /events} and {@code /logs} take no input from clients). Stateless and
 * {@link Sharable}; per-connection state lives in channel attributes.
 */
@Sharable
final class WebSocketControlHandler extends ChannelInboundHandlerAdapter {
    /** Set once weft has sent its close frame; the client's close frame then ends the connection. */
    static final AttributeKey<Boolean> CLOSE_SENT = AttributeKey.valueOf("weft.wsCloseSent");
    /** Fired before answering a client-initiated close, so the streamer writes nothing after it. */
    static final Object PEER_CLOSING = new Object() {
        @Override
        public String toString() {
            return "PEER_CLOSING";
        }
    };

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(msg);
            return;
        }
        switch (frame) {
            case PingWebSocketFrame ping -> {
                if (ctx.channel().isWritable()) {
                    ctx.writeAndFlush(new PongWebSocketFrame(ping.content())); // the payload moves to the pong
                } else {
                    // A client that pings but does not read must not grow our queue; RFC 6455 lets
                    // us answer only the latest ping anyway.
                    ping.release();
                }
            }
            case CloseWebSocketFrame close -> {
                try {
                    onClose(ctx, close);
                } finally {
                    close.release();
                }
            }
            default -> ReferenceCountUtil.release(frame); // pong, text, binary, continuation: ignored
        }
    }

    private static void onClose(ChannelHandlerContext ctx, CloseWebSocketFrame close) {
        if (Boolean.TRUE.equals(ctx.channel().attr(CLOSE_SENT).get())) {
            ctx.close(); // the client answered our close: handshake done
            return;
        }
        ctx.channel().attr(CLOSE_SENT).set(Boolean.TRUE);
        ctx.pipeline().fireUserEventTriggered(PEER_CLOSING);
        int code = close.statusCode();
        CloseWebSocketFrame answer = code < 0 ? new CloseWebSocketFrame() : new CloseWebSocketFrame(code, "");
        ctx.writeAndFlush(answer).addListener(ChannelFutureListener.CLOSE);
    }
}
