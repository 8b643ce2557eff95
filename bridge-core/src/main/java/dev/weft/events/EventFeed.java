package dev.weft.events;

import dev.weft.model.StatusEvent;

import java.util.List;

/** The published status events, readable by cursor, with a wake-up for new ones. Thread-safe. */
public interface EventFeed {

    /** Up to {@code limit} events with {@code id > afterId}, in increasing id order. */
    List<StatusEvent> after(long afterId, int limit);

    /** The newest event id, or 0 when there is none. */
    long lastId();

    /**
     * Calls {@code onAppend} (on the publisher's thread: do no I/O in it, just schedule a read)
     * whenever events were appended. Close the returned handle to stop.
     */
    AutoCloseable subscribe(Runnable onAppend);
}
