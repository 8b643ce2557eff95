package dev.weft.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes an HTTP connection that has been idle (nothing read or written) for the HTTP idle
 * timeout, unless a request on it is still being answered. Bounds the cost of clients that open
 * connections and send nothing, or half a request. Removed on WebSocket upgrade. Stateless.
 */
@Sharable
final class IdleCloseHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(IdleCloseHandler.class);

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent e && e.state() == IdleState.ALL_IDLE) {
            if (!Blocking.inFlight(ctx.channel())) {
                log.debug("{}: idle HTTP connection closed", ctx.channel().remoteAddress());
                ctx.close();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }
}
