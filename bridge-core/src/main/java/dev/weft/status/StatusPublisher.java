package dev.weft.status;

import dev.weft.events.EventLog;
import dev.weft.model.StatusEvent;
import dev.weft.store.OutboxEntry;
import dev.weft.store.Store;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Moves due outbox entries to the event log, one at a time, in (not_before, seq) order, on one
 * thread of its own: a single writer keeps event ids and per-workflow order trivially right.
 */
public final class StatusPublisher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StatusPublisher.class);

    private final Store store;
    private final EventLog events;
    private final Clock clock;
    private final Timer latency;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wake = lock.newCondition();
    private final Thread thread;
    private volatile boolean running = true;
    private boolean signalled;

    public StatusPublisher(Store store, EventLog events, Clock clock, MeterRegistry registry) {
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
                Optional<OutboxEntry> next = store.nextOutbox();
                long now = Store.nanos(clock.instant());
                if (next.isPresent() && next.get().notBefore() <= now) {
                    StatusEvent e = events.append(next.get());
                    latency.record(Math.max(0, Store.nanos(clock.instant()) - next.get().notBefore()), TimeUnit.NANOSECONDS);
                    log.info("status {} {}{}", e.workflow(), e.status().state().wireName(),
                            e.status().error().map(m -> " (" + m + ")").orElse(""));
                    continue;
                }
                long waitNanos = next.map(o -> o.notBefore() - now).orElse(Duration.ofSeconds(5).toNanos());
                lock.lock();
                try {
                    if (!signalled && running) wake.awaitNanos(Math.max(waitNanos, 100_000));
                    signalled = false;
                } finally {
                    lock.unlock();
                }
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
