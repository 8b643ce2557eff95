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
    private final byte[][] frames = new byte[RING][];
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
        Store.Published published = store.publishFramed(entry, Store.nanos(clock.instant()));
        StatusEvent e = published.event();
        synchronized (ring) {
            int slot = (int) (appended % RING);
            if (appended >= RING) floorId = ring[slot].id();
            ring[slot] = e;
            frames[slot] = published.frame();
            appended++;
        }
        for (Runnable r : subscribers) r.run();
        return e;
    }

    @Override
    public List<StatusEvent> after(long afterId, int limit) {
        synchronized (ring) {
            if (afterId >= floorId) {
                long from = firstAfter(afterId);
                List<StatusEvent> out = new ArrayList<>((int) Math.min(limit, appended - from));
                for (long i = from; i < appended && out.size() < limit; i++) out.add(ring[(int) (i % RING)]);
                return out;
            }
        }
        return store.eventsAfter(afterId, limit);
    }

    @Override
    public List<EncodedEvent> framesAfter(long afterId, int limit) {
        synchronized (ring) {
            if (afterId >= floorId) {
                long from = firstAfter(afterId);
                List<EncodedEvent> out = new ArrayList<>((int) Math.min(limit, appended - from));
                for (long i = from; i < appended && out.size() < limit; i++) {
                    int slot = (int) (i % RING);
                    out.add(new EncodedEvent(ring[slot].id(), frames[slot]));
                }
                return out;
            }
        }
        return store.framesAfter(afterId, limit);
    }

    /**
     * The ring position of the first event past {@code afterId}, by bisection (ids increase along
     * the ring). The ring holds every event with id > floorId; the caller checked afterId >= floorId
     * and holds the ring's lock.
     */
    private long firstAfter(long afterId) {
        long lo = Math.max(0, appended - RING);
        long hi = appended;
        while (lo < hi) {
            long mid = (lo + hi) >>> 1;
            if (ring[(int) (mid % RING)].id() > afterId) hi = mid;
            else lo = mid + 1;
        }
        return lo;
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
