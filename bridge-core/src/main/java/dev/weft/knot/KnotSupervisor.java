package dev.weft.knot;

import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Owns one {@link KnotConsumer} per knot the spindle consumes. Discovery (the Jetstream, or a
 * static configuration) calls {@link #add} and {@link #remove} as repositories come and go; all
 * consumers share one sink, cursor store, clock and metric registry.
 *
 * <p>Thread safety: every method may be called from any thread at any time. {@link #add},
 * {@link #remove} and {@link #close} are serialized, and {@link #remove} and {@link #close} return
 * only once the consumer has stopped (bounded by {@link KnotOptions#closeTimeout()} per consumer),
 * so a knot removed and added again never has two consumers at once; {@link #knots} and
 * {@link #isConnected} never wait.
 *
 * <p>Errors: a bad knot host is an {@link IllegalArgumentException} from {@link #add};
 * {@link #add} after {@link #close} is an {@link IllegalStateException}; {@code remove} of an
 * unknown knot and {@code isConnected} of a null one are false. Nothing else throws: connection
 * trouble is the consumers' to retry.
 */
public final class KnotSupervisor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KnotSupervisor.class);

    private final TriggerSink sink;
    private final KnotCursorStore cursors;
    private final boolean dev;
    private final KnotOptions options;
    private final Clock clock;
    private final MeterRegistry registry;

    /** Read without a lock; written only under {@code this}, which serializes add/remove/close. */
    private final Map<String, KnotConsumer> consumers = new ConcurrentSkipListMap<>();
    private volatile boolean closed;

    /**
     * @param sink     receives the triggers of every knot (called from each knot's own thread, so
     *                 concurrently across knots)
     * @param cursors  the per-knot checkpoints
     * @param dev      {@code ws://} instead of {@code wss://}
     * @param options  durations and limits, the replay window among them
     * @param clock    receive-time source
     * @param registry metrics
     */
    public KnotSupervisor(TriggerSink sink, KnotCursorStore cursors, boolean dev, KnotOptions options, Clock clock,
                          MeterRegistry registry) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.cursors = Objects.requireNonNull(cursors, "cursors");
        this.dev = dev;
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /**
     * Starts consuming {@code knot} unless already consuming it.
     *
     * @return true when a consumer was started, false when one was already running
     */
    public synchronized boolean add(String knot) {
        if (closed) throw new IllegalStateException("knot supervisor is closed");
        KnotConsumer.validateKnot(knot);
        if (consumers.containsKey(knot)) return false;
        KnotConsumer c = new KnotConsumer(knot, dev, sink, cursors, options, clock, registry);
        consumers.put(knot, c);
        c.start();
        log.info("consuming knot {}", knot);
        return true;
    }

    /**
     * Stops consuming {@code knot}; its checkpoint stays, so a later {@link #add} resumes there.
     *
     * @return true when a consumer was stopped, false when none was running
     */
    public synchronized boolean remove(String knot) {
        if (knot == null) return false;
        KnotConsumer c = consumers.remove(knot);
        if (c == null) return false;
        c.close();
        log.info("stopped consuming knot {}", knot);
        return true;
    }

    /** The knots being consumed, sorted; a snapshot. */
    public Set<String> knots() {
        return new TreeSet<>(consumers.keySet());
    }

    /** Whether {@code knot} is consumed and its stream connected right now. */
    public boolean isConnected(String knot) {
        if (knot == null) return false;
        KnotConsumer c = consumers.get(knot);
        return c != null && c.isConnected();
    }

    /** Stops every consumer; later {@link #add} calls fail. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        List<KnotConsumer> all = new ArrayList<>(consumers.values());
        consumers.clear();
        // Close in parallel: each may wait for a busy sink.
        List<Thread> closers = new ArrayList<>();
        for (KnotConsumer c : all) closers.add(Thread.ofVirtual().name("knot-close-" + c.knot()).start(c::close));
        for (Thread t : closers) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
