package dev.weft.knot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import org.java_websocket.WebSocket;
import org.java_websocket.WebSocketImpl;
import org.java_websocket.drafts.Draft;
import org.java_websocket.exceptions.InvalidDataException;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ClientHandshake;
import org.java_websocket.handshake.ServerHandshakeBuilder;
import org.java_websocket.server.WebSocketServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A small in-process knot: serves {@code /events} on loopback exactly as the wire contract
 * (section 2) describes a knot, for {@code weft demo} and end-to-end tests.
 *
 * <p>Protocol: {@code GET /events[?cursor=<int64>]} upgraded to WebSocket (any other path is refused
 * with 404). Each event is one text frame in the chosen {@link Shape}: a legacy knot's sorted keys,
 * {@code {"event":{...},"nsid":"...","rkey":"..."}}, or a newer knot's Go struct order with the
 * event id, {@code {"rkey":"...","nsid":"...","event":{...},"created":<id>}} (spec section 2.2).
 * Event ids are the knot's Unix-nanosecond insertion times, made strictly increasing per process
 * ({@code max(now, last + 1)}); the cursor is compared with them in both shapes, which is how a
 * newer knot honours a cursor that is the {@code created} of the last event read. A missing, unparsable or
 * {@code 0} cursor means live events only; a negative one replays everything from the oldest; a
 * positive one replays the events whose id is greater. Unlike the real knot, the backfill is not
 * capped at 100 events: everything after the cursor is sent, then live events, with no gap or
 * duplicate at the hand-over. A connection that has been sent nothing for {@code pingAfter} gets a
 * ping.
 *
 * <p>Test controls: {@link #dropConnections()} (abrupt close, no close handshake),
 * {@link #sendRaw(String)} (any text, for malformed-frame tests), {@link #connectionCount()},
 * {@link #connectionsAccepted()} and {@link #requestedCursors()}.
 *
 * <p>Thread safety: every method may be called from any thread. Errors: {@link #start()} throws
 * {@link UncheckedIOException} when the port cannot be bound; {@link #publish} refuses text that is
 * not a JSON object with {@link IllegalArgumentException}. Sends are queued by Java-WebSocket without
 * bound (fine for tests and a demo; the real spindle's {@code /events} bounds its buffers).
 */
public final class KnotEventServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KnotEventServer.class);
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Default idle time before a ping, as the real knot does. */
    public static final Duration DEFAULT_PING_AFTER = Duration.ofSeconds(30);

    private final int port;
    private final Duration pingAfter;
    private final Clock clock;

    /** Guards {@code events}, {@code lastId} and {@code subscribers}, so backfill and live never interleave. */
    private final Object lock = new Object();
    private final List<Event> events = new ArrayList<>();
    private long lastId;
    private final Map<WebSocket, Boolean> subscribers = new ConcurrentHashMap<>();
    /**
     * Connections whose close was reported before their open; kept weakly, so connections that
     * never open do not pile up. See {@link #hungUp}.
     */
    private final Set<WebSocket> closedEarly = Collections.newSetFromMap(new WeakHashMap<>());
    private final Map<WebSocket, AtomicLong> lastSent = new ConcurrentHashMap<>();
    private final AtomicLong accepted = new AtomicLong();
    private final List<String> cursors = new CopyOnWriteArrayList<>();

    private final CountDownLatch startedLatch = new CountDownLatch(1);
    private final AtomicReference<Exception> startError = new AtomicReference<>();
    private Server server;
    private ScheduledExecutorService pinger;
    private volatile boolean closed;

    private final Shape shape;

    /** One stored event. */
    private record Event(long id, String frame) {
    }

    /** The frame shapes knots send. */
    public enum Shape {
        /** {@code {"event","nsid","rkey"}}, keys sorted, no event id: the legacy knot contract. */
        LEGACY,
        /** {@code {"rkey","nsid","event","created"}}: newer knots, with the event id as {@code created}. */
        CREATED
    }

    /** An ephemeral loopback port, pinging after 30 s idle, legacy frames. */
    public KnotEventServer() {
        this(0, DEFAULT_PING_AFTER, Clock.systemUTC());
    }

    /** Legacy frames ({@link Shape#LEGACY}); see {@link #KnotEventServer(int, Duration, Clock, Shape)}. */
    public KnotEventServer(int port, Duration pingAfter, Clock clock) {
        this(port, pingAfter, clock, Shape.LEGACY);
    }

    /**
     * @param port      loopback port, 0 for an ephemeral one
     * @param pingAfter idle time before a ping; positive
     * @param clock     source of event ids (Unix nanoseconds)
     * @param shape     which frames to send
     */
    public KnotEventServer(int port, Duration pingAfter, Clock clock, Shape shape) {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
        Objects.requireNonNull(pingAfter, "pingAfter");
        if (pingAfter.isNegative() || pingAfter.isZero()) {
            throw new IllegalArgumentException("pingAfter must be positive: " + pingAfter);
        }
        this.port = port;
        this.pingAfter = pingAfter;
        this.clock = Objects.requireNonNull(clock, "clock");
        this.shape = Objects.requireNonNull(shape, "shape");
    }

    /**
     * Binds and starts serving; returns once listening.
     *
     * @throws UncheckedIOException when binding fails
     * @throws IllegalStateException when already started or closed
     */
    public KnotEventServer start() {
        synchronized (lock) {
            if (closed) throw new IllegalStateException("knot event server is closed");
            if (server != null) throw new IllegalStateException("knot event server already started");
            server = new Server(new InetSocketAddress("127.0.0.1", port));
        }
        server.setReuseAddr(true);
        // One small frame per event: without this Nagle holds a frame until the previous one is
        // acknowledged, and the client's delayed ACK makes that tens of milliseconds per event.
        server.setTcpNoDelay(true);
        server.setDaemon(true);
        // Pings are ours, driven by idle time like the knot, not the library's fixed-interval checker.
        server.setConnectionLostTimeout(0);
        server.start();
        try {
            if (!startedLatch.await(10, TimeUnit.SECONDS)) {
                throw new UncheckedIOException(new IOException("knot event server did not start in 10 s"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting", e);
        }
        Exception err = startError.get();
        if (err != null) {
            throw new UncheckedIOException(err instanceof IOException io ? io : new IOException(err));
        }
        long tick = Math.max(1, Math.min(1000, pingAfter.toMillis() / 4));
        pinger = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("knot-event-server-ping").unstarted(r));
        pinger.scheduleWithFixedDelay(this::pingIdle, tick, tick, TimeUnit.MILLISECONDS);
        log.info("in-process knot serving ws://{}/events", host());
        return this;
    }

    /** {@code 127.0.0.1:<port>}: the knot host to put in records and hand to consumers. */
    public String host() {
        Server s = server;
        if (s == null) throw new IllegalStateException("not started");
        return "127.0.0.1:" + s.getPort();
    }

    /**
     * Appends an event and sends it to every connected client.
     *
     * @param nsid      the record collection, {@code sh.tangled.pipeline} or any other
     * @param rkey      the record key
     * @param eventJson the record, a JSON object
     * @return the event's id (Unix nanoseconds on this knot's clock; the frame's {@code created} in
     *         the {@link Shape#CREATED} shape)
     * @throws IllegalArgumentException when {@code eventJson} is not a JSON object
     */
    public long publish(String nsid, String rkey, String eventJson) {
        Objects.requireNonNull(nsid, "nsid");
        Objects.requireNonNull(rkey, "rkey");
        Objects.requireNonNull(eventJson, "eventJson");
        try {
            if (!JSON.readTree(eventJson).isObject()) throw new IllegalArgumentException("event is not a JSON object");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("event is not JSON: " + e.getOriginalMessage(), e);
        }
        synchronized (lock) {
            long now = KnotConsumer.unixNanos(clock.instant());
            long id = Math.max(now, lastId + 1);
            lastId = id;
            // The event is kept verbatim. Legacy: keys in sorted order, as Go's map encoding writes
            // them. Newer: the eventstream.Event struct's field order, created last.
            String frame = switch (shape) {
                case LEGACY -> "{\"event\":" + eventJson + ",\"nsid\":" + quote(nsid) + ",\"rkey\":" + quote(rkey) + "}";
                case CREATED -> "{\"rkey\":" + quote(rkey) + ",\"nsid\":" + quote(nsid) + ",\"event\":" + eventJson
                        + ",\"created\":" + id + "}";
            };
            events.add(new Event(id, frame));
            for (WebSocket ws : subscribers.keySet()) send(ws, frame);
            return id;
        }
    }

    /** {@link #publish} with nsid {@code sh.tangled.pipeline}. */
    public long publishPipeline(String rkey, String recordJson) {
        return publish(PipelineRecords.NSID, rkey, recordJson);
    }

    /** Sends {@code text} as one text frame to every connected client, without storing it. */
    public void sendRaw(String text) {
        Objects.requireNonNull(text, "text");
        synchronized (lock) {
            for (WebSocket ws : subscribers.keySet()) send(ws, text);
        }
    }

    /** Closes every client connection abruptly (no close handshake), as a crash or network cut would. */
    public void dropConnections() {
        synchronized (lock) {
            for (WebSocket ws : List.copyOf(subscribers.keySet())) {
                subscribers.remove(ws);
                ws.closeConnection(CloseFrame.ABNORMAL_CLOSE, "dropped by test control");
            }
        }
    }

    /** Clients connected and subscribed right now. */
    public int connectionCount() {
        return subscribers.size();
    }

    /** Connections accepted since start, closed ones included. */
    public long connectionsAccepted() {
        return accepted.get();
    }

    /**
     * The raw {@code cursor} query value of each accepted connection, in order; {@code ""} when the
     * request had none.
     */
    public List<String> requestedCursors() {
        return List.copyOf(cursors);
    }

    /** Stops the server and closes every connection. Idempotent. */
    @Override
    public void close() {
        Server s;
        synchronized (lock) {
            if (closed) return;
            closed = true;
            s = server;
        }
        if (pinger != null) pinger.shutdownNow();
        if (s != null) {
            try {
                s.stop(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        subscribers.clear();
        lastSent.clear();
    }

    // ---------------------------------------------------------------- internals

    private void send(WebSocket ws, String text) {
        try {
            ws.send(text);
            AtomicLong t = lastSent.get(ws);
            if (t != null) t.set(System.nanoTime());
        } catch (RuntimeException e) {
            // A client closing under us: it is gone, its onClose removes it.
            log.debug("send to {} failed: {}", ws.getRemoteSocketAddress(), e.toString());
        }
    }

    private void pingIdle() {
        long now = System.nanoTime();
        long idle = pingAfter.toNanos();
        for (Map.Entry<WebSocket, AtomicLong> e : lastSent.entrySet()) {
            if (now - e.getValue().get() >= idle && e.getKey().isOpen()) {
                try {
                    e.getKey().sendPing();
                    e.getValue().set(now);
                } catch (RuntimeException ex) {
                    log.debug("ping failed: {}", ex.toString());
                }
            }
        }
    }

    /**
     * Whether a client hung up while its handshake was being decoded. Java-WebSocket then closes
     * the channel on its selector thread but reports no close (the connection was not yet
     * registered), and still reports the open from its worker thread: without this check such a
     * connection would count as a subscriber forever.
     */
    private static boolean hungUp(WebSocket conn) {
        if (!conn.isOpen()) return true;
        return conn instanceof WebSocketImpl impl && impl.getChannel() != null && !impl.getChannel().isOpen();
    }

    /** Parses the cursor as the knot does: missing, unparsable or 0 is "live only". */
    private static long cursorOf(String query) {
        if (query == null) return 0;
        for (String part : query.split("&")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).equals("cursor")) {
                try {
                    return Long.parseLong(part.substring(eq + 1));
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }

    private static String rawCursor(String query) {
        if (query == null) return "";
        for (String part : query.split("&")) {
            if (part.startsWith("cursor=")) return part.substring("cursor=".length());
        }
        return "";
    }

    private static String quote(String s) {
        return new TextNode(s).toString();
    }

    private final class Server extends WebSocketServer {
        Server(InetSocketAddress address) {
            super(address);
        }

        @Override
        public ServerHandshakeBuilder onWebsocketHandshakeReceivedAsServer(WebSocket conn, Draft draft,
                                                                         ClientHandshake request)
                throws InvalidDataException {
            String path = URI.create(request.getResourceDescriptor()).getPath();
            if (!"/events".equals(path)) throw new InvalidDataException(404, "no such endpoint: " + path);
            return super.onWebsocketHandshakeReceivedAsServer(conn, draft, request);
        }

        @Override
        public void onOpen(WebSocket conn, ClientHandshake handshake) {
            String query = URI.create(handshake.getResourceDescriptor()).getRawQuery();
            long cursor = cursorOf(query);
            accepted.incrementAndGet();
            cursors.add(rawCursor(query));
            synchronized (lock) {
                if (closed) {
                    conn.close(CloseFrame.GOING_AWAY, "knot closing");
                    return;
                }
                if (closedEarly.remove(conn) || hungUp(conn)) return;
                lastSent.put(conn, new AtomicLong(System.nanoTime()));
                // Backfill and subscription under one lock: a publish cannot slip between them.
                if (cursor != 0) {
                    for (Event e : events) {
                        if (cursor < 0 || e.id() > cursor) send(conn, e.frame());
                    }
                }
                subscribers.put(conn, Boolean.TRUE);
            }
        }

        @Override
        public void onClose(WebSocket conn, int code, String reason, boolean remote) {
            synchronized (lock) {
                if (subscribers.remove(conn) == null) closedEarly.add(conn);
                lastSent.remove(conn);
            }
        }

        @Override
        public void onMessage(WebSocket conn, String message) {
            // Clients of a knot stream send nothing that matters.
        }

        @Override
        public void onError(WebSocket conn, Exception ex) {
            if (conn == null) {
                // A server-level error before start completes is a bind failure.
                startError.compareAndSet(null, ex);
                startedLatch.countDown();
            } else {
                log.debug("knot event server connection error", ex);
            }
        }

        @Override
        public void onStart() {
            startedLatch.countDown();
        }
    }
}
