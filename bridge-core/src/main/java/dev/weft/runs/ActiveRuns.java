package dev.weft.runs;

import dev.weft.spi.Run;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The runs held in memory because they are not terminal yet: added when dispatched, removed when
 * they end. Looked up by id, by an engine's external id, or by engine; nothing here reads the store.
 */
final class ActiveRuns {
    private final ConcurrentHashMap<Long, RunHandle> byId = new ConcurrentHashMap<>();

    void add(RunHandle h) {
        byId.put(h.id(), h);
    }

    void remove(RunHandle h) {
        byId.remove(h.id(), h);
    }

    Optional<RunHandle> get(long id) {
        return Optional.ofNullable(byId.get(id));
    }

    /** The active run of {@code engine} that attached {@code externalId}. */
    Optional<RunHandle> byExternalId(String engine, String externalId) {
        for (RunHandle h : byId.values()) {
            if (h.engine().equals(engine) && externalId.equals(h.externalId().orElse(null))) return Optional.of(h);
        }
        return Optional.empty();
    }

    /** Every handle in memory; a snapshot. */
    List<RunHandle> all() {
        return List.copyOf(byId.values());
    }

    List<Run> ofEngine(String engine) {
        List<Run> out = new ArrayList<>();
        for (RunHandle h : byId.values()) if (h.engine().equals(engine)) out.add(h);
        return out;
    }

    int size() {
        return byId.size();
    }
}
