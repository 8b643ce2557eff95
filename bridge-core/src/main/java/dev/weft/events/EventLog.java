package dev.weft.events;

import dev.weft.model.StatusEvent;
import dev.weft.store.OutboxEntry;
import dev.weft.store.Store;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The {@link EventFeed} over the store's event log; {@link #append} is the only way in. */
public final class EventLog implements EventFeed {
    private final Store store;
    private final Clock clock;
    private final CopyOnWriteArrayList<Runnable> subscribers = new CopyOnWriteArrayList<>();
    /**
     * The newest events in memory, so live subscribers (all reading the same few events) do not
     * each query the store; backfills older than the ring go to the store.
     */
    private static final int RING = 1 << 14;
    private final StatusEvent[] ring = new StatusEvent[RING];
    private long appended;
    /** Every event with a larger id is in the ring: the store's last id at start, then the last evicted. */
    private long floorId;

    public EventLog(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
        this.floorId = store.lastEventId();
    }

    /** Publishes a due outbox entry and wakes subscribers. */
    public StatusEvent append(OutboxEntry entry) {
        StatusEvent e = store.publish(entry, Store.nanos(clock.instant()));
        synchronized (ring) {
            int slot = (int) (appended % RING);
            if (appended >= RING) floorId = ring[slot].id();
            ring[slot] = e;
            appended++;
        }
        for (Runnable r : subscribers) r.run();
        return e;
    }

    @Override
    public List<StatusEvent> after(long afterId, int limit) {
        synchronized (ring) {
            // The ring holds every event with id > floorId: answer from it whenever it can.
            if (afterId >= floorId) {
                // Ids increase along the ring, so the first one past afterId is found by bisection.
                long lo = Math.max(0, appended - RING);
                long hi = appended;
                while (lo < hi) {
                    long mid = (lo + hi) >>> 1;
                    if (ring[(int) (mid % RING)].id() > afterId) hi = mid;
                    else lo = mid + 1;
                }
                List<StatusEvent> out = new ArrayList<>((int) Math.min(limit, appended - lo));
                for (long i = lo; i < appended && out.size() < limit; i++) out.add(ring[(int) (i % RING)]);
                return out;
            }
        }
        return store.eventsAfter(afterId, limit);
    }

    @Override
    public long lastId() {
        return store.lastEventId();
    }

    @Override
    public AutoCloseable subscribe(Runnable onAppend) {
        subscribers.add(onAppend);
        return () -> subscribers.remove(onAppend);
    }
}
