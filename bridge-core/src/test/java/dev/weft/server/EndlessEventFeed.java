package dev.weft.server;

import dev.weft.events.EventFeed;
import dev.weft.model.StatusEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A feed with an endless backlog: every read returns a full batch. Records the highest id it
 * handed out, which is how far a reader got: a server that read without regard to its client
 * would race through it and its memory with it.
 */
final class EndlessEventFeed implements EventFeed {
    final AtomicLong maxServed = new AtomicLong();

    @Override
    public List<StatusEvent> after(long afterId, int limit) {
        List<StatusEvent> out = new ArrayList<>(limit);
        for (long id = afterId + 1; id <= afterId + limit; id++) out.add(TestEventFeed.event(id));
        maxServed.accumulateAndGet(afterId + limit, Math::max);
        return out;
    }

    @Override
    public long lastId() {
        return 0;
    }

    @Override
    public AutoCloseable subscribe(Runnable onAppend) {
        return () -> {
        };
    }
}
