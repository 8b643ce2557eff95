package dev.weft.logs;

import dev.weft.model.LogLine;
import dev.weft.model.WorkflowId;
import dev.weft.spi.LogFetch;
import dev.weft.store.RunRecord;
import dev.weft.store.Store;
import dev.weft.wire.GoJson;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongFunction;
import java.util.function.UnaryOperator;

/**
 * Owns every workflow log: providers write through {@link RunLogWriter}s, which encode each line
 * once (Go-compatible frames), persist it, then wake live viewers; {@code /logs} reads through
 * {@link LogFeed}. Viewers re-read from the store by sequence, so nothing is pushed twice or lost.
 */
public final class LogHub implements LogFeed {
    private final Store store;
    private final Clock clock;
    private final ConcurrentHashMap<Long, RunLogWriter> writers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, CopyOnWriteArrayList<Runnable>> subscribers = new ConcurrentHashMap<>();
    private volatile LongFunction<LogFetch> backfill = id -> LogFetch.COMPLETE;

    public LogHub(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** How {@link #open} asks a run's provider to fill in a log (set by the run manager). */
    public void backfill(LongFunction<LogFetch> backfill) {
        this.backfill = backfill;
    }

    /**
     * The writer of a run's log, loading its steps and last sequence from the store the first time
     * (so a resumed run continues numbering where it stopped).
     *
     * @param filter applied to every data line's text before it is stored (secret masking)
     */
    public RunLogWriter writer(long runId, UnaryOperator<String> filter) {
        return writers.computeIfAbsent(runId, id -> new RunLogWriter(this, id, store.steps(id), store.lastLogSeq(id), filter));
    }

    /** Drops the in-memory writer of a finished run; its log stays in the store. */
    void forget(long runId) {
        writers.remove(runId);
    }

    Clock clock() {
        return clock;
    }

    Store store() {
        return store;
    }

    void appended(long runId) {
        List<Runnable> subs = subscribers.get(runId);
        if (subs != null) for (Runnable r : subs) r.run();
    }

    @Override
    public Optional<WorkflowLog> open(WorkflowId workflow) throws LogBackendException {
        Optional<RunRecord> found = store.run(workflow);
        if (found.isEmpty()) return Optional.empty();
        RunRecord run = found.get();
        if (run.externalId() != null && store.lastLogSeq(run.id()) == 0) {
            LogFetch fetched = backfill.apply(run.id());
            if (fetched == LogFetch.BACKEND_FAILURE) {
                throw new LogBackendException("the provider for " + workflow + " could not fetch its log");
            }
        }
        long id = run.id();
        return Optional.of(new WorkflowLog() {
            @Override
            public List<EncodedLine> after(long afterSeq, int limit) {
                RunLogWriter w = writers.get(id);
                return w != null ? w.after(afterSeq, limit) : store.logAfter(id, afterSeq, limit);
            }

            @Override
            public boolean complete() {
                RunLogWriter w = writers.get(id);
                if (w != null) return w.isComplete();
                return store.run(id).map(RunRecord::logComplete).orElse(true);
            }

            @Override
            public AutoCloseable subscribe(Runnable onAppend) {
                // compute/computeIfPresent are atomic per key, so a subscribe racing the last
                // unsubscribe never lands in a list that was just dropped from the map.
                subscribers.compute(id, (k, l) -> {
                    CopyOnWriteArrayList<Runnable> list = l == null ? new CopyOnWriteArrayList<>() : l;
                    list.add(onAppend);
                    return list;
                });
                return () -> subscribers.computeIfPresent(id, (k, l) -> {
                    l.remove(onAppend);
                    return l.isEmpty() ? null : l;
                });
            }
        });
    }

    /** Encodes one line as its /logs frame. */
    static byte[] encode(LogLine line) {
        return GoJson.logLine(line);
    }

    static java.time.OffsetDateTime utc(Instant t) {
        return t.atOffset(ZoneOffset.UTC);
    }

}
