package dev.weft.server;

import dev.weft.events.EventFeed;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.WorkflowId;
import dev.weft.wire.StatusFrames;
import dev.weft.wire.Tid;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-memory {@link EventFeed}: events by id, with wake-ups on append. Thread-safe. */
final class TestEventFeed implements EventFeed {
    private final ConcurrentSkipListMap<Long, StatusEvent> events = new ConcurrentSkipListMap<>();
    private final List<Runnable> subscribers = new CopyOnWriteArrayList<>();

    /** A status event with this id (an rkey derived from it, so unique per id). */
    static StatusEvent event(long id) {
        return new StatusEvent(id, Tid.fromEventId(id), new WorkflowId("knot.example.com", "3kabcdefgh2aa", "ci.yml"),
                new Status.Running(), Instant.ofEpochSecond(1_700_000_000L + id % 1_000_000));
    }

    /** The exact frame {@code /events} must send for {@link #event(long)}. */
    static String frame(long id) {
        return new String(StatusFrames.frame(event(id)), StandardCharsets.UTF_8);
    }

    /** Appends {@link #event(long)} without waking subscribers. */
    void put(long id) {
        events.put(id, event(id));
    }

    /** Appends and wakes subscribers, as a publisher does. */
    void append(long id) {
        put(id);
        subscribers.forEach(Runnable::run);
    }

    int subscribers() {
        return subscribers.size();
    }

    @Override
    public List<StatusEvent> after(long afterId, int limit) {
        List<StatusEvent> out = new ArrayList<>(Math.min(limit, 128));
        for (Map.Entry<Long, StatusEvent> e : events.tailMap(afterId, false).entrySet()) {
            if (out.size() == limit) break;
            out.add(e.getValue());
        }
        return out;
    }

    @Override
    public long lastId() {
        return events.isEmpty() ? 0 : events.lastKey();
    }

    @Override
    public AutoCloseable subscribe(Runnable onAppend) {
        subscribers.add(onAppend);
        return () -> subscribers.remove(onAppend);
    }
}
