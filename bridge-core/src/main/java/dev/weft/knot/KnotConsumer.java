package dev.weft.knot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.AtSyntax;
import dev.weft.stream.ReconnectingStream;
import dev.weft.stream.ReconnectingStream.End;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.java_websocket.framing.CloseFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;

/**
 * Consumes one knot's event stream ({@code ws(s)://<knot>/events}) and hands its pipeline triggers
 * to a {@link TriggerSink}, checkpointing each fully processed frame in a {@link KnotCursorStore}.
 *
 * <p><b>Checkpoints.</b> Newer knots stamp each frame with {@code created}, Unix nanoseconds on the
 * knot's clock, strictly increasing per knot process; the checkpoint of a processed frame is then
 * its {@code created} (spec section 2.2). A frame without it, or with {@code 0}, from a legacy knot
 * is checkpointed at its local receive time, as before. Only the knot's own clock lets a restart
 * resume in the middle of a backlog older than the replay window: a receive time taken while
 * catching up is later than every event of the backlog, so the rest of it would be skipped. A frame
 * too broken to say whether it carries {@code created} (not JSON, binary, oversized) moves the
 * checkpoint only on a stream known to be legacy: a receive time among knot times could jump past
 * unread events, while not moving only widens the next replay.
 *
 * <p><b>Lifecycle.</b> Construct, {@link #start()}, then {@link #close()}. Until closed the consumer
 * keeps one connection open: on every (re)connect it asks for {@code cursor = checkpoint -
 * replayWindow} (no cursor, meaning "from now", when there is no checkpoint yet), so events near the
 * checkpoint are re-delivered and the sink must de-duplicate by (knot, rkey). The rewind is kept
 * when the checkpoint is on the knot's clock: there it only re-delivers what exactly-once
 * de-duplication absorbs. Failed attempts back
 * off exponentially with jitter ({@link KnotOptions#initialBackoff()} doubling to
 * {@link KnotOptions#maxBackoff()}); the backoff resets after a connection that delivered a frame or
 * stayed up {@link KnotOptions#stableAfter()}. A stream silent for {@link KnotOptions#deadAfter()}
 * (no frame, no ping) is closed and reconnected.
 *
 * <p>The connection, reconnect and close machinery is {@link ReconnectingStream}'s; this class
 * supplies the URI and cursor, the frame handling, the checkpoints, the log lines and the metrics.
 *
 * <p><b>Threads.</b> One virtual thread per consumer does all processing, in stream order: it reads
 * a bounded queue that the WebSocket library's reader thread fills. When the queue is full the
 * reader blocks, so a slow sink stops reading from the socket (TCP backpressure) instead of growing
 * memory; time spent blocked that way does not count as silence. {@link TriggerSink#accept} and the
 * cursor store are only ever called from the processing thread, one frame at a time.
 *
 * <p><b>Errors.</b> Nothing a knot sends stops the consumer. A frame that is not a JSON object, lacks
 * {@code nsid}, {@code rkey} or {@code event}, has a {@code rkey} that is not a string or a
 * {@code created} that is not a non-negative integer, or is binary is logged and counted as
 * {@code malformed}; a pipeline record the {@link PipelineRecords} rules refuse (among them an rkey
 * that is not an atproto record key and TID, and a lone surrogate anywhere in the record) is logged
 * as {@code trigger rejected from <knot> rkey <rkey>: <reason>} (the rkey escaped and quoted when it
 * is not a valid record key) and counted as {@code invalid}; a frame
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
    /**
     * Triggers handed to the sink whose outcome is not known yet, at most: enough for the store to
     * commit a burst together, few enough that a stalled store stops the reading soon.
     */
    static final int MAX_IN_FLIGHT = 256;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final String knot;
    private final boolean dev;
    private final TriggerSink sink;
    private final KnotCursorStore cursors;
    private final KnotOptions options;
    private final MeterRegistry registry;

    private final Stream stream;
    private final Gauge connectedGauge;
    private final Counter received;
    private final Counter rejectedMalformed;
    private final Counter rejectedInvalid;
    private final Counter rejectedOversized;
    /** The monotonic time {@link KnotOptions#deadAfter()} is measured in; see {@link #deadAfterTicker}. */
    private volatile LongSupplier ticker = System::nanoTime;

    /**
     * @param knot     the knot host as Tangled writes it ({@code knot.example.com},
     *                 {@code localhost:5555}); also compared exactly with each record's
     *                 {@code repo.knot}
     * @param dev      connect with {@code ws://} instead of {@code wss://}
     * @param sink     receives well-formed triggers, synchronously, in stream order
     * @param cursors  checkpoint store; read on each connect, written after each processed frame
     * @param options  durations and limits
     * @param clock    source of receive times (the checkpoints of frames without {@code created})
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
        Objects.requireNonNull(clock, "clock");
        this.registry = Objects.requireNonNull(registry, "registry");
        uri(OptionalLong.empty()); // fails fast on a host the URI syntax refuses
        this.stream = new Stream(new ReconnectingStream.Settings(
                "knot-consumer-" + knot, "knot " + knot, log, clock, options.queueCapacity(),
                options.initialBackoff(), options.maxBackoff(), options.connectTimeout(),
                options.stableAfter(), options.closeTimeout(),
                options.hardFrameLimit(), options.maxFrameBytes(),
                new ReconnectingStream.Liveness.Silence(options.deadAfter(), () -> ticker.getAsLong()),
                true, "weft knot consumer closed the connection"));
        this.connectedGauge = Gauge.builder("weft.knot.connected", stream, s -> s.isConnected() ? 1 : 0)
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

    /**
     * Replaces {@link System#nanoTime()} as the time a silent stream is measured in, so a test can
     * move it by hand: a dead-stream or keep-alive test then does not depend on how busy the
     * machine is. For tests in this package; call before {@link #start()}.
     */
    void deadAfterTicker(LongSupplier nanoTime) {
        this.ticker = Objects.requireNonNull(nanoTime, "nanoTime");
    }

    /** The knot host this consumer reads. */
    public String knot() {
        return knot;
    }

    /** Whether the stream is connected right now. Any thread. */
    public boolean isConnected() {
        return stream.isConnected();
    }

    /**
     * Starts the processing thread, which connects at once. Idempotent.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public void start() {
        if (!stream.start()) throw new IllegalStateException("knot consumer for " + knot + " is closed");
    }

    /**
     * Stops the consumer: closes the connection and waits for the processing thread. A sink call in
     * progress may finish (up to {@link KnotOptions#closeTimeout()}, then the thread is
     * interrupted); frames not yet processed are dropped and come back with the next start's rewind.
     * Idempotent; any thread; removes the {@code weft.knot.connected} gauge.
     */
    @Override
    public void close() {
        stream.close();
        registry.remove(connectedGauge);
    }

    // ---------------------------------------------------------------- processing thread

    /** Where a processed frame puts the checkpoint: a closed set of two clocks. */
    private sealed interface Mark {
        /** The frame's {@code created}: Unix nanoseconds on the knot's clock, positive. */
        record KnotTime(long created) implements Mark {
        }

        /** The local receive time of a frame from a legacy knot (no {@code created}, or 0). */
        record ReceiveTime(Instant at) implements Mark {
        }
    }

    /**
     * A frame whose checkpoint waits: {@code result} completes when its trigger's outcome is durable
     * (null for a frame with nothing to wait for), {@code rkey} names it in logs.
     */
    private record Handed(CompletableFuture<TriggerSink.Accepted> result, String rkey, Runnable checkpoint) {
    }

    /** Which clock this knot's checkpoints are on, as far as its frames have said. */
    private enum StreamClock { UNKNOWN, LEGACY, KNOT }

    /** The knot side of the shared machinery; every hook runs on the processing thread. */
    private final class Stream extends ReconnectingStream<OptionalLong> {
        /** Processing thread only. */
        private StreamClock clock = StreamClock.UNKNOWN;
        /**
         * Frames whose checkpoint waits for their own outcome or an earlier frame's, in stream
         * order: triggers go to the sink pipelined ({@link TriggerSink#acceptLater}), and a
         * checkpoint never passes a trigger that is not durable yet. Processing thread only.
         */
        private final ArrayDeque<Handed> handed = new ArrayDeque<>();
        /** A handed trigger failed on this connection: nothing more is checkpointed until it ends. */
        private boolean failed;

        Stream(Settings settings) {
            super(settings);
        }

        @Override
        protected OptionalLong resumePoint() {
            return connectCursor();
        }

        @Override
        protected URI uri(OptionalLong cursor) {
            return KnotConsumer.this.uri(cursor);
        }

        @Override
        protected void resumeFailed(RuntimeException e, Duration d) {
            // Connecting "from now" would skip events; wait and read the store again.
            log.warn("could not read the checkpoint of knot {}: {}; retrying in {} ms", knot, e, d.toMillis());
        }

        @Override
        protected void connectFailed(String failure, Duration d) {
            log.warn("could not connect to knot {}: {}; retrying in {} ms", knot, failure, d.toMillis());
        }

        @Override
        protected void connected(OptionalLong cursor, URI uri) {
            log.info("connected to knot {} ({})", knot,
                    cursor.isPresent() ? "cursor " + cursor.getAsLong() : "no checkpoint: live events only");
        }

        @Override
        protected End onText(String text, Instant receivedAt) {
            String failure = handle(text, receivedAt);
            return failure == null ? null : End.drop(failure);
        }

        @Override
        protected End onBinary(long bytes, Instant receivedAt) {
            malformed("binary frame of " + bytes + " bytes (knots send text frames)");
            checkpointUnread(receivedAt);
            return null;
        }

        @Override
        protected End onOversized(long bytes, Instant receivedAt) {
            rejectedOversized.increment();
            log.warn("frame from knot {} skipped: {} bytes is over the {} byte limit", knot, bytes,
                    options.maxFrameBytes());
            checkpointUnread(receivedAt);
            return null;
        }

        @Override
        protected String closeReason(int code, String reason, boolean remote) {
            if (code == CloseFrame.TOOBIG && !remote) {
                rejectedOversized.increment();
                return "a frame exceeded the hard limit of " + options.hardFrameLimit()
                        + " bytes, so the connection was closed (frames behind it come back with the rewind)";
            }
            String why = reason == null || reason.isEmpty() ? "" : " (" + reason + ")";
            if (code == CloseFrame.ABNORMAL_CLOSE) return "connection lost" + why;
            return (remote ? "closed by knot with code " : "closed with code ") + code + why;
        }

        @Override
        protected void stoppedWhileConnected() {
            log.info("disconnected from knot {}: consumer closed", knot);
        }

        @Override
        protected void disconnected(String why, Duration d) {
            log.warn("disconnected from knot {}: {}; reconnecting in {} ms", knot, why, d.toMillis());
        }

        @Override
        protected void crashed(Throwable e) {
            log.error("knot consumer for {} stopped by an unexpected error", knot, e);
        }

        @Override
        protected boolean closeTimedOut(Duration waited) {
            log.warn("knot consumer for {} still busy after {} ms; interrupting it", knot, waited.toMillis());
            return true;
        }

        /** Handles one text frame; returns null, or why the connection must be dropped. */
        private String handle(String text, Instant receivedAt) {
            JsonNode frame;
            try {
                frame = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                malformed("not valid JSON: " + e.getOriginalMessage());
                checkpointUnread(receivedAt);
                return null;
            }
            if (frame == null || !frame.isObject()) {
                malformed("not a JSON object");
                checkpointUnread(receivedAt);
                return null;
            }
            JsonNode createdNode = frame.get("created");
            Mark mark;
            if (createdNode == null || createdNode.isNull()
                    || (createdNode.isIntegralNumber() && createdNode.canConvertToLong() && createdNode.longValue() == 0)) {
                mark = new Mark.ReceiveTime(receivedAt);
            } else if (createdNode.isIntegralNumber() && createdNode.canConvertToLong() && createdNode.longValue() > 0) {
                mark = new Mark.KnotTime(createdNode.longValue());
            } else {
                malformed("created is not a non-negative integer (Unix nanoseconds): " + AtSyntax.quote(createdNode.toString()));
                checkpointUnread(receivedAt);
                return null;
            }
            JsonNode nsid = frame.get("nsid");
            if (nsid == null || !nsid.isTextual()) {
                malformed("nsid is missing or not a string");
                checkpoint(mark);
                return null;
            }
            String collection = nsid.textValue();
            if (!PipelineRecords.NSID.equals(collection) && !RefUpdates.NSID.equals(collection)
                    && !RefUpdates.COLLABORATOR_NSID.equals(collection)) {
                log.debug("ignoring {} event from knot {}", AtSyntax.quote(collection), knot);
                checkpoint(mark);
                return null;
            }
            JsonNode rkeyNode = frame.get("rkey");
            if (rkeyNode == null || !rkeyNode.isTextual()) {
                malformed("rkey is missing or not a string");
                checkpoint(mark);
                return null;
            }
            // Its syntax (record key, TID) is the parser's to judge, so every intake path
            // refuses the same rkeys; until then it is shown escaped.
            String rkey = rkeyNode.textValue();
            JsonNode event = frame.get("event");
            if (event == null || event.isNull()) {
                malformed("event is missing (rkey " + shown(rkey) + ")");
                checkpoint(mark);
                return null;
            }
            if (RefUpdates.COLLABORATOR_NSID.equals(collection)) {
                switch (RefUpdates.collaborator(knot, event)) {
                    case RefUpdates.Parsed.Rejected<CollaboratorUpdate> r -> {
                        rejectedInvalid.increment();
                        log.warn("collaboratorUpdate rejected from {} rkey {}: {}", knot, shown(rkey), r.reason());
                    }
                    case RefUpdates.Parsed.Ok<CollaboratorUpdate> ok -> {
                        if (!beginUninterruptible()) return "consumer closed";
                        try {
                            sink.collaborator(ok.value());
                        } catch (RuntimeException e) {
                            log.error("collaboratorUpdate from {} rkey {} failed; reconnecting to have it re-delivered",
                                    knot, rkey, e);
                            return "collaborator sink failed on rkey " + rkey + ": " + e;
                        } finally {
                            endUninterruptible();
                        }
                    }
                }
                checkpoint(mark);
                return null;
            }
            if (RefUpdates.NSID.equals(collection)) {
                return switch (RefUpdates.refUpdate(knot, rkey, event, receivedAt)) {
                    case RefUpdates.Parsed.Rejected<RefUpdate> r -> {
                        rejectedInvalid.increment();
                        log.warn("refUpdate rejected from {} rkey {}: {}", knot, shown(rkey), r.reason());
                        checkpoint(mark);
                        yield null;
                    }
                    case RefUpdates.Parsed.Ok<RefUpdate> ok -> hand(mark, rkey, () -> sink.push(ok.value()));
                };
            }
            return switch (PipelineRecords.parse(knot, rkey, event, receivedAt)) {
                case PipelineRecords.Parsed.Rejected r -> {
                    rejectedInvalid.increment();
                    log.warn("trigger rejected from {} rkey {}: {}", knot, shown(rkey), r.reason());
                    checkpoint(mark);
                    yield null;
                }
                case PipelineRecords.Parsed.Ok ok -> handLater(mark, rkey, ok);
            };
        }

        /**
         * Hands a well-formed trigger or push to the sink and checkpoints once it is durable; if
         * the sink throws, nothing is checkpointed and the connection is dropped so that the
         * reconnect's rewind delivers it again.
         */
        private String hand(Mark mark, String rkey, java.util.function.Supplier<TriggerSink.Outcome> call) {
            received.increment();
            if (!beginUninterruptible()) return "consumer closed";
            TriggerSink.Outcome outcome;
            try {
                outcome = call.get();
            } catch (Exception e) {
                log.error("trigger sink failed on {} rkey {}; reconnecting to have it re-delivered", knot, rkey, e);
                return "trigger sink failed on rkey " + rkey + ": " + e;
            } finally {
                endUninterruptible();
            }
            log.debug("trigger {} rkey {}: {}", knot, rkey, outcome);
            checkpoint(mark);
            return null;
        }

        /**
         * Hands a well-formed trigger to the sink pipelined: the store commits it (with the others
         * in flight) while the next frames are read; its runs are dispatched and its frame is
         * checkpointed when it and every frame before it are durable ({@link #settle}). At most
         * {@link #MAX_IN_FLIGHT} wait; then this waits for the oldest.
         */
        private String handLater(Mark mark, String rkey, PipelineRecords.Parsed.Ok ok) {
            received.increment();
            CompletableFuture<TriggerSink.Accepted> result;
            try {
                result = sink.acceptLater(ok.trigger());
            } catch (RuntimeException e) {
                log.error("trigger sink failed on {} rkey {}; reconnecting to have it re-delivered", knot, rkey, e);
                return "trigger sink failed on rkey " + rkey + ": " + e;
            }
            handed.add(new Handed(result, rkey, () -> checkpointNow(mark)));
            if (!result.isDone()) result.whenComplete((a, e) -> wakeProcessing());
            return settle(MAX_IN_FLIGHT - 1);
        }

        @Override
        protected End onWake() {
            String failure = settle(Integer.MAX_VALUE);
            return failure == null ? null : End.drop(failure);
        }

        @Override
        protected void connectionEnded() {
            // Runs written for triggers still in flight are dispatched whatever ended the
            // connection; checkpoints stop at the first failure (its frame comes back with the rewind).
            settle(0);
            handed.clear(); // only left when interrupted (closing): the next start recovers those runs
            failed = false;
        }

        /**
         * Settles handed frames in stream order: for each whose outcome is known, runs what must
         * follow (dispatching a new trigger's runs) and then its checkpoint; waits for the oldest
         * while more than {@code keep} are outstanding. After a failure no more checkpoints are
         * saved on this connection, but every later trigger is still settled, so runs that were
         * written get dispatched. Returns null, or why the connection must be dropped.
         */
        private String settle(int keep) {
            String failure = null;
            while (!handed.isEmpty()) {
                Handed h = handed.peek();
                if (h.result() != null && !h.result().isDone() && handed.size() <= keep) break;
                handed.poll();
                try {
                    if (h.result() != null) {
                        TriggerSink.Accepted a = h.result().get();
                        a.then().run();
                        log.debug("trigger {} rkey {}: {}", knot, h.rkey(), a.outcome());
                    }
                    if (!failed) h.checkpoint().run();
                } catch (InterruptedException e) {
                    // Closing: a run written but not dispatched is picked up by the next start's recovery.
                    Thread.currentThread().interrupt();
                    return "consumer closed";
                } catch (ExecutionException | RuntimeException e) {
                    Throwable cause = e instanceof ExecutionException x && x.getCause() != null ? x.getCause() : e;
                    log.error("trigger sink failed on {} rkey {}; reconnecting to have it re-delivered", knot, h.rkey(), cause);
                    if (failure == null) failure = "trigger sink failed on rkey " + h.rkey() + ": " + cause;
                    failed = true;
                    keep = 0;
                }
            }
            return failure;
        }

        private void malformed(String reason) {
            rejectedMalformed.increment();
            log.warn("malformed frame from knot {} skipped: {}", knot, reason);
        }

        /**
         * Checkpoints a fully processed frame: its {@code created}, or for a legacy frame its receive
         * time. Deliberately not max()-ed with the previous value: after a clock steps back (the
         * local one, or a restarted knot's), a smaller checkpoint only replays more, while a
         * checkpoint left in the future would skip events.
         */
        private void checkpoint(Mark mark) {
            inOrder(() -> checkpointNow(mark));
        }

        private void checkpointNow(Mark mark) {
            StreamClock now = mark instanceof Mark.KnotTime ? StreamClock.KNOT : StreamClock.LEGACY;
            if (now != clock) {
                log.info("knot {} {}", knot, now == StreamClock.KNOT
                        ? "stamps its events with created: checkpointing on the knot's clock"
                        : "sends events without created: checkpointing on the local receive time");
                clock = now;
            }
            save(switch (mark) {
                case Mark.KnotTime k -> k.created();
                case Mark.ReceiveTime r -> unixNanos(r.at());
            });
        }

        /**
         * A frame too broken to say which clock it is on: today's receive-time rule on a legacy
         * stream; otherwise the checkpoint stays, which only widens the next replay, where a
         * receive time among the knot's times could jump past events not yet read.
         */
        private void checkpointUnread(Instant receivedAt) {
            inOrder(() -> {
                if (clock == StreamClock.LEGACY) save(unixNanos(receivedAt));
            });
        }

        /** Runs a checkpoint now, or after the handed triggers before it are settled. */
        private void inOrder(Runnable checkpoint) {
            if (failed) return;
            if (handed.isEmpty()) checkpoint.run();
            else handed.add(new Handed(null, null, checkpoint));
        }

        private void save(long cursor) {
            try {
                cursors.saveCursor(knot, cursor);
            } catch (RuntimeException e) {
                // The frame is handled; a lost checkpoint only widens the next replay.
                log.warn("could not save the checkpoint of knot {}: {}", knot, e.toString());
            }
        }
    }

    /** The rkey for a log line: as is when it is a valid record key, else quoted and escaped. */
    private static String shown(String rkey) {
        return AtSyntax.recordKey(rkey).isEmpty() ? rkey : AtSyntax.quote(rkey);
    }

    /**
     * The cursor to ask for: checkpoint minus the replay window, or none ("from now"). The
     * checkpoint is on the knot's clock for knots that send {@code created} and on the local clock
     * for legacy ones; the knot compares the cursor with its own event times either way.
     */
    private OptionalLong connectCursor() {
        OptionalLong cp = cursors.cursor(knot);
        if (cp == null || cp.isEmpty()) return OptionalLong.empty();
        long c = cp.getAsLong() - options.replayWindow().toNanos();
        // 0 would mean "live only" and a negative cursor "from the oldest" to the knot: neither is a
        // rewind. Only a checkpoint near the epoch (tests) gets here.
        return OptionalLong.of(Math.max(1, c));
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
}
