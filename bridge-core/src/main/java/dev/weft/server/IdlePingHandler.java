package dev.weft.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Sends a WebSocket ping when nothing was written to the stream for the ping interval, as upstream
 * does after 30 s idle: it keeps proxies from timing the stream out and lets clients tell a quiet
 * stream from a dead one.
 *
 * <p>Why not Netty's {@code IdleStateHandler}: to see writes complete it turns every write's void
 * promise into a real one with a listener, which on a log stream fanned out to a thousand viewers
 * cost about a fifth of the event loops' time (a promise, a listener list and a notification per
 * frame). Here a write only records when it was handed on, and one timer per connection compares.
 * A write that was queued but never flushed counts as activity: a stalled channel is not idle, and
 * the stream's slow-client timer deals with it.
 *
 * <p>Per connection, not sharable; event loop only.
 */
final class IdlePingHandler extends ChannelDuplexHandler {
    private final long idleNanos;
    private long lastWrite;
    private ScheduledFuture<?> timer;

    IdlePingHandler(Duration idle) {
        if (idle.isZero() || idle.isNegative()) throw new IllegalArgumentException("ping interval must be positive: " + idle);
        this.idleNanos = idle.toNanos();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        lastWrite = ctx.executor().ticker().nanoTime();
        schedule(ctx, idleNanos);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        lastWrite = ctx.executor().ticker().nanoTime();
        ctx.write(msg, promise);
    }

    private void check(ChannelHandlerContext ctx) {
        timer = null;
        if (!ctx.channel().isActive()) return;
        long idle = ctx.executor().ticker().nanoTime() - lastWrite;
        if (idle < idleNanos) {
            schedule(ctx, idleNanos - idle);
            return;
        }
        // An unwritable channel is not idle but stalled; the slow-client timer deals with it.
        if (ctx.channel().isWritable()) {
            ctx.writeAndFlush(new PingWebSocketFrame()).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        }
        lastWrite = ctx.executor().ticker().nanoTime();
        schedule(ctx, idleNanos);
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        timer = ctx.executor().schedule(() -> check(ctx), delayNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
