package dev.weft.server;

import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * An {@link EmbeddedChannel} whose "socket" can stop taking bytes: while stalled, flushed writes
 * stay in the outbound buffer and count against the water marks, as with a client that stopped
 * reading. Call {@link #resume()} to let everything through.
 */
final class StallableChannel extends EmbeddedChannel {
    private boolean stalled;

    StallableChannel(int lowWaterMark, int highWaterMark) {
        config().setWriteBufferWaterMark(new WriteBufferWaterMark(lowWaterMark, highWaterMark));
    }

    void stall() {
        stalled = true;
    }

    /** Takes everything queued (firing writability changes) and runs what that woke. */
    void resume() {
        stalled = false;
        flush();
        runPendingTasks();
    }

    long pendingBytes() {
        ChannelOutboundBuffer out = unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    @Override
    protected void doWrite(ChannelOutboundBuffer in) throws Exception {
        if (!stalled) super.doWrite(in);
    }
}
