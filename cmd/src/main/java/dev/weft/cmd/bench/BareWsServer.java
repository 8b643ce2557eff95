package dev.weft.cmd.bench;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * The reference side of {@code logs}, {@code cilogs} and {@code events}: the least a Netty
 * WebSocket server can do to send the same pre-encoded frames to each client, as text frames or,
 * for {@code cilogs}' DAG-CBOR messages, as binary ones. It has weft's transport settings (NIO, the
 * default number of event loops, {@code TCP_NODELAY}, a 128/256 KiB write-buffer water mark) and
 * its way of writing (wrap each frame's bytes, write while the channel is writable, flush, resume
 * on writability, yield after 1,000 frames), then ends each stream with close 1000, but has no
 * store, no feed, no routing and no per-frame lookup: what weft adds to this is what the ratio
 * measures.
 */
final class BareWsServer implements AutoCloseable {
    private static final int FRAMES_PER_TURN = 1000;
    private static final int HIGH_WATER_MARK = 256 << 10;

    private final Queue<Stream> waiting = new ConcurrentLinkedQueue<>();
    private final boolean binary;
    /** Null until the streams may start. */
    private volatile List<byte[]> frames;
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel listener;

    /** A server whose clients wait, once connected, for {@link #go}; text frames. */
    BareWsServer() {
        this(false);
    }

    /** A server whose clients wait, once connected, for {@link #go}; binary frames when {@code binary}. */
    BareWsServer(boolean binary) {
        this.binary = binary;
    }

    /** A server that streams {@code frames} as text to each client as soon as its handshake is done. */
    BareWsServer(List<byte[]> frames) {
        this.binary = false;
        this.frames = frames;
    }

    /** Binds an ephemeral loopback port; returns it. */
    int start() {
        boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        workers = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        WebSocketServerProtocolConfig ws = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/").checkStartsWith(true).maxFramePayloadLength(1 << 16).build();
        listener = new ServerBootstrap().group(boss, workers).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(HIGH_WATER_MARK / 2, HIGH_WATER_MARK))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 16),
                                new WebSocketServerProtocolHandler(ws), new Stream());
                    }
                })
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    /** Sends {@code frames} on every stream whose handshake is done, and on any later one at its handshake. */
    void go(List<byte[]> frames) {
        this.frames = frames;
        for (Stream s; (s = waiting.poll()) != null; ) s.wake();
    }

    /** Makes clients that connect from now on wait for the next {@link #go} (streams under way go on). */
    void hold() {
        this.frames = null;
    }

    @Override
    public void close() {
        if (listener != null) listener.close().syncUninterruptibly();
        if (workers != null) workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        if (boss != null) boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** One client's stream: a position in {@link #frames}. */
    private final class Stream extends ChannelInboundHandlerAdapter {
        private ChannelHandlerContext ctx;
        private List<byte[]> sending;
        private int next;
        private boolean started;
        private boolean done;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                this.ctx = ctx;
                if (frames != null) {
                    wake();
                } else {
                    waiting.add(this);
                    // go() may have run between the check and the add
                    if (frames != null && waiting.remove(this)) wake();
                }
            }
            super.userEventTriggered(ctx, evt);
        }

        void wake() {
            ctx.executor().execute(() -> {
                sending = frames;
                started = true;
                pump();
            });
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
            if (started && ctx.channel().isWritable()) ctx.executor().execute(this::pump);
            super.channelWritabilityChanged(ctx);
        }

        private void pump() {
            if (done || !ctx.channel().isActive()) return;
            int budget = FRAMES_PER_TURN;
            while (next < sending.size() && ctx.channel().isWritable()) {
                ByteBuf payload = Unpooled.wrappedBuffer(sending.get(next++));
                ctx.write(binary ? new BinaryWebSocketFrame(payload) : new TextWebSocketFrame(payload), ctx.voidPromise());
                if (--budget == 0) {
                    ctx.flush();
                    ctx.executor().execute(this::pump);
                    return;
                }
            }
            if (next == sending.size()) {
                done = true;
                ctx.writeAndFlush(new CloseWebSocketFrame(1000, "log stream complete"));
            } else {
                ctx.flush();
            }
        }
    }
}
