package dev.weft.knot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.spi.Backoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.java_websocket.WebSocket;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.framing.Framedata;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Consumes one knot's event stream ({@code ws(s)://<knot>/events}) and hands its pipeline triggers
 * to a {@link TriggerSink}, checkpointing each fully processed frame in a {@link KnotCursorStore}.
 *
 * <p><b>Lifecycle.</b> Construct, {@link #start()}, then {@link #close()}. Until closed the consumer
 * keeps one connection open: on every (re)connect it asks for {@code cursor = checkpoint -
 * replayWindow} (no cursor, meaning "from now", when there is no checkpoint yet), so events near the
 * checkpoint are re-delivered and the sink must de-duplicate by (knot, rkey). Failed attempts back
 * off exponentially with jitter ({@link KnotOptions#initialBackoff()} doubling to
 * {@link KnotOptions#maxBackoff()}); the backoff resets after a connection that delivered a frame or
 * stayed up {@link KnotOptions#stableAfter()}. A stream silent for {@link KnotOptions#deadAfter()}
 * (no frame, no ping) is closed and reconnected.
 *
 * <p><b>Threads.</b> One virtual thread per consumer does all processing, in stream order: it reads
 * a bounded queue that the WebSocket library's reader thread fills. When the queue is full the
 * reader blocks, so a slow sink stops reading from the socket (TCP backpressure) instead of growing
 * memory; time spent blocked that way does not count as silence. {@link TriggerSink#accept} and the
 * cursor store are only ever called from the processing thread, one frame at a time.
 *
 * <p><b>Errors.</b> Nothing a knot sends stops the consumer. A frame that is not a JSON object, lacks
 * {@code nsid}, {@code rkey} or {@code event}, or is binary is logged and counted as
 * {@code malformed}; a pipeline record the {@link PipelineRecords} rules refuse is logged as
 * {@code trigger rejected from <knot> rkey <rkey>: <reason>} and counted as {@code invalid}; a frame
 * over {@link KnotOptions#maxFrameBytes()} is skipped without closing the connection and counted as
 * {@code oversized}. Java-WebSocket cannot skip a frame without buffering it, so a frame above
 * {@link KnotOptions#hardFrameLimit()} makes the library close the connection (1009) to bound
 * memory; it is counted as {@code oversized} and the consumer reconnects and relies on the rewind
 * for the frames behind it (a frame that large which stays inside the replay window is met again on
 * every reconnect). Frames of other nsids are ignored. If the sink throws, the trigger is not
 * checkpointed: the connection is dropped and the reconnect's rewind delivers it again.
 *
 * <p><b>Metrics</b> (all tagged {@code knot}): gauge {@code weft.knot.connected} (1/0), counter
 * {@code weft.triggers.received} (well-formed triggers handed to the sink, replays included),
 * counter {@code weft.triggers.rejected} tagged {@code reason=malformed|invalid|oversized}.
 */
public final class KnotConsumer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KnotConsumer.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final String knot;
    private final boolean dev;
    private final TriggerSink sink;
    private final KnotCursorStore cursors;
    private final KnotOptions options;
    private final Clock clock;
    private final MeterRegistry registry;

    private final BlockingQueue<Inbound> queue;
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicLong generations = new AtomicLong();
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private final Gauge connectedGauge;
    private final Counter received;
    private final Counter rejectedMalformed;
    private final Counter rejectedInvalid;
    private final Counter rejectedOversized;

    /** Guards {@link #closing}/{@link #inSink} so close() never interrupts a running sink call. */
    private final Object sinkLock = new Object();
    private volatile boolean closing;
    private boolean inSink;
    private boolean started;
    private Thread thread;
    private volatile Connection current;

    /**
     * @param knot     the knot host as Tangled writes it ({@code knot.example.com},
     *                 {@code localhost:5555}); also compared exactly with each record's
     *                 {@code repo.knot}
     * @param dev      connect with {@code ws://} instead of {@code wss://}
     * @param sink     receives well-formed triggers, synchronously, in stream order
     * @param cursors  checkpoint store; read on each connect, written after each processed frame
     * @param options  durations and limits
     * @param clock    source of receive times (the checkpoints)
     * @param registry where the metrics go
     * @throws IllegalArgumentException when {@code knot} is not a host[:port]
     */
    public KnotConsumer(String knot, boolean dev, TriggerSink sink, KnotCursorStore cursors, KnotOptions options,
                        Clock clock, MeterRegistry registry) {
        this.knot = validateKnot(knot);
        this.dev = dev;
        this.sink = Objects.requireNonNull(sink, "sink");
        this.cursors = Objects.requireNonNull(cursors, "cursors");
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.registry = Objects.requireNonNull(registry, "registry");
        uri(OptionalLong.empty()); // fails fast on a host the URI syntax refuses
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        this.connectedGauge = Gauge.builder("weft.knot.connected", connected, AtomicInteger::get)
                .description("1 while the knot event stream is connected")
                .tag("knot", knot).strongReference(true).register(registry);
        this.received = Counter.builder("weft.triggers.received")
                .description("well-formed pipeline triggers handed to the sink")
                .tag("knot", knot).register(registry);
        this.rejectedMalformed = rejected("malformed");
        this.rejectedInvalid = rejected("invalid");
        this.rejectedOversized = rejected("oversized");
    }

    private Counter rejected(String reason) {
        return Counter.builder("weft.triggers.rejected")
                .description("knot frames skipped instead of becoming triggers")
                .tag("knot", knot).tag("reason", reason).register(registry);
    }

    /** The knot host this consumer reads. */
    public String knot() {
        return knot;
    }

    /** Whether the stream is connected right now. Any thread. */
    public boolean isConnected() {
        return connected.get() == 1;
    }

    /**
     * Starts the processing thread, which connects at once. Idempotent.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public void start() {
        synchronized (sinkLock) {
            if (closing) throw new IllegalStateException("knot consumer for " + knot + " is closed");
            if (started) return;
            started = true;
            thread = Thread.ofVirtual().name("knot-consumer-" + knot).start(this::run);
        }
    }

    /**
     * Stops the consumer: closes the connection and waits for the processing thread. A sink call in
     * progress may finish (up to {@link KnotOptions#closeTimeout()}, then the thread is
     * interrupted); frames not yet processed are dropped and come back with the next start's rewind.
     * Idempotent; any thread; removes the {@code weft.knot.connected} gauge.
     */
    @Override
    public void close() {
        Thread t;
        synchronized (sinkLock) {
            if (closing) return;
            closing = true;
            t = thread;
            // Wake a poll, a backoff wait or a connect, but never a sink call: a sink interrupted
            // half-way (a JDBC write, say) is worse than waiting for it.
            if (t != null && !inSink) t.interrupt();
        }
        closeSignal.countDown();
        Connection c = current;
        if (c != null) c.abandon();
        queue.clear();
        if (t != null) {
            try {
                if (!t.join(options.closeTimeout())) {
                    log.warn("knot consumer for {} still busy after {} ms; interrupting it", knot,
                            options.closeTimeout().toMillis());
                    t.interrupt();
                    t.join(Duration.ofSeconds(5));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        connected.set(0);
        registry.remove(connectedGauge);
    }

    // ---------------------------------------------------------------- processing thread

    private void run() {
        Backoff backoff = new Backoff(options.initialBackoff(), options.maxBackoff());
        try {
            while (!closing) {
                OptionalLong cursor;
                try {
                    cursor = connectCursor();
                } catch (RuntimeException e) {
                    // Connecting "from now" would skip events; wait and read the store again.
                    Duration d = backoff.next();
                    log.warn("could not read the checkpoint of knot {}: {}; retrying in {} ms", knot, e, d.toMillis());
                    if (pause(d)) break;
                    continue;
                }
                Connection c = new Connection(generations.incrementAndGet(), uri(cursor));
                current = c;
                if (closing) break;
                boolean open;
                try {
                    open = c.connectBlocking(options.connectTimeout().toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    c.abandon();
                    break;
                }
                if (!open) {
                    c.abandon();
                    if (closing) break;
                    Duration d = backoff.next();
                    log.warn("could not connect to knot {}: {}; retrying in {} ms", knot, c.failure(), d.toMillis());
                    if (pause(d)) break;
                    continue;
                }
                long openedAt = System.nanoTime();
                log.info("connected to knot {} ({})", knot,
                        cursor.isPresent() ? "cursor " + cursor.getAsLong() : "no checkpoint: live events only");
                String why = pump(c);
                c.abandon();
                connected.set(0);
                if (closing) {
                    log.info("disconnected from knot {}: consumer closed", knot);
                    break;
                }
                if (c.delivered || System.nanoTime() - openedAt >= options.stableAfter().toNanos()) backoff.reset();
                Duration d = backoff.next();
                log.warn("disconnected from knot {}: {}; reconnecting in {} ms", knot, why, d.toMillis());
                if (pause(d)) break;
            }
        } catch (RuntimeException | Error e) {
            log.error("knot consumer for {} stopped by an unexpected error", knot, e);
            throw e;
        } finally {
            Connection c = current;
            if (c != null) c.abandon();
            connected.set(0);
        }
    }

    /** The cursor to ask for: checkpoint minus the replay window, or none ("from now"). */
    private OptionalLong connectCursor() {
        OptionalLong cp = cursors.cursor(knot);
        if (cp == null || cp.isEmpty()) return OptionalLong.empty();
        long c = cp.getAsLong() - options.replayWindow().toNanos();
        // 0 would mean "live only" and a negative cursor "from the oldest" to the knot: neither is a
        // rewind. Only a checkpoint near the epoch (tests) gets here.
        return OptionalLong.of(Math.max(1, c));
    }

    /** Processes frames of {@code c} until it ends; returns why it ended. */
    private String pump(Connection c) {
        long deadNanos = options.deadAfter().toNanos();
        long tickMillis = Math.max(1, Math.min(250, options.deadAfter().toMillis() / 4));
        while (true) {
            if (closing) return "consumer closed";
            Inbound item;
            try {
                item = queue.poll(tickMillis, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return "consumer closed";
            }
            if (item == null) {
                // A reader blocked on a full queue is our doing, not the knot's silence.
                if (c.blockedPuts.get() == 0 && System.nanoTime() - c.lastInbound > deadNanos) {
                    return "no frame or ping for " + options.deadAfter().toMillis() + " ms, stream presumed dead";
                }
                continue;
            }
            if (item.gen() != c.gen) continue; // left over from an abandoned connection
            switch (item) {
                case Inbound.Closed cl -> {
                    return closeReason(cl);
                }
                case Inbound.Oversized o -> {
                    c.delivered = true;
                    rejectedOversized.increment();
                    log.warn("frame from knot {} skipped: {} bytes is over the {} byte limit", knot, o.bytes(),
                            options.maxFrameBytes());
                    checkpoint(o.receivedAt());
                }
                case Inbound.Binary b -> {
                    c.delivered = true;
                    malformed("binary frame of " + b.bytes() + " bytes (knots send text frames)");
                    checkpoint(b.receivedAt());
                }
                case Inbound.Text t -> {
                    c.delivered = true;
                    String failure = handle(t);
                    if (failure != null) return failure;
                }
            }
        }
    }

    private String closeReason(Inbound.Closed cl) {
        if (cl.code() == CloseFrame.TOOBIG && !cl.remote()) {
            rejectedOversized.increment();
            return "a frame exceeded the hard limit of " + options.hardFrameLimit()
                    + " bytes, so the connection was closed (frames behind it come back with the rewind)";
        }
        String reason = cl.reason() == null || cl.reason().isEmpty() ? "" : " (" + cl.reason() + ")";
        if (cl.code() == CloseFrame.ABNORMAL_CLOSE) return "connection lost" + reason;
        return (cl.remote() ? "closed by knot with code " : "closed with code ") + cl.code() + reason;
    }

    /** Handles one text frame; returns null, or why the connection must be dropped. */
    private String handle(Inbound.Text t) {
        JsonNode frame;
        try {
            frame = JSON.readTree(t.text());
        } catch (JsonProcessingException e) {
            malformed("not valid JSON: " + e.getOriginalMessage());
            checkpoint(t.receivedAt());
            return null;
        }
        if (frame == null || !frame.isObject()) {
            malformed("not a JSON object");
            checkpoint(t.receivedAt());
            return null;
        }
        JsonNode nsid = frame.get("nsid");
        if (nsid == null || !nsid.isTextual()) {
            malformed("nsid is missing or not a string");
            checkpoint(t.receivedAt());
            return null;
        }
        if (!PipelineRecords.NSID.equals(nsid.textValue())) {
            log.debug("ignoring {} event from knot {}", nsid.textValue(), knot);
            checkpoint(t.receivedAt());
            return null;
        }
        JsonNode rkeyNode = frame.get("rkey");
        if (rkeyNode == null || !rkeyNode.isTextual() || rkeyNode.textValue().isEmpty()
                || rkeyNode.textValue().indexOf('/') >= 0) {
            malformed("rkey is missing, empty, not a string or contains '/'");
            checkpoint(t.receivedAt());
            return null;
        }
        String rkey = rkeyNode.textValue();
        JsonNode event = frame.get("event");
        if (event == null || event.isNull()) {
            malformed("event is missing (rkey " + rkey + ")");
            checkpoint(t.receivedAt());
            return null;
        }
        switch (PipelineRecords.parse(knot, rkey, event, t.receivedAt())) {
            case PipelineRecords.Parsed.Rejected r -> {
                rejectedInvalid.increment();
                log.warn("trigger rejected from {} rkey {}: {}", knot, rkey, r.reason());
                checkpoint(t.receivedAt());
                return null;
            }
            case PipelineRecords.Parsed.Ok ok -> {
                received.increment();
                synchronized (sinkLock) {
                    if (closing) return "consumer closed";
                    inSink = true;
                }
                TriggerSink.Outcome outcome;
                try {
                    outcome = sink.accept(ok.trigger());
                } catch (Exception e) {
                    // Not durable, so not checkpointed: drop the connection and let the rewind of
                    // the reconnect deliver it again.
                    log.error("trigger sink failed on {} rkey {}; reconnecting to have it re-delivered", knot, rkey, e);
                    return "trigger sink failed on rkey " + rkey + ": " + e;
                } finally {
                    synchronized (sinkLock) {
                        inSink = false;
                    }
                }
                log.debug("trigger {} rkey {}: {}", knot, rkey, outcome);
                checkpoint(t.receivedAt());
                return null;
            }
        }
    }

    private void malformed(String reason) {
        rejectedMalformed.increment();
        log.warn("malformed frame from knot {} skipped: {}", knot, reason);
    }

    /**
     * Saves the receive time of a fully processed frame. Deliberately not max()-ed with the previous
     * value: after the local clock steps back, a smaller checkpoint only replays more, while a
     * checkpoint left in the future would skip events.
     */
    private void checkpoint(Instant receivedAt) {
        try {
            cursors.saveCursor(knot, unixNanos(receivedAt));
        } catch (RuntimeException e) {
            // The frame is handled; a lost checkpoint only widens the next replay.
            log.warn("could not save the checkpoint of knot {}: {}", knot, e.toString());
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

    private URI uri(OptionalLong cursor) {
        String base = (dev ? "ws://" : "wss://") + knot + "/events";
        URI uri = URI.create(cursor.isPresent() ? base + "?cursor=" + cursor.getAsLong() : base);
        if (uri.getHost() == null) throw new IllegalArgumentException("not a knot host: \"" + knot + "\"");
        return uri;
    }

    static String validateKnot(String knot) {
        Objects.requireNonNull(knot, "knot");
        if (knot.isEmpty() || !knot.matches("[A-Za-z0-9.\\-\\[\\]:]+")) {
            throw new IllegalArgumentException("not a knot host[:port]: \"" + knot + "\"");
        }
        return knot;
    }

    static long unixNanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
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
    }

    /**
     * One connection attempt. Its callbacks run on Java-WebSocket's reader thread and only enqueue;
     * once abandoned they drop everything, so a dead connection cannot block or feed the consumer.
     */
    private final class Connection extends WebSocketClient {
        final long gen;
        final AtomicInteger blockedPuts = new AtomicInteger();
        volatile long lastInbound = System.nanoTime();
        volatile boolean delivered;
        private volatile boolean abandoned;
        private volatile String failure;

        Connection(long gen, URI uri) {
            super(uri, new Draft_6455(List.of(), options.hardFrameLimit()), null,
                    (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()));
            this.gen = gen;
            // Liveness is ours (deadAfter, counting the knot's pings), not the library's own pinger.
            setConnectionLostTimeout(0);
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
                closeConnection(CloseFrame.GOING_AWAY, "weft knot consumer closed the connection");
            } catch (RuntimeException e) {
                log.debug("closing connection to knot {}: {}", knot, e.toString());
            }
            // closeConnection alone can leak the socket when it lands while the library's reader
            // is still connecting: the reader then connects and sends the handshake anyway, and
            // the knot keeps a subscriber nobody reads. The handshake hook below closes a socket
            // connected after this point; closing it here is the backstop for one connected
            // before it.
            closeSocket();
            // Free a reader blocked on a full queue of frames nobody will process.
            queue.removeIf(i -> i.gen() == gen);
        }

        private void closeSocket() {
            Socket s = getSocket();
            if (s == null) return;
            try {
                s.close();
            } catch (IOException e) {
                log.debug("closing socket to knot {}: {}", knot, e.toString());
            }
        }

        @Override
        public void onWebsocketHandshakeSentAsClient(WebSocket conn, ClientHandshake request) {
            if (abandoned) closeSocket();
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
            lastInbound = System.nanoTime();
            if (!abandoned && gen == generations.get()) connected.set(1);
        }

        @Override
        public void onMessage(String message) {
            Instant at = clock.instant();
            lastInbound = System.nanoTime();
            long bytes = utf8Length(message);
            // Measured here so an oversized frame's text is released at once, not queued.
            enqueue(bytes > options.maxFrameBytes()
                    ? new Inbound.Oversized(gen, bytes, at)
                    : new Inbound.Text(gen, message, at));
        }

        @Override
        public void onMessage(ByteBuffer bytes) {
            Instant at = clock.instant();
            lastInbound = System.nanoTime();
            enqueue(new Inbound.Binary(gen, bytes.remaining(), at));
        }

        @Override
        public void onWebsocketPing(WebSocket conn, Framedata f) {
            lastInbound = System.nanoTime();
            super.onWebsocketPing(conn, f); // answers with a pong
        }

        @Override
        public void onWebsocketPong(WebSocket conn, Framedata f) {
            lastInbound = System.nanoTime();
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            if (gen == generations.get()) connected.set(0);
            if (failure == null) {
                failure = "connection closed during the handshake (code " + code
                        + (reason == null || reason.isEmpty() ? "" : ", " + reason) + ")";
            }
            enqueue(new Inbound.Closed(gen, code, reason, remote));
        }

        @Override
        public void onError(Exception ex) {
            failure = ex.toString();
            log.debug("knot {} connection error", knot, ex);
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
                lastInbound = System.nanoTime();
            }
        }
    }
}
