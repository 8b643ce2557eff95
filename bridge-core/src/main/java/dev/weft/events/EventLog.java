package dev.weft.events;

import dev.weft.model.Nanos;
import dev.weft.model.StatusEvent;
import dev.weft.store.OutboxEntry;
import dev.weft.store.StatusStore;
import dev.weft.store.StoredFrame;
import dev.weft.wire.PipelineFrames;
import dev.weft.wire.StatusFrames;
import dev.weft.wire.Tid;
import dev.weft.wire.WireEncodingException;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The {@link EventFeed} over the store's event log; {@link #append} is the only way in. This class
 * owns the {@code /events} record's identity: it numbers events, derives their rkeys and encodes
 * their frames, and the store keeps what it is given.
 */
public final class EventLog implements EventFeed {
    private final StatusStore store;
    private final Clock clock;
    private final CopyOnWriteArrayList<Runnable> subscribers = new CopyOnWriteArrayList<>();
    /**
     * The newest events in memory, so live subscribers (all reading the same few events) do not
     * each query the store; backfills older than the ring go to the store.
     */
    private static final int RING = 1 << 14;
    private final long[] ids = new long[RING];
    /** The status of each slot; null for a pipeline record, which only {@code /events} frames show. */
    private final StatusEvent[] ring = new StatusEvent[RING];
    private final byte[][] frames = new byte[RING][];
    private long appended;
    /** Every event with a larger id is in the ring: the store's last id at start, then the last evicted. */
    private long floorId;
    /** The last id published; appends are serialised by {@link #append}'s lock. */
    private volatile long lastId;

    public EventLog(StatusStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
        this.lastId = store.lastEventId();
        this.floorId = lastId;
    }

    /**
     * Publishes a due outbox entry and wakes subscribers. Ids are {@code max(now, last + 1)}:
     * strictly increasing even when the clock repeats or steps back. A status's rkey (a TID) is
     * derived from its id, so it is unique forever; a pipeline record keeps its pipeline's TID,
     * which is what the appview stores the pipeline under.
     */
    public void append(OutboxEntry entry) {
        appendAll(List.of(entry));
    }

    /**
     * {@link #append} for due entries in order, stored in one transaction, subscribers woken once.
     * Returns the status events published, in order (pipeline records are not statuses).
     */
    public synchronized List<StatusEvent> appendAll(List<OutboxEntry> entries) {
        long now = Nanos.of(clock.instant());
        long id = lastId;
        List<StatusStore.Publication> out = new ArrayList<>(entries.size());
        List<StatusEvent> statuses = new ArrayList<>(entries.size());
        StatusEvent[] bySlot = new StatusEvent[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            OutboxEntry entry = entries.get(i);
            id = Math.max(now, id + 1);
            // createdAt is the time the entry was due, not when the publisher got to it: the
            // pacing gaps are computed between due times, and the appview orders a workflow's
            // statuses by createdAt, so a publication late by a fraction of a millisecond must
            // not shrink them.
            long createdAt = entry.notBefore() > 0 && entry.notBefore() <= now ? entry.notBefore() : now;
            switch (entry) {
                case OutboxEntry.StatusDue d -> {
                    StatusEvent e = new StatusEvent(id, Tid.fromEventId(id), d.workflow(), d.status(), Nanos.instant(createdAt));
                    out.add(new StatusStore.Publication(entry, id, e.rkey(), e.createdAt(), encodeOrNull(e)));
                    statuses.add(e);
                    bySlot[i] = e;
                }
                case OutboxEntry.PipelineDue d -> out.add(new StatusStore.Publication(entry, id,
                        d.trigger().pipeline().rkey(), Nanos.instant(createdAt), PipelineFrames.frame(d.trigger(), id)));
            }
        }
        store.publishAll(out);
        lastId = id;
        synchronized (ring) {
            for (int i = 0; i < out.size(); i++) {
                int slot = (int) (appended % RING);
                if (appended >= RING) floorId = ids[slot];
                ids[slot] = out.get(i).id();
                ring[slot] = bySlot[i];
                frames[slot] = out.get(i).frame();
                appended++;
            }
        }
        for (Runnable r : subscribers) r.run();
        return statuses;
    }

    /**
     * Takes in what another instance published since this log's last id, so this instance's
     * {@code /events} viewers see it, and wakes them; also what an instance does before it starts
     * publishing itself, so its ids continue the store's. Cheap when nothing is new (one indexed
     * read of the last id). Returns how many events were taken in.
     */
    public synchronized int catchUp() {
        if (store.lastEventId() <= lastId) return 0;
        int taken = 0;
        while (true) {
            List<StoredFrame> page = store.framesAfter(lastId, 512);
            if (page.isEmpty()) break;
            java.util.Map<Long, StatusEvent> statuses = new java.util.HashMap<>();
            for (StatusEvent e : store.eventsAfter(lastId, page.size())) statuses.put(e.id(), e);
            synchronized (ring) {
                for (StoredFrame f : page) {
                    int slot = (int) (appended % RING);
                    if (appended >= RING) floorId = ids[slot];
                    ids[slot] = f.position();
                    ring[slot] = statuses.get(f.position());
                    frames[slot] = f.frame();
                    appended++;
                }
            }
            lastId = page.get(page.size() - 1).position();
            taken += page.size();
        }
        if (taken > 0) for (Runnable r : subscribers) r.run();
        return taken;
    }

    @Override
    public List<StatusEvent> after(long afterId, int limit) {
        synchronized (ring) {
            if (afterId >= floorId) {
                long from = firstAfter(afterId);
                List<StatusEvent> out = new ArrayList<>((int) Math.min(limit, appended - from));
                for (long i = from; i < appended && out.size() < limit; i++) {
                    StatusEvent e = ring[(int) (i % RING)];
                    if (e != null) out.add(e);
                }
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
                    out.add(new EncodedEvent(ids[slot], frames[slot]));
                }
                return out;
            }
        }
        List<StoredFrame> stored = store.framesAfter(afterId, limit);
        List<EncodedEvent> out = new ArrayList<>(stored.size());
        boolean legacy = false;
        for (StoredFrame f : stored) {
            legacy |= f.frame() == null;
            out.add(new EncodedEvent(f.position(), f.frame()));
        }
        if (!legacy) return out;
        // Rows published before frames were stored (schema 3, statuses only): encode them from the
        // full events.
        java.util.Map<Long, StatusEvent> old = new java.util.HashMap<>();
        for (StatusEvent e : store.eventsAfter(afterId, out.size())) old.put(e.id(), e);
        List<EncodedEvent> filled = new ArrayList<>(out.size());
        for (EncodedEvent e : out) {
            StatusEvent full = e.frame() == null ? old.get(e.id()) : null;
            filled.add(full == null ? e : new EncodedEvent(e.id(), encodeOrNull(full)));
        }
        return filled;
    }

    /** The exact frame, or null for a status Go could not encode either (it is skipped). */
    private static byte[] encodeOrNull(StatusEvent e) {
        try {
            return StatusFrames.frame(e);
        } catch (WireEncodingException x) {
            return null;
        }
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
            if (ids[(int) (mid % RING)] > afterId) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    @Override
    public long lastId() {
        return lastId;
    }

    @Override
    public AutoCloseable subscribe(Runnable onAppend) {
        subscribers.add(onAppend);
        return () -> subscribers.remove(onAppend);
    }
}
