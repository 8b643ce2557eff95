package dev.weft.knot;

import org.java_websocket.WebSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ServerHandshake;

import java.net.URI;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A plain WebSocket client that records what a server sends, for protocol-level assertions. */
final class FrameRecorder extends WebSocketClient {
    final BlockingQueue<String> frames = new LinkedBlockingQueue<>();
    final AtomicInteger pings = new AtomicInteger();
    volatile int closeCode = Integer.MIN_VALUE;

    FrameRecorder(String uri) {
        super(URI.create(uri));
        setConnectionLostTimeout(0);
    }

    FrameRecorder open() throws InterruptedException {
        if (!connectBlocking(5, TimeUnit.SECONDS)) throw new AssertionError("could not connect to " + uri);
        return this;
    }

    /** The next frame within {@code millis}, or null. */
    String next(long millis) throws InterruptedException {
        return frames.poll(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void onWebsocketPing(WebSocket conn, Framedata f) {
        pings.incrementAndGet();
        super.onWebsocketPing(conn, f);
    }

    @Override
    public void onOpen(ServerHandshake handshake) {
    }

    @Override
    public void onMessage(String message) {
        frames.add(message);
    }

    @Override
    public void onClose(int code, String reason, boolean remote) {
        closeCode = code;
    }

    @Override
    public void onError(Exception ex) {
    }
}
