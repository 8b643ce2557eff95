package dev.weft.server;

import io.micrometer.core.instrument.Counter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Streams a {@link FrameSource} to one WebSocket client, pull-style: it keeps its own position,
 * and reads the source only when woken (new data, or the channel became writable again) and only
 * while the channel is writable. Backfill therefore turns into live following with no gap and no
 * duplicate, and a stalled client holds at most a write buffer plus one frame.
 *
 * <p>A slow client is disconnected when its channel stays unwritable for the slow-client timeout,
 * or when more than the pending-byte cap is still queued after a flush, not counting the last
 * stream frame: by construction only that frame can exceed the write buffer, and a single huge log
 * line must not cut off every viewer (they would reconnect into the same line forever). The cap
 * therefore catches anything queued around the stream's own gating.
 *
 * <p>Per connection, not sharable. All state is touched on the channel's event loop, except
 * {@link #wake()}, which publishers call from their own threads.
 */
final class FrameStreamHandler extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(FrameStreamHandler.class);

    /** Frames written per event-loop turn before yielding, so one backfill cannot starve other channels. */
    static final int FRAMES_PER_TURN = 1000;
    /** A server-to-client frame header is at most 10 bytes (no mask); rounded up. */
    static final int MAX_FRAME_HEADER = 14;
    /** Gathered frames are handed to the channel in buffers of about this size. */
    static final int BATCH_BYTES = 64 * 1024;
    static final int LOG_STREAM_COMPLETE = 1000;
    static final String LOG_STREAM_COMPLETE_REASON = "log stream complete";

    private final String endpoint;
    private final String description;
    private final FrameSource source;
    private final int batch;
    private final Duration slowClientTimeout;
    private final long maxPendingBytes;
    private final Duration closeHandshakeTimeout;
    private final AtomicInteger connections;
    private final Counter slowDisconnects;
    private final AtomicBoolean wakeScheduled = new AtomicBoolean();

    private long position;
    /** Wire size of the last stream frame written; see the class comment on the cap. */
    private long lastFrameBytes;
    /** Volatile: {@link #wake()} reads it on publisher threads. */
    private volatile ChannelHandlerContext ctx;
    private AutoCloseable subscription;
    private ScheduledFuture<?> slowTimer;
    private boolean counted;
    /** No more frames will be written: a close frame was sent or received, or the channel is going. */
    private boolean done;

    FrameStreamHandler(String endpoint, String description, FrameSource source, long startAfter,
                       ServerOptions options, ServerMetrics metrics) {
        this.endpoint = endpoint;
        this.description = description;
        this.source = source;
        this.position = startAfter;
        this.batch = options.streamBatch();
        this.slowClientTimeout = options.slowClientTimeout();
        this.maxPendingBytes = options.maxPendingBytes();
        this.closeHandshakeTimeout = options.closeHandshakeTimeout();
        this.connections = metrics.connections(endpoint);
        this.slowDisconnects = metrics.slowDisconnects(endpoint);
    }

    /** The position of the last frame handed to the channel. Event loop only; for tests. */
    long position() {
        return position;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        connections.incrementAndGet();
        counted = true;
        try {
            // Subscribe before the first read: anything appended from here on wakes us, and the
            // first read (scheduled by wake) sees everything appended before.
            subscription = source.subscribe(this::wake);
        } catch (Exception e) {
            log.warn("{} {}: cannot subscribe, closing", endpoint, description, e);
            stop();
            ctx.close();
            return;
        }
        wake();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        stop();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stop();
        ctx.fireChannelInactive();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == WebSocketControlHandler.PEER_CLOSING) {
            done = true; // the control handler answers the client's close; write nothing after it
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) {
            cancelSlowTimer();
            wake(); // never pump re-entrantly: this can fire from inside our own write or flush
        } else {
            startSlowTimer();
        }
        ctx.fireChannelWritabilityChanged();
    }

    /** Schedules a read on the event loop; coalesces bursts of notifications into one. Any thread. */
    void wake() {
        ChannelHandlerContext c = ctx;
        if (c == null || !wakeScheduled.compareAndSet(false, true)) return;
        try {
            c.executor().execute(this::pump);
        } catch (RejectedExecutionException e) {
            wakeScheduled.set(false); // event loop gone; the channel is closing anyway
        }
    }

    private void pump() {
        wakeScheduled.set(false); // before reading, so an append during this read wakes us again
        if (done || !ctx.channel().isActive()) return;
        int budget = FRAMES_PER_TURN;
        ByteBuf batch = null;
        try {
            fill:
            while (ctx.channel().isWritable()) {
                FrameSource.Chunk chunk = source.read(position, readLimit(budget));
                if (chunk.frames().isEmpty()) {
                    if (chunk.finished()) {
                        batch = writeBatch(batch);
                        ctx.flush();
                        sendClose(LOG_STREAM_COMPLETE, LOG_STREAM_COMPLETE_REASON);
                        return;
                    }
                    break; // caught up; the next append wakes us
                }
                // What the channel takes before it turns unwritable: frames are gathered up to
                // that (the one that crosses it included, as writing them one by one would), then
                // handed to the channel at once, and writability is looked at again. Frames of the
                // chunk not taken are re-read later, never kept.
                long room = ctx.channel().bytesBeforeUnwritable();
                for (FrameSource.Frame f : chunk.frames()) {
                    if (f.bytes() != null) {
                        if (batch == null) batch = ctx.alloc().buffer(BATCH_BYTES);
                        appendFrame(batch, source.binary(), f.bytes());
                        lastFrameBytes = f.bytes().length + MAX_FRAME_HEADER;
                        room -= lastFrameBytes;
                        if (batch.readableBytes() >= BATCH_BYTES) batch = writeBatch(batch);
                    }
                    position = f.position();
                    if (--budget == 0) {
                        wake(); // yield the event loop; continue on a later turn
                        break fill;
                    }
                    if (room <= 0) break;
                }
                batch = writeBatch(batch);
            }
            batch = writeBatch(batch);
        } catch (FrameSource.Unavailable e) {
            batch = writeBatch(batch); // frames read before the failure were fine: they go out first
            log.warn("{} {}: cannot continue, closing with 1011: {}", endpoint, description, e.getMessage());
            fail(e.getMessage());
            return;
        } catch (RuntimeException e) {
            batch = writeBatch(batch);
            log.error("{} {}: reading the feed failed, closing with 1011", endpoint, description, e);
            fail("internal error"); // the cause stays in our log, not on the wire
            return;
        }
        ctx.flush();
        // After the flush the kernel has taken what it can; what remains is ours to hold.
        ChannelOutboundBuffer out = ctx.channel().unsafe().outboundBuffer();
        long pending = out == null ? 0 : out.totalPendingWriteBytes();
        if (overCap(pending, lastFrameBytes, maxPendingBytes)) {
            disconnectSlow(pending + " bytes pending (cap " + maxPendingBytes + " beyond a last frame of "
                    + lastFrameBytes + ")");
        } else if (!ctx.channel().isWritable()) {
            startSlowTimer();
        }
    }

    /**
     * Hands the gathered frames to the channel (unflushed) and returns null; a null or empty batch
     * writes nothing.
     */
    private ByteBuf writeBatch(ByteBuf batch) {
        if (batch == null) return null;
        if (batch.isReadable()) ctx.write(batch, ctx.voidPromise());
        else batch.release();
        return null;
    }

    /**
     * Appends one complete server-to-client WebSocket frame (RFC 6455 section 5.2: FIN, text or
     * binary opcode, no mask, the shortest length encoding) with {@code payload}. Why by hand:
     * written one by one through the frame encoder, each frame costs a message, a pipeline pass and
     * an outbound-buffer entry, which with a thousand viewers of one log was most of the event
     * loops' time; gathered, a pump hands the channel one buffer. The bytes on the wire are the
     * same frames the encoder writes (no extensions are negotiated).
     */
    static void appendFrame(ByteBuf out, boolean binary, byte[] payload) {
        int len = payload.length;
        out.writeByte(0x80 | (binary ? 0x2 : 0x1));
        if (len < 126) {
            out.writeByte(len);
        } else if (len <= 0xFFFF) {
            out.writeByte(126);
            out.writeShort(len);
        } else {
            out.writeByte(127);
            out.writeLong(len);
        }
        out.writeBytes(payload);
    }

    /**
     * How many frames to ask the source for: about as many as the write buffer can still take, at
     * frames the size of the last one, so a backfill makes a few large reads per turn instead of
     * many small ones; never fewer than the configured batch (a first read, live following) nor
     * more than is left of the turn. Frames read but not written are read again later, so reading
     * more than fits is only wasted work.
     */
    private int readLimit(int budget) {
        if (lastFrameBytes <= 0) return Math.min(batch, budget);
        long fits = ctx.channel().bytesBeforeUnwritable() / lastFrameBytes + 1;
        return (int) Math.max(Math.min(batch, budget), Math.min(budget, fits));
    }

    /** Whether what is queued, less the last stream frame, exceeds the cap. */
    static boolean overCap(long pending, long lastFrameBytes, long cap) {
        return pending - lastFrameBytes > cap;
    }

    /** Ends a stream that cannot continue: the source's failure frame, if it has one, then close 1011. */
    private void fail(String message) {
        byte[] frame = source.failureFrame(message);
        if (frame != null) {
            // Past the writability gate on purpose: it is small and the last frame of the stream.
            ctx.write(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(frame)), ctx.voidPromise());
        }
        ctx.flush();
        sendClose(1011, "internal error");
    }

    /** Ends the stream with a close frame and waits briefly for the client's own close frame. */
    void sendClose(int code, String reason) {
        if (done || !ctx.channel().isActive()) return;
        done = true;
        stop();
        ctx.channel().attr(WebSocketControlHandler.CLOSE_SENT).set(Boolean.TRUE);
        ctx.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        // The control handler drops the connection when the client answers; do it anyway if not.
        ctx.executor().schedule(() -> {
            ctx.close();
        }, closeHandshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Server shutdown: tell the client we are going away (1001). Event loop only. */
    void goAway() {
        sendClose(1001, "server shutting down");
    }

    private void startSlowTimer() {
        if (slowTimer != null || done) return;
        slowTimer = ctx.executor().schedule(() -> {
            slowTimer = null;
            if (!done && ctx.channel().isActive() && !ctx.channel().isWritable()) {
                disconnectSlow("unwritable for " + slowClientTimeout.toMillis() + " ms");
            }
        }, slowClientTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelSlowTimer() {
        if (slowTimer != null) {
            slowTimer.cancel(false);
            slowTimer = null;
        }
    }

    private void disconnectSlow(String why) {
        log.warn("{} {}: slow client {} disconnected at position {}: {}", endpoint, description,
                ctx.channel().remoteAddress(), position, why);
        slowDisconnects.increment();
        done = true;
        stop();
        ctx.close(); // fails and releases whatever is still queued
    }

    /** Unsubscribes and releases per-connection resources. Idempotent. */
    private void stop() {
        cancelSlowTimer();
        if (subscription != null) {
            try {
                subscription.close();
            } catch (Exception e) {
                log.debug("{} {}: unsubscribe failed", endpoint, description, e);
            }
            subscription = null;
        }
        if (counted) {
            counted = false;
            connections.decrementAndGet();
        }
    }
}
