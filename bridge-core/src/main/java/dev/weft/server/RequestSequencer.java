package dev.weft.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;

/**
 * Keeps HTTP/1.1 pipelining in order: while a request on this connection is answered off the event
 * loop, later requests already read wait here, and go on one by one as answers complete. Reading
 * is paused during off-loop work, so at most one read's worth of requests ever waits; more than
 * {@link #MAX_QUEUED} closes the connection. Per connection, not sharable.
 */
final class RequestSequencer extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(RequestSequencer.class);
    static final int MAX_QUEUED = 32;

    private final ArrayDeque<FullHttpRequest> queue = new ArrayDeque<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof FullHttpRequest req)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (queue.isEmpty() && !Blocking.inFlight(ctx.channel())) {
            ctx.fireChannelRead(req);
            return;
        }
        if (queue.size() >= MAX_QUEUED) {
            log.info("{}: more than {} pipelined requests, closing", ctx.channel().remoteAddress(), MAX_QUEUED);
            req.release();
            ctx.close();
            return;
        }
        queue.add(req);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == Blocking.REQUEST_DONE) {
            while (!queue.isEmpty() && !Blocking.inFlight(ctx.channel()) && ctx.channel().isActive()) {
                ctx.fireChannelRead(queue.poll());
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        FullHttpRequest r;
        while ((r = queue.poll()) != null) ReferenceCountUtil.release(r);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        handlerRemoved(ctx);
        ctx.fireChannelInactive();
    }
}
