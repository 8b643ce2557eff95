package dev.weft.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Sends a WebSocket ping when an {@code IdleStateHandler} before it reports nothing written for the
 * ping interval, as upstream does after 30 s idle: it keeps proxies from timing the stream out and
 * lets clients tell a quiet stream from a dead one. Stateless and {@link Sharable}.
 */
@Sharable
final class IdlePingHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent e && e.state() == IdleState.WRITER_IDLE) {
            // An unwritable channel is not idle but stalled; the slow-client timer deals with it.
            if (ctx.channel().isWritable()) {
                ctx.writeAndFlush(new PingWebSocketFrame()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
