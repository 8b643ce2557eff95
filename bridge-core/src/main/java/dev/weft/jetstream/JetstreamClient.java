package dev.weft.jetstream;

import dev.weft.spi.Backoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.java_websocket.client.WebSocketClient;
import org.java_websocket.drafts.Draft_6455;
import org.java_websocket.framing.CloseFrame;
import org.java_websocket.handshake.ServerHandshake;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows the Jetstream for discovery (spec section 3): subscribes to {@code <url>?wantedCollections=
 * sh.tangled.spindle.member&wantedCollections=sh.tangled.repo&wantedCollections=
 * sh.tangled.repo.collaborator&wantedDids=<owner>&wantedDids=<member>...[&cursor=<time_us>]} and
 * hands each frame to {@link NetworkRecords}.
 *
 * <p><b>Cursor.</b> After each processed frame its {@code time_us} is stored ({@link #CURSOR}); a
 * (re)connect resumes at {@code stored - replayWindow}, so frames near the cursor come again and are
 * recognised as replays. With nothing stored the subscription starts live.
 *
 * <p><b>Connection.</b> Failed or dropped connections are retried with exponential backoff and
 * jitter; the client pings every {@link JetstreamOptions#pingInterval()} and drops a connection that
 * stops answering. When the member set changes the client reconnects at once with the new
 * {@code wantedDids} (Jetstream's filter), resuming from the cursor so nothing from a new member
 * is missed.
 *
 * <p><b>Errors.</b> A malformed frame is logged, counted and skipped (its cursor is not stored when
 * it has none). If applying a record fails (the store), the frame is not checkpointed and the
 * connection is dropped: the reconnect delivers it again.
 *
 * <p><b>Threads.</b> One virtual thread processes frames in order; the WebSocket library's reader
 * thread only enqueues (blocking when the queue is full, which is TCP backpressure).
 *
 * <p><b>Metrics:</b> gauge {@code weft.jetstream.connected}; counter {@code weft.jetstream.frames}
 * tagged {@code outcome=applied|ignored|replayed|malformed}.
 */
public final class JetstreamClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JetstreamClient.class);
    /** The store's name for the Jetstream cursor. */
    public static final String CURSOR = "jetstream";

    private final String url;
    private final NetworkRecords records;
    private final CursorStore cursors;
    private final JetstreamOptions options;
    private final MeterRegistry meters;
    private final BlockingQueue<Inbound> queue;
    private final AtomicInteger connected = new AtomicInteger();
    private final AtomicLong generations = new AtomicLong();
    private final CountDownLatch closeSignal = new CountDownLatch(1);
    private final Counter applied;
    private final Counter ignored;
    private final Counter replayed;
    private final Counter malformed;
    private final List<URI> connectedTo = new ArrayList<>();

    private volatile boolean closing;
    private Thread thread;
    private volatile Connection current;

    /** Where the cursor lives: the store in production. */
    public interface CursorStore {
        OptionalLong cursor();

        void save(long timeUs);
    }

    /**
     * @param url the Jetstream subscribe URL ({@code wss://jetstream1.us-west.bsky.network/subscribe})
     */
    public JetstreamClient(String url, NetworkRecords records, CursorStore cursors, JetstreamOptions options,
                           MeterRegistry meters) {
        this.url = Objects.requireNonNull(url, "url");
        if (!url.startsWith("ws://") && !url.startsWith("wss://")) throw new IllegalArgumentException("not a ws(s):// URL: " + url);
        this.records = Objects.requireNonNull(records, "records");
        this.cursors = Objects.requireNonNull(cursors, "cursors");
        this.options = Objects.requireNonNull(options, "options");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.queue = new ArrayBlockingQueue<>(options.queueCapacity());
        Gauge.builder("weft.jetstream.connected", connected, AtomicInteger::get)
                .description("1 while the Jetstream is connected").strongReference(true).register(meters);
        this.applied = frames("applied");
        this.ignored = frames("ignored");
        this.replayed = frames("replayed");
        this.malformed = frames("malformed");
    }

    private Counter frames(String outcome) {
        return Counter.builder("weft.jetstream.frames").description("Jetstream frames by what became of them")
                .tag("outcome", outcome).register(meters);
    }

    /** Starts the processing thread, which connects at once. */
    public synchronized JetstreamClient start() {
        if (closing) throw new IllegalStateException("closed");
        if (thread == null) thread = Thread.ofVirtual().name("jetstream").start(this::run);
        return this;
    }

    public boolean isConnected() {
        return connected.get() == 1;
    }

    /** The subscription URIs of every connection made so far (for tests and diagnostics). */
    public List<URI> connections() {
        synchronized (connectedTo) {
            return List.copyOf(connectedTo);
        }
    }

    /** Stops: closes the connection and waits for the processing thread. Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            if (closing) return;
            closing = true;
            t = thread;
        }
        closeSignal.countDown();
        Connection c = current;
        if (c != null) c.abandon();
        if (t != null) {
            t.interrupt();
            try {
                if (!t.join(options.closeTimeout())) log.warn("jetstream client did not stop within {}", options.closeTimeout());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        connected.set(0);
    }

    /** The subscription URI for the current member set and cursor. */
    URI subscribeUri(Set<String> dids, OptionalLong cursor) {
        StringBuilder b = new StringBuilder(url).append(url.contains("?") ? '&' : '?');
        List<String> params = new ArrayList<>();
        for (String c : new TreeSet<>(NetworkRecords.COLLECTIONS)) params.add("wantedCollections=" + enc(c));
        for (String d : dids) params.add("wantedDids=" + enc(d));
        cursor.ifPresent(c -> params.add("cursor=" + c));
        b.append(String.join("&", params));
        return URI.create(b.toString());
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private OptionalLong connectCursor() {
        OptionalLong stored = cursors.cursor();
        if (stored.isEmpty()) return OptionalLong.empty();
        return OptionalLong.of(Math.max(1, stored.getAsLong() - options.replayWindow().toNanos() / 1000));
    }

    // ---------------------------------------------------------------- processing thread

    private void run() {
        Backoff backoff = new Backoff(options.initialBackoff(), options.maxBackoff());
        while (!closing) {
            URI uri;
            try {
                uri = subscribeUri(records.trustedDids(), connectCursor());
            } catch (RuntimeException e) {
                Duration d = backoff.next();
                log.warn("jetstream: cannot read the cursor or members: {}; retrying in {} ms", e.toString(), d.toMillis());
                if (pause(d)) break;
                continue;
            }
            Connection c = new Connection(generations.incrementAndGet(), uri);
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
                log.warn("jetstream: could not connect to {}: {}; retrying in {} ms", url, c.failure, d.toMillis());
                if (pause(d)) break;
                continue;
            }
            synchronized (connectedTo) {
                connectedTo.add(uri);
            }
            long openedAt = System.nanoTime();
            log.info("jetstream connected: {}", uri);
            Ended ended = pump(c);
            c.abandon();
            connected.set(0);
            if (closing) break;
            if (ended.resubscribe()) {
                log.info("jetstream: {}; resubscribing", ended.why());
                backoff.reset();
                continue;
            }
            if (c.delivered || System.nanoTime() - openedAt >= options.stableAfter().toNanos()) backoff.reset();
            Duration d = backoff.next();
            log.warn("jetstream disconnected: {}; reconnecting in {} ms", ended.why(), d.toMillis());
            if (pause(d)) break;
        }
        Connection c = current;
        if (c != null) c.abandon();
        connected.set(0);
    }

    private record Ended(String why, boolean resubscribe) {
    }

    private Ended pump(Connection c) {
        while (true) {
            if (closing) return new Ended("closed", false);
            Inbound item;
            try {
                item = queue.poll(250, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return new Ended("closed", false);
            }
            if (item == null || item.gen() != c.gen) continue;
            switch (item) {
                case Inbound.Closed cl -> {
                    return new Ended("closed with code " + cl.code() + (cl.reason().isEmpty() ? "" : " (" + cl.reason() + ")"), false);
                }
                case Inbound.Binary b -> {
                    c.delivered = true;
                    malformed.increment();
                    log.warn("jetstream: binary frame of {} bytes skipped (compression is not requested)", b.bytes());
                }
                case Inbound.Text t -> {
                    c.delivered = true;
                    Ended e = handle(t.text());
                    if (e != null) return e;
                }
            }
        }
    }

    /** Processes one frame; non-null ends the connection. */
    private Ended handle(String text) {
        JetstreamFrame f = JetstreamFrame.parse(text);
        switch (f) {
            case JetstreamFrame.Malformed m -> {
                malformed.increment();
                log.warn("jetstream: malformed frame skipped: {}", m.reason());
                return null;
            }
            case JetstreamFrame.Other o -> {
                ignored.increment();
                checkpoint(o.timeUs());
                return null;
            }
            case JetstreamFrame.Commit commit -> {
                NetworkRecords.Outcome outcome;
                try {
                    outcome = records.apply(commit);
                } catch (RuntimeException e) {
                    log.error("jetstream: applying {} failed; reconnecting to have it again", commit.uri(), e);
                    return new Ended("applying " + commit.uri() + " failed: " + e, false);
                }
                switch (outcome) {
                    case APPLIED, MEMBERS_CHANGED -> applied.increment();
                    case IGNORED -> ignored.increment();
                    case REPLAYED -> replayed.increment();
                }
                checkpoint(commit.timeUs());
                if (outcome == NetworkRecords.Outcome.MEMBERS_CHANGED) return new Ended("the member set changed", true);
                return null;
            }
        }
    }

    private void checkpoint(long timeUs) {
        try {
            cursors.save(timeUs);
        } catch (RuntimeException e) {
            log.warn("jetstream: could not save the cursor: {}", e.toString());
        }
    }

    private boolean pause(Duration d) {
        try {
            return closeSignal.await(d.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            return true;
        }
    }

    // ---------------------------------------------------------------- socket side

    private sealed interface Inbound {
        long gen();

        record Text(long gen, String text) implements Inbound {
        }

        record Binary(long gen, int bytes) implements Inbound {
        }

        record Closed(long gen, int code, String reason) implements Inbound {
        }
    }

    private final class Connection extends WebSocketClient {
        final long gen;
        volatile boolean delivered;
        volatile String failure = "connection closed during the handshake";
        private volatile boolean abandoned;

        Connection(long gen, URI uri) {
            super(uri, new Draft_6455(List.of(), options.maxFrameBytes()), null,
                    (int) Math.min(Integer.MAX_VALUE, options.connectTimeout().toMillis()));
            this.gen = gen;
            setConnectionLostTimeout((int) Math.max(1, options.pingInterval().toSeconds()));
            setDaemon(true);
        }

        void abandon() {
            abandoned = true;
            if (gen == generations.get()) connected.set(0);
            try {
                closeConnection(CloseFrame.GOING_AWAY, "weft jetstream client closed the connection");
            } catch (RuntimeException e) {
                log.debug("closing jetstream connection: {}", e.toString());
            }
            queue.removeIf(i -> i.gen() == gen);
        }

        @Override
        public void onOpen(ServerHandshake handshake) {
            if (!abandoned && gen == generations.get()) connected.set(1);
        }

        @Override
        public void onMessage(String message) {
            enqueue(new Inbound.Text(gen, message));
        }

        @Override
        public void onMessage(ByteBuffer bytes) {
            enqueue(new Inbound.Binary(gen, bytes.remaining()));
        }

        @Override
        public void onClose(int code, String reason, boolean remote) {
            if (gen == generations.get()) connected.set(0);
            if (reason != null && !reason.isEmpty()) failure = "closed with code " + code + " (" + reason + ")";
            enqueue(new Inbound.Closed(gen, code, reason == null ? "" : reason));
        }

        @Override
        public void onError(Exception ex) {
            failure = ex.toString();
            log.debug("jetstream connection error", ex);
        }

        private void enqueue(Inbound item) {
            try {
                while (!abandoned && !closing) {
                    if (queue.offer(item, 50, TimeUnit.MILLISECONDS)) return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
