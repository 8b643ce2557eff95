package dev.weft.cmd.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Many WebSocket clients on a couple of Netty event loops: a thousand viewers cost two threads,
 * where Java-WebSocket would start two threads per client. Each connection reports its frames to a
 * {@link Listener} on its event loop, with the {@link System#nanoTime()} of their arrival.
 */
final class WsClients implements AutoCloseable {
    private final EventLoopGroup group;

    /** A connection's observer; every call comes from the connection's event loop. */
    interface Listener {
        default void onOpen(long nanos) {
        }

        /** A text frame; {@code content} is only valid during the call. */
        void onText(ByteBuf content, long nanos);

        /** A binary frame; {@code content} is only valid during the call. Ignored unless overridden. */
        default void onBinary(ByteBuf content, long nanos) {
        }

        /** The server's close frame (its code), or -1 when the connection ended without one. */
        default void onClose(int code, long nanos) {
        }
    }

    WsClients(int threads) {
        group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    }

    /** Connects and completes once the WebSocket handshake is done (exceptionally when it fails). */
    CompletableFuture<Channel> connect(URI uri, Listener listener) {
        CompletableFuture<Channel> opened = new CompletableFuture<>();
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri)
                .handleCloseFrames(false)
                .maxFramePayloadLength(1 << 20)
                .handshakeTimeoutMillis(60_000)
                .build();
        new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(1 << 16),
                                new WebSocketClientProtocolHandler(config), new Frames(listener, opened));
                    }
                })
                .connect(uri.getHost(), uri.getPort())
                .addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) opened.completeExceptionally(f.cause());
                });
        return opened;
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Per connection: hands text and binary frames to the listener and answers the server's close. */
    private static final class Frames extends SimpleChannelInboundHandler<WebSocketFrame> {
        private final Listener listener;
        private final CompletableFuture<Channel> opened;
        private boolean closed;

        Frames(Listener listener, CompletableFuture<Channel> opened) {
            this.listener = listener;
            this.opened = opened;
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
                listener.onOpen(System.nanoTime());
                opened.complete(ctx.channel());
            } else if (evt == WebSocketClientProtocolHandler.ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
                opened.completeExceptionally(new IllegalStateException("WebSocket handshake timed out"));
            }
            super.userEventTriggered(ctx, evt);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
            long now = System.nanoTime();
            if (frame instanceof TextWebSocketFrame) {
                listener.onText(frame.content(), now);
            } else if (frame instanceof BinaryWebSocketFrame) {
                listener.onBinary(frame.content(), now);
            } else if (frame instanceof CloseWebSocketFrame close) {
                int code = close.statusCode();
                if (!closed) {
                    closed = true;
                    listener.onClose(code, now);
                }
                ctx.writeAndFlush(code > 0 ? new CloseWebSocketFrame(code, "") : new CloseWebSocketFrame())
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            if (!closed) {
                closed = true;
                listener.onClose(-1, System.nanoTime());
            }
            opened.completeExceptionally(new IllegalStateException("connection closed before the handshake"));
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            opened.completeExceptionally(cause);
            ctx.close();
        }
    }
}
