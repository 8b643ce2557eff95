package dev.weft.server;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Last in every pipeline: logs and closes on any exception (peers resetting connections are
 * routine, so I/O errors log at debug), and drops messages nobody handled (for example a client
 * frame that raced the upgrade). Stateless and {@link Sharable}.
 */
@Sharable
final class TailHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(TailHandler.class);

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        log.debug("{}: dropping unhandled {}", ctx.channel().remoteAddress(), msg.getClass().getSimpleName());
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            log.debug("{}: connection error: {}", ctx.channel().remoteAddress(), cause.toString());
        } else {
            log.warn("{}: unexpected error, closing", ctx.channel().remoteAddress(), cause);
        }
        ctx.close();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        ReferenceCountUtil.release(evt);
    }
}
