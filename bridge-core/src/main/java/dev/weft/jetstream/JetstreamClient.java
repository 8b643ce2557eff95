package dev.weft.jetstream;

import dev.weft.stream.ReconnectingStream;
import dev.weft.stream.ReconnectingStream.End;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

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
 * <p>The connection, reconnect and close machinery is {@link ReconnectingStream}'s; this class
 * supplies the subscription URI and cursor, the frame handling, the log lines and the metrics.
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
    private final JetstreamSubscription records;
    private final CursorStore cursors;
    private final JetstreamOptions options;
    private final MeterRegistry meters;
    private final Stream stream;
    private final Counter applied;
    private final Counter ignored;
    private final Counter replayed;
    private final Counter malformed;
    private final List<URI> connectedTo = new ArrayList<>();

    /** Where the cursor lives: the store in production. */
    public interface CursorStore {
        OptionalLong cursor();

        void save(long timeUs);
    }

    /**
     * @param url the Jetstream subscribe URL ({@code wss://jetstream1.us-west.bsky.network/subscribe})
     */
    public JetstreamClient(String url, JetstreamSubscription records, CursorStore cursors, JetstreamOptions options,
                           MeterRegistry meters) {
        this.url = Objects.requireNonNull(url, "url");
        if (!url.startsWith("ws://") && !url.startsWith("wss://")) throw new IllegalArgumentException("not a ws(s):// URL: " + url);
        this.records = Objects.requireNonNull(records, "records");
        this.cursors = Objects.requireNonNull(cursors, "cursors");
        this.options = Objects.requireNonNull(options, "options");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.stream = new Stream(new ReconnectingStream.Settings(
                records.name(), records.name(), log, Clock.systemUTC(), options.queueCapacity(),
                options.initialBackoff(), options.maxBackoff(), options.connectTimeout(),
                options.stableAfter(), options.closeTimeout(),
                options.maxFrameBytes(), Long.MAX_VALUE, // the library's limit is the only one
                new ReconnectingStream.Liveness.LibraryPing(options.pingInterval()),
                // Java-WebSocket still completes a handshake after closeConnection(); closing the
                // socket too is what keeps an abandoned connection from lingering (found on knots).
                true, "weft jetstream client closed the connection"));
        Gauge.builder("weft.jetstream.connected", stream, s -> s.isConnected() ? 1 : 0)
                .description("1 while the Jetstream is connected").tag("subscription", records.name())
                .strongReference(true).register(meters);
        this.applied = frames("applied");
        this.ignored = frames("ignored");
        this.replayed = frames("replayed");
        this.malformed = frames("malformed");
    }

    private Counter frames(String outcome) {
        return Counter.builder("weft.jetstream.frames").description("Jetstream frames by what became of them")
                .tag("outcome", outcome).tag("subscription", records.name()).register(meters);
    }

    /** Starts the processing thread, which connects at once. */
    public JetstreamClient start() {
        if (!stream.start()) throw new IllegalStateException("closed");
        return this;
    }

    public boolean isConnected() {
        return stream.isConnected();
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
        stream.close();
    }

    /** The subscription URI for the current member set and cursor. */
    URI subscribeUri(Set<String> dids, OptionalLong cursor) {
        StringBuilder b = new StringBuilder(url).append(url.contains("?") ? '&' : '?');
        List<String> params = new ArrayList<>();
        for (String c : new TreeSet<>(records.collections())) params.add("wantedCollections=" + enc(c));
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

    /** The Jetstream side of the shared machinery; hooks run on the processing thread. */
    private final class Stream extends ReconnectingStream<OptionalLong> {
        Stream(Settings settings) {
            super(settings);
        }

        @Override
        protected OptionalLong resumePoint() {
            return connectCursor();
        }

        @Override
        protected URI uri(OptionalLong cursor) {
            return subscribeUri(records.dids(), cursor);
        }

        @Override
        protected void resumeFailed(RuntimeException e, Duration d) {
            log.warn("jetstream: cannot read the cursor or members: {}; retrying in {} ms", e.toString(), d.toMillis());
        }

        @Override
        protected void connectFailed(String failure, Duration d) {
            log.warn("jetstream: could not connect to {}: {}; retrying in {} ms", url, failure, d.toMillis());
        }

        @Override
        protected void connected(OptionalLong cursor, URI uri) {
            synchronized (connectedTo) {
                connectedTo.add(uri);
            }
            log.info("jetstream connected: {}", uri);
        }

        @Override
        protected End onText(String text, Instant receivedAt) {
            return handle(text);
        }

        @Override
        protected End onBinary(long bytes, Instant receivedAt) {
            malformed.increment();
            log.warn("jetstream: binary frame of {} bytes skipped (compression is not requested)", bytes);
            return null;
        }

        @Override
        protected String closeReason(int code, String reason, boolean remote) {
            return "closed with code " + code + (reason == null || reason.isEmpty() ? "" : " (" + reason + ")");
        }

        @Override
        protected void resubscribing(String why) {
            log.info("jetstream: {}; resubscribing", why);
        }

        @Override
        protected void disconnected(String why, Duration d) {
            log.warn("jetstream disconnected: {}; reconnecting in {} ms", why, d.toMillis());
        }

        @Override
        protected boolean closeTimedOut(Duration waited) {
            log.warn("jetstream client did not stop within {}", waited);
            return false;
        }

        @Override
        protected String handshakeFailure(String previous, int code, String reason) {
            return reason != null && !reason.isEmpty() ? "closed with code " + code + " (" + reason + ")" : previous;
        }
    }

    /** Processes one frame; non-null ends the connection. */
    private End handle(String text) {
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
                    return End.drop("applying " + commit.uri() + " failed: " + e);
                }
                switch (outcome) {
                    case APPLIED, MEMBERS_CHANGED -> applied.increment();
                    case IGNORED -> ignored.increment();
                    case REPLAYED -> replayed.increment();
                }
                checkpoint(commit.timeUs());
                if (outcome == NetworkRecords.Outcome.MEMBERS_CHANGED) return End.resubscribe("the member set changed");
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
}
