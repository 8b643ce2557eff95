package dev.weft.stream;

import dev.weft.spi.Backoff;
import org.java_websocket.WebSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshake;
import org.slf4j.Logger;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Keeps one WebSocket subscription open until closed, reconnecting with jittered exponential
 * backoff, and hands its frames, in order, to the subclass. The subclass owns the protocol: where to
 * resume ({@link #resumePoint()}, {@link #uri}), what a frame means ({@link #onText},
 * {@link #onBinary}, {@link #onOversized}, {@link #closeReason}), what to checkpoint, and all log
 * wording and metrics (the {@code connected}/{@code failed}/{@code disconnected} hooks only log).
 *
 * <p><b>Lifecycle.</b> {@link #start()}, then {@link #close()}. Each (re)connect reads the resume
 * point afresh; if that throws, the attempt backs off and reads again (connecting "from now" could
 * skip events). Failed attempts back off from {@link Settings#initialBackoff()} doubling to
 * {@link Settings#maxBackoff()}; the backoff resets after a connection that delivered a frame or
 * stayed up {@link Settings#stableAfter()}, and at once when a frame handler asks to
 * {@link End#resubscribe resubscribe} (which also skips the pause).
 *
 * <p><b>Threads.</b> One virtual thread per stream ("the processing thread") runs the connect loop
 * and calls every hook except {@link #closeTimedOut} (the closing thread) and
 * {@link #handshakeFailure} (the library's reader thread). The reader thread only enqueues into a
 * bounded queue of {@link Settings#queueCapacity()}; when it is full the reader blocks, so a slow
 * handler stops reading from the socket (TCP backpressure) instead of growing memory, and time
 * blocked that way does not count as silence. {@link #close()} interrupts the processing thread
 * to wake a poll, pause or connect, but never inside a
 * {@link #beginUninterruptible() begin}/{@link #endUninterruptible() end} section (a sink write).
 *
 * <p><b>Liveness.</b> Either {@link Liveness.Silence}: a stream with no frame, ping or pong for
 * {@code deadAfter} is dropped and reconnected (the library's own pinger is off), or
 * {@link Liveness.LibraryPing}: Java-WebSocket pings every {@code interval} and drops a connection
 * that stops answering.
 *
 * <p><b>Errors.</b> Nothing the server sends stops the stream: a handler returns {@code null} to go
 * on or an {@link End} to drop the connection (and reconnect). A text frame over
 * {@link Settings#skipAbove()} UTF-8 bytes is released at once and reported to
 * {@link #onOversized}; a frame over {@link Settings#frameLimit()} makes the library close the
 * connection (1009). A {@link RuntimeException} or {@link Error} escaping a hook ends the
 * processing thread: it is reported to {@link #crashed}, the connection is abandoned and the
 * stream stays down until closed.
 *
 * @param <R> the resume point a connection is made from (a cursor, say)
 */
public abstract class ReconnectingStream<R> {

    /** How a dead connection is noticed; see the class comment. */
    public sealed interface Liveness {
        /**
         * Our own detection: no frame, ping or pong for {@code deadAfter} ends the connection.
         *
         * @param deadAfter how long a silent stream is presumed alive
         * @param nanoTime  the monotonic time silence is measured in, {@link System#nanoTime()} but in
         *                  tests, which move it by hand so that machine load cannot decide the outcome
         */
        record Silence(Duration deadAfter, LongSupplier nanoTime) implements Liveness {
            public Silence {
                Objects.requireNonNull(deadAfter, "deadAfter");
                Objects.requireNonNull(nanoTime, "nanoTime");
            }

            /** Measured with {@link System#nanoTime()}. */
            public Silence(Duration deadAfter) {
                this(deadAfter, System::nanoTime);
            }
        }

        /** The library's pinger: a ping every {@code interval} (whole seconds, at least 1). */
        record LibraryPing(Duration interval) implements Liveness {
            public LibraryPing {
                Objects.requireNonNull(interval, "interval");
            }
        }
    }

    /**
     * @param threadName           name of the processing thread
     * @param label                names the peer in the shared debug logs ({@code "knot x.example"})
     * @param log                  where the shared debug logs go (the client's own logger)
     * @param clock                source of the receive times handed to the frame hooks
     * @param queueCapacity        frames buffered between the reader and the processing thread
     * @param initialBackoff       first retry delay
     * @param maxBackoff           retry delay ceiling
     * @param connectTimeout       limit on TCP connect plus handshake
     * @param stableAfter          a connection up this long resets the backoff
     * @param closeTimeout         how long {@link #close()} waits for the processing thread
     * @param frameLimit           the library closes the connection (1009) on a bigger frame
     * @param skipAbove            text frames of more UTF-8 bytes go to {@link #onOversized}
     *                             ({@link Long#MAX_VALUE}: never)
     * @param liveness             how a dead connection is noticed
     * @param closeSocketOnAbandon also close the raw socket on abandon, so an abandon that lands
     *                             while the library is still connecting cannot leak a subscriber
     * @param abandonReason        the close reason recorded when weft abandons a connection
     */
    public record Settings(String threadName, String label, Logger log, Clock clock, int queueCapacity,
                           Duration initialBackoff, Duration maxBackoff, Duration connectTimeout,
                           Duration stableAfter, Duration closeTimeout, int frameLimit, long skipAbove,
                           Liveness liveness, boolean closeSocketOnAbandon, String abandonReason) {
        public Settings {
            Objects.requireNonNull(threadName, "threadName");
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(log, "log");
            Objects.requireNonNull(clock, "clock");
            Objects.requireNonNull(initialBackoff, "initialBackoff");
            Objects.requireNonNull(maxBackoff, "maxBackoff");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(stableAfter, "stableAfter");
            Objects.requireNonNull(closeTimeout, "closeTimeout");
            Objects.requireNonNull(liveness, "liveness");
            Objects.requireNonNull(abandonReason, "abandonReason");
        }
    }

    /**
     * Why a connection must end, returned by a frame hook ({@code null} means go on).
     *
     * @param why         for the log
     * @param resubscribe reconnect at once with a fresh {@link #resumePoint()}, resetting the backoff
     *                    (a changed subscription filter), instead of backing off as after a failure
     */
    public record End(String why, boolean resubscribe) {
        public static End drop(String why) {
            return new End(why, false);
        }

        public static End resubscribe(String why) {
            return new End(why, true);
        }
    }

    private static final End CLOSED = End.drop("closed");

    private final Settings settings;
    private final Logger log;
    /** The time silence is measured in: {@link Liveness.Silence#nanoTime()}, else {@link System#nanoTime()}. */
    private final LongSupplier silenceClock;
    private final BlockingQueue<Inbound> queue;
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicLong generations = new AtomicLong();
    private final CountDownLatch closeSignal = new CountDownLatch(1);

    /** Guards {@link #closing}, {@link #inSection} and {@link #thread}. */
    private final Object lock = new Object();
    private volatile boolean closing;
    private boolean inSection;
    private Thread thread;
    private volatile Connection current;

    protected ReconnectingStream(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.log = settings.log();
        this.silenceClock = settings.liveness() instanceof Liveness.Silence silence ? silence.nanoTime() : System::nanoTime;
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
    }

    // ---------------------------------------------------------------- hooks (processing thread)

    /** Reads where to resume. Throwing makes the attempt back off and read again. */
    protected abstract R resumePoint();

    /** The URI to connect to from {@code resume}. Throwing is treated like {@link #resumePoint()}. */
    protected abstract URI uri(R resume);

    /** Logs that the resume point or URI could not be had; the next attempt is in {@code retryIn}. */
    protected abstract void resumeFailed(RuntimeException e, Duration retryIn);

    /** Logs a failed connection attempt ({@code failure} says why); the next is in {@code retryIn}. */
    protected abstract void connectFailed(String failure, Duration retryIn);

    /** The connection to {@code uri}, made from {@code resume}, is open. */
    protected abstract void connected(R resume, URI uri);

    /** One text frame; returns null, or why the connection must end. */
    protected abstract End onText(String text, Instant receivedAt);

    /** One binary frame of {@code bytes} bytes (its content is not kept). */
    protected abstract End onBinary(long bytes, Instant receivedAt);

    /**
     * A text frame over {@link Settings#skipAbove()} bytes, already dropped. Only called when that
     * limit is set; the default throws.
     */
    protected End onOversized(long bytes, Instant receivedAt) {
        throw new IllegalStateException("oversized frame of " + bytes + " bytes with no handler");
    }

    /** Why the connection ended, from its close frame or close code; {@code reason} may be null. */
    protected abstract String closeReason(int code, String reason, boolean remote);

    /**
     * Called on the processing thread after {@link #wakeProcessing()} and at every idle tick while
     * connected: a subclass that hands frames on asynchronously settles what completed. Returns
     * null, or why the connection must end. The default does nothing.
     */
    protected End onWake() {
        return null;
    }

    /**
     * Called on the processing thread once a connection's frames are no longer processed (it
     * ended, failed or the stream is closing), before any reconnect: a subclass settles what it
     * handed on asynchronously. The default does nothing.
     */
    protected void connectionEnded() {
    }

    /**
     * Asks the processing thread to call {@link #onWake()} soon. Any thread; never blocks: when
     * the frame queue is full the wake is dropped, as the thread is busy with frames anyway and
     * calls {@code onWake} at its next idle tick at the latest.
     */
    protected final void wakeProcessing() {
        queue.offer(Inbound.WAKE);
    }

    /** Logs that the stream went down from {@code why}; the reconnect is in {@code retryIn}. */
    protected abstract void disconnected(String why, Duration retryIn);

    /** An open connection ended because of {@link #close()}. Default: nothing. */
    protected void stoppedWhileConnected() {
    }

    /** A handler asked to resubscribe ({@code why}); the reconnect follows at once. Default: nothing. */
    protected void resubscribing(String why) {
    }

    /** An unexpected error is about to end the processing thread. Default: nothing. */
    protected void crashed(Throwable e) {
    }

    // ---------------------------------------------------------------- hooks (other threads)

    /**
     * Called on the closing thread when the processing thread outlived
     * {@link Settings#closeTimeout()}; true interrupts it once more and waits up to 5 s. Default:
     * false, give up.
     */
    protected boolean closeTimedOut(Duration waited) {
        return false;
    }

    /**
     * Called on the library's reader thread when a connection closes: the failure to report should
     * it never have opened. {@code previous} is the error seen so far or null. Default: keep
     * {@code previous}, else "connection closed during the handshake (code ...)".
     */
    protected String handshakeFailure(String previous, int code, String reason) {
        if (previous != null) return previous;
        return "connection closed during the handshake (code " + code
                + (reason == null || reason.isEmpty() ? "" : ", " + reason) + ")";
    }

    // ---------------------------------------------------------------- for the subclass

    /**
     * Starts the processing thread, which connects at once. Idempotent; any thread.
     *
     * @return false, starting nothing, after {@link #close()}
     */
    public final boolean start() {
        synchronized (lock) {
            if (closing) return false;
            if (thread == null) thread = Thread.ofVirtual().name(settings.threadName()).start(this::run);
            return true;
        }
    }

    /** Whether a connection is open right now. Any thread. */
    public final boolean isConnected() {
        return connected.get() == 1;
    }

    /** Whether {@link #close()} has begun. Any thread. */
    protected final boolean isClosing() {
        return closing;
    }

    /**
     * Enters a section {@link #close()} must not interrupt (a sink call that must not be cut
     * half-way). Processing thread only.
     *
     * @return false, entering nothing, when closing: the caller should end the connection
     */
    protected final boolean beginUninterruptible() {
        synchronized (lock) {
            if (closing) return false;
            inSection = true;
            return true;
        }
    }

    /** Leaves the section entered by {@link #beginUninterruptible()}. */
    protected final void endUninterruptible() {
        synchronized (lock) {
            inSection = false;
        }
    }

    /**
     * Stops: closes the connection and waits for the processing thread (up to
     * {@link Settings#closeTimeout()}, then see {@link #closeTimedOut}). Frames not yet processed are
     * dropped. Idempotent; any thread.
     */
    public final void close() {
        Thread t;
        synchronized (lock) {
            if (closing) return;
            closing = true;
            t = thread;
            // Wake a poll, a backoff wait or a connect, but never an uninterruptible section: a sink
            // interrupted half-way (a JDBC write, say) is worse than waiting for it.
            if (t != null && !inSection) t.interrupt();
        }
        closeSignal.countDown();
        Connection c = current;
        if (c != null) c.abandon();
        queue.clear();
        if (t != null) {
            try {
                if (!t.join(settings.closeTimeout()) && closeTimedOut(settings.closeTimeout())) {
                    t.interrupt();
                    t.join(Duration.ofSeconds(5));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        connected.set(0);
    }

    // ---------------------------------------------------------------- processing thread

    private void run() {
        Backoff backoff = new Backoff(settings.initialBackoff(), settings.maxBackoff());
        try {
            while (!closing) {
                R resume;
                URI uri;
                try {
                    resume = resumePoint();
                    uri = uri(resume);
                } catch (RuntimeException e) {
                    Duration d = backoff.next();
                    resumeFailed(e, d);
                    if (pause(d)) break;
                    continue;
                }
                Connection c = new Connection(generations.incrementAndGet(), uri);
                current = c;
                if (closing) break;
                boolean open;
                try {
                    open = c.connectBlocking(settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    c.abandon();
                    break;
                }
                if (!open) {
                    c.abandon();
                    if (closing) break;
                    Duration d = backoff.next();
                    connectFailed(c.failure(), d);
                    if (pause(d)) break;
                    continue;
                }
                long openedAt = System.nanoTime();
                connected(resume, uri);
                End end;
                try {
                    end = pump(c);
                } finally {
                    connectionEnded();
                }
                c.abandon();
                connected.set(0);
                if (closing) {
                    stoppedWhileConnected();
                    break;
                }
                if (end.resubscribe()) {
                    resubscribing(end.why());
                    backoff.reset();
                    continue;
                }
                if (c.delivered || System.nanoTime() - openedAt >= settings.stableAfter().toNanos()) backoff.reset();
                Duration d = backoff.next();
                disconnected(end.why(), d);
                if (pause(d)) break;
            }
        } catch (RuntimeException | Error e) {
            crashed(e);
            throw e;
        } finally {
            Connection c = current;
            if (c != null) c.abandon();
            connected.set(0);
        }
    }

    /** Processes frames of {@code c} until it ends; returns why it ended. */
    private End pump(Connection c) {
        // Null with the library's pinger: then it closes a dead connection and we just wait.
        Duration deadAfter = settings.liveness() instanceof Liveness.Silence silence ? silence.deadAfter() : null;
        long deadNanos = deadAfter == null ? 0 : deadAfter.toNanos();
        long tickMillis = deadAfter == null ? 250 : Math.max(1, Math.min(250, deadAfter.toMillis() / 4));
        while (true) {
            if (closing) return CLOSED;
            Inbound item;
            try {
                item = queue.poll(tickMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return CLOSED;
            }
            if (item == null || item instanceof Inbound.Wake) {
                End woken = onWake();
                if (woken != null) return woken;
                if (item != null) continue;
                // A reader blocked on a full queue is our doing, not the server's silence.
                if (deadAfter != null && c.blockedPuts.get() == 0 && silenceClock.getAsLong() - c.lastInbound > deadNanos) {
                    return End.drop("no frame or ping for " + deadAfter.toMillis() + " ms, stream presumed dead");
                }
                continue;
            }
            if (item.gen() != c.gen) continue; // left over from an abandoned connection
            End end = switch (item) {
                case Inbound.Wake w -> null; // handled above
                case Inbound.Closed cl -> End.drop(closeReason(cl.code(), cl.reason(), cl.remote()));
                case Inbound.Oversized o -> {
                    c.delivered = true;
                    yield onOversized(o.bytes(), o.receivedAt());
                }
                case Inbound.Binary b -> {
                    c.delivered = true;
                    yield onBinary(b.bytes(), b.receivedAt());
                }
                case Inbound.Text t -> {
                    c.delivered = true;
                    yield onText(t.text(), t.receivedAt());
                }
            };
            if (end != null) return end;
        }
    }

    /** Waits {@code d} or until closed; true when closed. */
    private boolean pause(Duration d) {
        try {
            return closeSignal.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            return true;
        }
    }

    static long utf8Length(CharSequence s) {
        long n = 0;
        int len = s.length();
        for (int i = 0; i < len; i++) {
            char ch = s.charAt(i);
            if (ch < 0x80) {
                n += 1;
            } else if (ch < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(ch) && i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else {
                n += 3;
            }
        }
        return n;
    }

    // ---------------------------------------------------------------- socket side

    /** What the socket thread hands the processing thread; {@code gen} names the connection. */
    private sealed interface Inbound {
        long gen();

        record Text(long gen, String text, Instant receivedAt) implements Inbound {
        }

        record Oversized(long gen, long bytes, Instant receivedAt) implements Inbound {
        }

        record Binary(long gen, long bytes, Instant receivedAt) implements Inbound {
        }

        record Closed(long gen, int code, String reason, boolean remote) implements Inbound {
        }

        /** {@link #wakeProcessing()}: not from a connection, so of no generation. */
        record Wake(long gen) implements Inbound {
        }

        Wake WAKE = new Wake(-1);
    }

    /**
     * One connection attempt. Its callbacks run on Java-WebSocket's reader thread and only enqueue;
     * once abandoned they drop everything, so a dead connection cannot block or feed the stream.
     */
    private final class Connection extends WebSocketClient {
        final long gen;
        final AtomicInteger blockedPuts = new AtomicInteger();
        volatile long lastInbound = silenceClock.getAsLong();
        volatile boolean delivered;
        private volatile boolean abandoned;
        private volatile String failure;

        Connection(long gen, URI uri) {
            super(uri, new Draft_6455(List.of(), settings.frameLimit()), null,
                    (int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()));
            this.gen = gen;
            // Pongs and close frames are small writes; do not let Nagle hold them behind a delayed ACK.
            setTcpNoDelay(true);
            if (settings.liveness() instanceof Liveness.LibraryPing(Duration interval)) {
                setConnectionLostTimeout((int) Math.max(1, interval.toSeconds()));
            } else {
                // Liveness is ours (deadAfter, counting the server's pings), not the library's pinger.
                setConnectionLostTimeout(0);
            }
            setDaemon(true);
        }

        String failure() {
            String f = failure;
            return f == null ? "connection closed during the handshake" : f;
        }

        /** Stops feeding the queue and closes the socket without a close handshake. */
        void abandon() {
            abandoned = true;
            if (gen == generations.get()) connected.set(0);
            try {
                closeConnection(CloseFrame.GOING_AWAY, settings.abandonReason());
            } catch (RuntimeException e) {
                log.debug("closing connection to {}: {}", settings.label(), e.toString());
            }
            // closeConnection alone can leak the socket when it lands while the library's reader
            // is still connecting: the reader then connects and sends the handshake anyway, and
            // the server keeps a subscriber nobody reads. The handshake hook below closes a socket
            // connected after this point; closing it here is the backstop for one connected
            // before it.
            if (settings.closeSocketOnAbandon()) closeSocket();
            // Free a reader blocked on a full queue of frames nobody will process.
            queue.removeIf(i -> i.gen() == gen);
        }

        private void closeSocket() {
            Socket s = getSocket();
            if (s == null) return;
            try {
                s.close();
            } catch (IOException e) {
                log.debug("closing socket to {}: {}", settings.label(), e.toString());
            }
        }

        @Override
        public void onWebsocketHandshakeSentAsClient(WebSocket conn, ClientHandshake request) {
            if (abandoned && settings.closeSocketOnAbandon()) closeSocket();
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
            lastInbound = silenceClock.getAsLong();
            if (!abandoned && gen == generations.get()) connected.set(1);
        }

        @Override
        public void onMessage(String message) {
            Instant at = settings.clock().instant();
            lastInbound = silenceClock.getAsLong();
            long limit = settings.skipAbove();
            // Measured here so an oversized frame's text is released at once, not queued. At most 3
            // UTF-8 bytes per char, so short frames need no measuring.
            long bytes = 3L * message.length() > limit ? utf8Length(message) : 0;
            enqueue(bytes > limit
                    ? new Inbound.Oversized(gen, bytes, at)
                    : new Inbound.Text(gen, message, at));
        }

        @Override
        public void onMessage(ByteBuffer bytes) {
            Instant at = settings.clock().instant();
            lastInbound = silenceClock.getAsLong();
            enqueue(new Inbound.Binary(gen, bytes.remaining(), at));
        }

        @Override
        public void onWebsocketPing(WebSocket conn, Framedata f) {
            lastInbound = silenceClock.getAsLong();
            super.onWebsocketPing(conn, f); // answers with a pong
        }

        @Override
        public void onWebsocketPong(WebSocket conn, Framedata f) {
            lastInbound = silenceClock.getAsLong();
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            if (gen == generations.get()) connected.set(0);
            failure = handshakeFailure(failure, code, reason);
            enqueue(new Inbound.Closed(gen, code, reason, remote));
        }

        @Override
        public void onError(Exception ex) {
            failure = ex.toString();
            log.debug("{} connection error", settings.label(), ex);
        }

        private void enqueue(Inbound item) {
            blockedPuts.incrementAndGet();
            try {
                while (!abandoned && !closing) {
                    if (queue.offer(item, 50, TimeUnit.MILLISECONDS)) return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                blockedPuts.decrementAndGet();
                // Silence is measured from when we could read again.
                lastInbound = silenceClock.getAsLong();
            }
        }
    }
}
