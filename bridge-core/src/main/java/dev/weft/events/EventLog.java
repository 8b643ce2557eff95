package dev.weft.events;

import dev.weft.model.StatusEvent;
import dev.weft.store.OutboxEntry;
import dev.weft.store.Store;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** The {@link EventFeed} over the store's event log; {@link #append} is the only way in. */
public final class EventLog implements EventFeed {
    private final Store store;
    private final Clock clock;
    private final CopyOnWriteArrayList<Runnable> subscribers = new CopyOnWriteArrayList<>();

    public EventLog(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** Publishes a due outbox entry and wakes subscribers. */
    public StatusEvent append(OutboxEntry entry) {
        StatusEvent e = store.publish(entry, Store.nanos(clock.instant()));
        for (Runnable r : subscribers) r.run();
        return e;
    }

    @Override
    public List<StatusEvent> after(long afterId, int limit) {
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
