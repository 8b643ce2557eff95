package dev.weft.events;

import dev.weft.model.StatusEvent;
import dev.weft.wire.StatusFrames;
import dev.weft.wire.WireEncodingException;

import java.util.ArrayList;
import java.util.List;

/** The published status events, readable by cursor, with a wake-up for new ones. Thread-safe. */
public interface EventFeed {

    /** Up to {@code limit} events with {@code id > afterId}, in increasing id order. */
    List<StatusEvent> after(long afterId, int limit);

    /**
     * Up to {@code limit} events with {@code id > afterId} as their exact {@code /events} frames, in
     * increasing id order; a null frame marks an event that cannot be encoded (skip it). The default
     * encodes {@link #after}; implementations with stored frames serve them directly.
     */
    default List<EncodedEvent> framesAfter(long afterId, int limit) {
        List<StatusEvent> events = after(afterId, limit);
        List<EncodedEvent> out = new ArrayList<>(events.size());
        for (StatusEvent e : events) {
            byte[] frame;
            try {
                frame = StatusFrames.frame(e);
            } catch (WireEncodingException x) {
                frame = null;
            }
            out.add(new EncodedEvent(e.id(), frame));
        }
        return out;
    }

    /** The newest event id, or 0 when there is none. */
    long lastId();

    /**
     * Calls {@code onAppend} (on the publisher's thread: do no I/O in it, just schedule a read)
     * whenever events were appended. Close the returned handle to stop.
     */
    AutoCloseable subscribe(Runnable onAppend);

    /** A published status as its exact {@code /events} frame; {@code frame} is null when unencodable. */
    record EncodedEvent(long id, byte[] frame) {
    }
}
