package dev.weft.server;

import dev.weft.events.EventFeed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.AbstractList;
import java.util.List;

/** {@code /events} frames: status events by id, as the feed stored them encoded. Never finishes. */
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
        List<EventFeed.EncodedEvent> events = feed.framesAfter(after, limit);
        for (EventFeed.EncodedEvent e : events) {
            // A null frame could not be encoded (Go could not either); the reader skips past it so
            // it cannot block every later event.
            if (e.frame() == null) log.error("status event {} cannot be encoded, skipped", e.id());
        }
        // A view, not a copy: a backfill reads a million of these.
        return new Chunk(new AbstractList<>() {
            @Override
            public Frame get(int i) {
                EventFeed.EncodedEvent e = events.get(i);
                return new Frame(e.id(), e.frame());
            }

            @Override
            public int size() {
                return events.size();
            }
        }, false);
    }
}
