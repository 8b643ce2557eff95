package dev.weft.runs;

import dev.weft.model.Trigger;
import dev.weft.store.RunRecord;
import dev.weft.store.RunStore;
import dev.weft.store.StatusStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Start-up: picks up every run left unfinished by the previous process. Runs never handed to a
 * provider are dispatched to {@code spawn}; the others are offered to their provider's
 * {@code resume}; a run whose cancel was requested is asked to cancel again.
 */
final class RunRecovery {
    private static final Logger log = LoggerFactory.getLogger(RunRecovery.class);

    private final RunStore store;
    private final StatusStore statuses;
    private final RunLoader loader;
    private final Dispatcher dispatcher;
    private final Cancellation cancellation;

    RunRecovery(RunStore store, StatusStore statuses, RunLoader loader, Dispatcher dispatcher,
                Cancellation cancellation) {
        this.store = store;
        this.statuses = statuses;
        this.loader = loader;
        this.dispatcher = dispatcher;
        this.cancellation = cancellation;
    }

    void recover() {
        recover(store.openRuns());
    }

    /**
     * Picks up {@code open}, runs this instance now drives: the previous process's at start, or a
     * dead instance's it adopted (their handles were never in this instance's memory).
     */
    void recover(List<RunRecord> open) {
        if (!open.isEmpty()) log.info("recovering {} unfinished run(s)", open.size());
        Map<String, Trigger> triggers = new HashMap<>();
        for (RunRecord r : open) {
            try {
                Trigger t = triggers.computeIfAbsent(r.workflow().pipeline().toString(),
                        k -> store.trigger(r.workflow().pipeline()).orElseThrow());
                RunHandle h = loader.load(r, t, statuses.lastScheduled(r.id()));
                boolean spawned = store.attribute(r.id(), Dispatcher.SPAWNED).isPresent();
                dispatcher.dispatch(h, spawned);
                if (h.cancelRequested()) cancellation.askAgain(h);
            } catch (RuntimeException e) {
                log.error("cannot recover run {} ({}): {}", r.id(), r.workflow(), e.toString());
            }
        }
    }
}
