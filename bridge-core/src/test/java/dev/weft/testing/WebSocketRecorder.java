package dev.weft.testing;

import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.enums.Opcode;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.exceptions.InvalidHandshakeException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.Handshakedata;
import org.java_websocket.handshake.ServerHandshake;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A WebSocket client for tests that records what a server sends: every text frame (as text and as
 * the exact payload bytes), every binary message, pings, the close code and reason, and the HTTP status of the handshake
 * (101, or the 4xx/5xx of a refused upgrade). After OkHttp's recorder: awaits poll with a
 * timeout and fail with an {@link AssertionError} describing what did arrive.
 *
 * <pre>{@code
 * try (WebSocketRecorder ws = WebSocketRecorder.connect(URI.create("ws://127.0.0.1:" + port + "/events"))) {
 *     assertEquals(101, ws.handshakeStatus());
 *     String first = ws.awaitFrame(Duration.ofSeconds(5));
 * }
 * }</pre>
 *
 * <p>Thread-safe: the client's read thread records, test threads await and read. The await methods
 * consume frames in order (each frame is returned by exactly one await); {@link #frames()} always
 * returns every frame received so far. The client sends no pings of its own.
 */
public final class WebSocketRecorder implements AutoCloseable {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern STATUS_IN_ERROR = Pattern.compile("Invalid status code received: (\\d{3})");

    private final Object lock = new Object();
    private final List<String> frames = new ArrayList<>();
    private final List<byte[]> rawFrames = new ArrayList<>();
    private final List<byte[]> binaryFrames = new ArrayList<>();
    private int takenBinary;
    private final Client client;
    private int taken;
    private int handshakeStatus = -1;
    private int pings;
    private int pongs;
    private boolean opened;
    private Integer closeCode;
    private String closeReason;
    private boolean closedRemotely;
    private Exception error;
    /** Payload of the text message being assembled by the read thread (fragments appended). */
    private ByteArrayOutputStream textInProgress;
    private byte[] lastRawText;

    private WebSocketRecorder(URI uri) {
        this.client = new Client(uri);
        client.setConnectionLostTimeout(0); // no client pings: tests watch the server's own
    }

    /** Connects and waits (up to 10 s) until the handshake succeeded or was refused. */
    public static WebSocketRecorder connect(URI uri) {
        return connect(uri, CONNECT_TIMEOUT);
    }

    /**
     * Connects and waits up to {@code timeout} until the handshake succeeded or was refused. Never
     * throws for a refused handshake: check {@link #handshakeStatus()}.
     */
    public static WebSocketRecorder connect(URI uri, Duration timeout) {
        WebSocketRecorder r = new WebSocketRecorder(uri);
        try {
            r.client.connectBlocking(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while connecting to " + uri, e);
        }
        return r;
    }

    /**
     * The HTTP status of the handshake response: 101 when upgraded, the server's status (404, 400,
     * 502...) when it refused, -1 when no response line arrived (connection refused, timeout).
     */
    public int handshakeStatus() {
        synchronized (lock) {
            return handshakeStatus;
        }
    }

    /** Whether the handshake succeeded (the connection may have closed since). */
    public boolean opened() {
        synchronized (lock) {
            return opened;
        }
    }

    /** Every text frame received so far, in order. */
    public List<String> frames() {
        synchronized (lock) {
            return List.copyOf(frames);
        }
    }

    /** The exact payload bytes of every text frame received so far, in order. */
    public List<byte[]> rawFrames() {
        synchronized (lock) {
            return rawFrames.stream().map(byte[]::clone).toList();
        }
    }

    /** The payload of every binary message received so far, in order (text frames are in {@link #frames()}). */
    public List<byte[]> binaryFrames() {
        synchronized (lock) {
            return binaryFrames.stream().map(byte[]::clone).toList();
        }
    }

    /** The next {@code n} binary messages not yet returned by this await. */
    public List<byte[]> awaitBinaryFrames(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (binaryFrames.size() < takenBinary + n) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || closeCode != null) {
                    throw new AssertionError("expected " + n + " more binary frame(s) within " + timeout + " but got "
                            + (binaryFrames.size() - takenBinary) + "; " + state());
                }
                waitNanos(left);
            }
            List<byte[]> out = binaryFrames.subList(takenBinary, takenBinary + n).stream().map(byte[]::clone).toList();
            takenBinary += n;
            return out;
        }
    }

    /** How many pings the server sent (each was answered with a pong). */
    public int pingsReceived() {
        synchronized (lock) {
            return pings;
        }
    }

    /** How many pongs the server sent (answers to {@link #sendPing()}). */
    public int pongsReceived() {
        synchronized (lock) {
            return pongs;
        }
    }

    /** The next frame not yet returned by an await. */
    public String awaitFrame(Duration timeout) {
        return awaitFrames(1, timeout).get(0);
    }

    /** The next {@code n} frames not yet returned by an await. */
    public List<String> awaitFrames(int n, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (frames.size() < taken + n) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || closeCode != null) {
                    throw new AssertionError("expected " + n + " more frame(s) within " + timeout + " but got "
                            + (frames.size() - taken) + "; " + state());
                }
                waitNanos(left);
            }
            List<String> out = List.copyOf(frames.subList(taken, taken + n));
            taken += n;
            return out;
        }
    }

    /** Waits for the connection to close and returns the close code (1006 for an abnormal end). */
    public int awaitClose(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (closeCode == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) throw new AssertionError("not closed within " + timeout + "; " + state());
                waitNanos(left);
            }
            return closeCode;
        }
    }

    /** The close code, or null while open. */
    public Integer closeCode() {
        synchronized (lock) {
            return closeCode;
        }
    }

    /** The close reason, or null while open. */
    public String closeReason() {
        synchronized (lock) {
            return closeReason;
        }
    }

    /** Whether the server (rather than this client) started the close. */
    public boolean closedRemotely() {
        synchronized (lock) {
            return closedRemotely;
        }
    }

    /** Sends a text frame to the server. */
    public void send(String text) {
        client.send(text);
    }

    /** Sends a ping to the server. */
    public void sendPing() {
        client.sendPing();
    }

    /** Closes with 1000 and waits up to 5 s for the close handshake; idempotent. */
    @Override
    public void close() {
        synchronized (lock) {
            if (closeCode != null) return;
        }
        client.close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        synchronized (lock) {
            while (closeCode == null) {
                long left = deadline - System.nanoTime();
                if (left <= 0) break;
                waitNanos(left);
            }
        }
        if (closeCode() == null) client.closeConnection(CloseFrame.ABNORMAL_CLOSE, "recorder close timed out");
    }

    private void waitNanos(long nanos) {
        try {
            TimeUnit.NANOSECONDS.timedWait(lock, nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private String state() {
        return "handshake " + handshakeStatus + ", frames " + frames.size() + ", taken " + taken
                + ", binary " + binaryFrames.size() + ", taken " + takenBinary + ", close "
                + closeCode + (closeReason == null ? "" : " '" + closeReason + "'")
                + (error == null ? "" : ", error " + error);
    }

    /** Reads the status line of the handshake response before Java-WebSocket judges it. */
    private void recordStatusLine(ByteBuffer buf) {
        StringBuilder line = new StringBuilder();
        while (buf.hasRemaining()) {
            char c = (char) (buf.get() & 0xff);
            if (c == '\n') {
                String[] parts = line.toString().trim().split(" ");
                if (parts.length >= 2 && parts[0].startsWith("HTTP/")) {
                    try {
                        int status = Integer.parseInt(parts[1]);
                        synchronized (lock) {
                            handshakeStatus = status;
                        }
                    } catch (NumberFormatException ignored) {
                        // not a status line; leave -1
                    }
                }
                return;
            }
            line.append(c);
        }
    }

    /** Keeps each text message's exact payload before Java-WebSocket decodes it to a String. */
    private void recordFrame(Framedata frame) {
        Opcode op = frame.getOpcode();
        if (op == Opcode.TEXT) {
            textInProgress = new ByteArrayOutputStream();
        } else if (op != Opcode.CONTINUOUS || textInProgress == null) {
            return;
        }
        ByteBuffer payload = frame.getPayloadData().duplicate();
        byte[] chunk = new byte[payload.remaining()];
        payload.get(chunk);
        textInProgress.writeBytes(chunk);
        if (frame.isFin()) {
            lastRawText = textInProgress.toByteArray();
            textInProgress = null;
        }
    }

    private final class RecordingDraft extends Draft_6455 {
        @Override
        public Draft copyInstance() {
            return new RecordingDraft(); // the client copies its draft; keep ours
        }

        @Override
        public Handshakedata translateHandshake(ByteBuffer buf) throws InvalidHandshakeException {
            recordStatusLine(buf.duplicate());
            return super.translateHandshake(buf);
        }

        @Override
        public void processFrame(WebSocketImpl webSocket, Framedata frame) throws InvalidDataException {
            recordFrame(frame);
            super.processFrame(webSocket, frame);
        }
    }

    private final class Client extends WebSocketClient {
        Client(URI uri) {
            super(uri, new RecordingDraft());
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
            synchronized (lock) {
                opened = true;
                handshakeStatus = handshake.getHttpStatus();
                lock.notifyAll();
            }
        }

        @Override
        public void onMessage(String message) {
            byte[] raw = lastRawText != null ? lastRawText : message.getBytes(StandardCharsets.UTF_8);
            lastRawText = null;
            synchronized (lock) {
                frames.add(message);
                rawFrames.add(raw);
                lock.notifyAll();
            }
        }

        @Override
        public void onMessage(ByteBuffer message) {
            byte[] b = new byte[message.remaining()];
            message.get(b);
            synchronized (lock) {
                binaryFrames.add(b);
                lock.notifyAll();
            }
        }

        @Override
        public void onWebsocketPing(WebSocket conn, Framedata f) {
            synchronized (lock) {
                pings++;
            }
            super.onWebsocketPing(conn, f); // answers with a pong
        }

        @Override
        public void onWebsocketPong(WebSocket conn, Framedata f) {
            synchronized (lock) {
                pongs++;
            }
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            synchronized (lock) {
                if (handshakeStatus == -1 && reason != null) {
                    // Fallback when the status line never reached translateHandshake.
                    Matcher m = STATUS_IN_ERROR.matcher(reason);
                    if (m.find()) handshakeStatus = Integer.parseInt(m.group(1));
                }
                closeCode = code;
                closeReason = reason;
                closedRemotely = remote;
                lock.notifyAll();
            }
        }

        @Override
        public void onError(Exception ex) {
            synchronized (lock) {
                if (error == null) error = ex;
                lock.notifyAll();
            }
        }
    }
}
