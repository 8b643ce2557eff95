package dev.weft.server;

import dev.weft.events.EventFeed;
import dev.weft.model.StatusEvent;
import dev.weft.wire.StatusFrames;
import dev.weft.wire.WireEncodingException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;

/** {@code /events} frames: status events by id, encoded with {@link StatusFrames}. Never finishes. */
final class EventFrames implements FrameSource {
    private static final Logger log = LoggerFactory.getLogger(EventFrames.class);

    private final EventFeed feed;

    EventFrames(EventFeed feed) {
        this.feed = feed;
    }

    @Override
    public AutoCloseable subscribe(Runnable wake) {
        return feed.subscribe(wake);
    }

    @Override
    public Chunk read(long after, int limit) {
        List<StatusEvent> events = feed.after(after, limit);
        List<Frame> frames = new ArrayList<>(events.size());
        for (StatusEvent e : events) {
            byte[] bytes;
            try {
                bytes = StatusFrames.frame(e);
            } catch (WireEncodingException x) {
                // Go could not encode it either; skip it so it cannot block every later event.
                log.error("status event {} ({}) cannot be encoded, skipped: {}", e.id(), e.rkey(), x.getMessage());
                bytes = null;
            }
            frames.add(new Frame(e.id(), bytes));
        }
        return new Chunk(frames, false);
    }
}
