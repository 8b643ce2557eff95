package dev.weft.status;

import dev.weft.events.EventLog;
import dev.weft.store.OutboxEntry;
import dev.weft.model.Nanos;
import dev.weft.store.StatusStore;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Moves due outbox entries to the event log in (not_before, seq) order, every entry due at once in
 * one transaction, on one thread of its own: a single publisher keeps event ids and per-workflow
 * order trivially right, and a burst of statuses costs one commit.
 */
public final class StatusPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatusPublisher.class);

    /** Statuses moved per transaction at most; a burst larger than this takes a few. */
    private static final int BATCH = 512;
    private final StatusStore store;
    private final EventLog events;
    private final Clock clock;
    private final Timer latency;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Thread thread;
    private volatile boolean running = true;
    private boolean signalled;
    /**
     * Whether this instance moves the outbox to the event log. One instance at a time does (the
     * {@code publisher} lease), so event ids stay strictly increasing; the others follow the
     * store's event log instead. Alone on its database an instance always leads.
     */
    private volatile boolean leading = true;
    /** Whether the last round led: a new leader first catches up with the store's last id. */
    private boolean led = true;
    /**
     * The longest wait between rounds: 5 s alone (every queued entry pokes), shorter when instances
     * share the database, because entries other instances queue poke nobody here.
     */
    private volatile Duration idleCap = Duration.ofSeconds(5);

    public StatusPublisher(StatusStore store, EventLog events, Clock clock, MeterRegistry registry) {
        this.store = store;
        this.events = events;
        this.clock = clock;
        this.latency = Timer.builder("weft.status.publish.latency")
                .description("from the moment a status was due to its publication on /events")
                .publishPercentiles(0.5, 0.99)
                .register(registry);
        this.thread = Thread.ofPlatform().name("weft-status-publisher").daemon(true).unstarted(this::loop);
    }

    public void start() {
        thread.start();
    }

    /**
     * For instances sharing the database, before {@link #start}: follow until {@link #lead} says
     * otherwise, and look for work (or, following, for new events) at least every {@code poll}.
     */
    public void shared(Duration poll) {
        this.idleCap = poll;
        this.leading = false;
        this.led = false;
    }

    /** Starts (true) or stops (false) moving the outbox to the event log; the thread keeps running. */
    public void lead(boolean lead) {
        this.leading = lead;
        poke();
    }

    public boolean leading() {
        return leading;
    }

    /**
     * The store says the event log grew (any instance's publication): a follower takes the new
     * frames in now rather than at its next look; the leader, which wrote them, ignores it.
     */
    public void eventsAppended() {
        if (!leading) poke();
    }

    /**
     * The store says an entry was queued, perhaps on another instance, whose poke does not reach
     * here: the leader looks at the outbox now; a follower ignores it.
     */
    public void outboxQueued() {
        if (leading) poke();
    }

    /** Tells the publisher an entry was queued; cheap, callable from any thread. */
    public void poke() {
        lock.lock();
        try {
            signalled = true;
            wake.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void loop() {
        while (running) {
            try {
                boolean lead = leading;
                if (!lead || !led) {
                    // Following, or just made leader: take in what the previous leader published,
                    // so this log's next id continues the store's.
                    events.catchUp();
                }
                led = lead;
                if (!lead) {
                    idle(idleCap.toNanos());
                    continue;
                }
                long now = Nanos.of(clock.instant());
                List<OutboxEntry> due = store.due(now, BATCH);
                if (!due.isEmpty()) {
                    events.appendAll(due);
                    long done = Nanos.of(clock.instant());
                    for (OutboxEntry entry : due) {
                        latency.record(Math.max(0, done - entry.notBefore()), TimeUnit.NANOSECONDS);
                        switch (entry) {
                            case OutboxEntry.StatusDue d -> log.info("status {} {}{}", d.workflow(),
                                    d.status().state().wireName(), d.status().error().map(m -> " (" + m + ")").orElse(""));
                            case OutboxEntry.PipelineDue d -> log.info("pipeline {} announced ({} workflow(s))",
                                    d.trigger().pipeline(), d.trigger().workflows().size());
                        }
                    }
                    continue;
                }
                Optional<OutboxEntry> next = store.nextDue();
                long waitNanos = Math.min(next.map(o -> o.notBefore() - now).orElse(Long.MAX_VALUE), idleCap.toNanos());
                idle(waitNanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                // The store failed: keep the entry, say so, and try again shortly rather than die.
                log.error("publishing a status failed; retrying in 1s: {}", e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException ie) {
                    return;
                }
            }
        }
    }

    private void idle(long waitNanos) throws InterruptedException {
        lock.lock();
        try {
            if (!signalled && running) wake.awaitNanos(Math.max(waitNanos, 100_000));
            signalled = false;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        running = false;
        poke();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
