package dev.weft.knot;

import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** An in-memory {@link KnotCursorStore} that journals every save. */
final class MemoryCursorStore implements KnotCursorStore {
    private final Map<String, Long> cursors = new ConcurrentHashMap<>();
    private final List<String> journal;

    MemoryCursorStore() {
        this(new CopyOnWriteArrayList<>());
    }

    MemoryCursorStore(List<String> journal) {
        this.journal = journal;
    }

    @Override
    public OptionalLong cursor(String knot) {
        Long c = cursors.get(knot);
        return c == null ? OptionalLong.empty() : OptionalLong.of(c);
    }

    @Override
    public void saveCursor(String knot, long unixNanos) {
        cursors.put(knot, unixNanos);
        journal.add("save " + unixNanos);
    }

    void put(String knot, long unixNanos) {
        cursors.put(knot, unixNanos);
    }
}
