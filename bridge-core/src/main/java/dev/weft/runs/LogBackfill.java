package dev.weft.runs;

import dev.weft.spi.LogFetch;
import dev.weft.spi.Provider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.function.Function;

/**
 * The log hub's backfill hook: before a {@code /logs} viewer is answered about a run whose stored
 * log may be incomplete, asks the run's provider to fill it in.
 */
final class LogBackfill {
    private static final Logger log = LoggerFactory.getLogger(LogBackfill.class);

    private final RunLookup runs;
    private final Function<String, Optional<Provider>> providers;

    LogBackfill(RunLookup runs, Function<String, Optional<Provider>> providers) {
        this.runs = runs;
        this.providers = providers;
    }

    LogFetch fetch(long runId) {
        Optional<RunHandle> run = runs.byId(runId);
        if (run.isEmpty()) return LogFetch.NOT_FOUND;
        RunHandle h = run.get();
        return providers.apply(h.engine()).map(p -> {
            try {
                return p.fetchLogs(h);
            } catch (RuntimeException e) {
                log.warn("{}: fetching logs failed: {}", h, e.toString());
                return LogFetch.BACKEND_FAILURE;
            }
        }).orElse(LogFetch.NOT_FOUND);
    }
}
