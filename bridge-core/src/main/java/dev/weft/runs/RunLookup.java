package dev.weft.runs;

import dev.weft.store.RunRecord;
import dev.weft.store.RunStore;
import dev.weft.store.StatusStore;

import java.util.Optional;

/**
 * Finds a run for a provider's webhook or poller, or for a {@code /logs} viewer: the active handle
 * when the run is in memory, otherwise a handle loaded from the store (terminal runs, say), which
 * is not dispatched; for an open run, which another instance drives when the store is shared, its
 * provider's log writes are parked for that instance ({@link RunLoader#loadFound}).
 */
final class RunLookup {
    private final RunStore store;
    private final StatusStore statuses;
    private final ActiveRuns active;
    private final RunLoader loader;

    RunLookup(RunStore store, StatusStore statuses, ActiveRuns active, RunLoader loader) {
        this.store = store;
        this.statuses = statuses;
        this.active = active;
        this.loader = loader;
    }

    Optional<RunHandle> byId(long id) {
        Optional<RunHandle> h = active.get(id);
        if (h.isPresent()) return h;
        return store.run(id).map(this::load);
    }

    Optional<RunHandle> byExternalId(String engine, String externalId) {
        Optional<RunHandle> h = active.byExternalId(engine, externalId);
        if (h.isPresent()) return h;
        return store.runByExternalId(engine, externalId).map(this::load);
    }

    private RunHandle load(RunRecord r) {
        return active.get(r.id()).orElseGet(() -> loader.loadFound(r,
                store.trigger(r.workflow().pipeline()).orElseThrow(), statuses.lastScheduled(r.id())));
    }
}
