package dev.weft.logs;

import dev.weft.model.LogLine;
import dev.weft.model.Nanos;
import dev.weft.model.WorkflowId;
import dev.weft.spi.LogFetch;
import dev.weft.store.RunRecord;
import dev.weft.store.LogStore;
import dev.weft.store.RunStore;
import dev.weft.store.StoredFrame;
import dev.weft.wire.GoJson;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
    private final java.util.concurrent.atomic.LongAdder framesWritten = new java.util.concurrent.atomic.LongAdder();
    private final RunStore runs;
    private final LogStore store;
    private final Clock clock;
    private final ConcurrentHashMap<Long, RunLogWriter> writers = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, CopyOnWriteArrayList<Runnable>> subscribers = new ConcurrentHashMap<>();
    /** Finished runs whose writer is kept only for the viewers still reading them. */
    private final java.util.Set<Long> finishedWithViewers = ConcurrentHashMap.newKeySet();
    private volatile LongFunction<LogFetch> backfill = id -> LogFetch.COMPLETE;
    /** The last sequence {@link #pollOtherWriters} saw of each watched run written elsewhere. */
    private final ConcurrentHashMap<Long, Long> lastSeen = new ConcurrentHashMap<>();

    private final LogInbox inbox;

    public LogHub(RunStore runs, LogStore store, Clock clock) {
        this.runs = runs;
        this.store = store;
        this.clock = clock;
        this.inbox = new LogInbox(runs, store, clock);
    }

    /** Where writes for runs another instance drives wait for it (several instances on one database). */
    public LogInbox inbox() {
        return inbox;
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
        return writers.computeIfAbsent(runId, id -> new RunLogWriter(this, id, store.steps(id), store.lastSeq(id), filter));
    }

    /** {@link #writer} for a run created just now: it has no steps or lines yet, so none are read. */
    public RunLogWriter newWriter(long runId, UnaryOperator<String> filter) {
        return writers.computeIfAbsent(runId, id -> new RunLogWriter(this, id, List.of(), 0, filter));
    }

    /**
     * A run's log is complete: drop its in-memory writer, or, while viewers are still reading it,
     * keep it (and its tail) until the last one leaves, so viewers catching up on a fast final burst
     * are not sent to the store for every line. The log stays in the store either way.
     */
    void finished(long runId) {
        subscribers.compute(runId, (k, l) -> {
            if (l == null || l.isEmpty()) writers.remove(runId);
            else finishedWithViewers.add(runId);
            return l;
        });
    }

    /** Drops a run's writer whatever its viewers: its tail is stale (the log was written elsewhere). */
    void forget(long runId) {
        finishedWithViewers.remove(runId);
        writers.remove(runId);
    }

    Clock clock() {
        return clock;
    }

    LogStore store() {
        return store;
    }

    /** A run's stored frames as the feed hands them out. */
    List<EncodedLine> stored(long runId, long afterSeq, int limit) {
        List<StoredFrame> frames = store.after(runId, afterSeq, limit);
        List<EncodedLine> out = new java.util.ArrayList<>(frames.size());
        for (StoredFrame f : frames) out.add(new EncodedLine(f.position(), f.frame()));
        return out;
    }

    /** Frames written since start, every run's (the {@code weft.log.frames} counter). */
    public long framesWritten() {
        return framesWritten.sum();
    }

    void wrote() {
        framesWritten.increment();
    }

    void appended(long runId) {
        List<Runnable> subs = subscribers.get(runId);
        if (subs != null) for (Runnable r : subs) r.run();
    }

    /**
     * Wakes the viewers of logs that another instance writes (several instances on one database):
     * no local writer will tell them of new lines, so the store is asked for each such watched
     * run's last sequence, and viewers are woken when it moved or the log is complete. Runs with a
     * local writer cost nothing here. Called periodically by whoever owns the schedule (the daemon,
     * only when the store is shared); never concurrently with itself.
     */
    public void pollOtherWriters() {
        lastSeen.keySet().retainAll(subscribers.keySet());
        for (Long id : subscribers.keySet()) {
            if (writers.containsKey(id)) continue;
            long last = store.lastSeq(id);
            Long before = lastSeen.put(id, last);
            if (before == null || before != last || runs.run(id).map(r -> r.state().isTerminal()).orElse(true)) appended(id);
        }
    }

    /**
     * The store says run {@code runId}'s log got a line or was completed (several instances on one
     * database): its viewers here re-read the store now, unless a writer here wrote it (and woke
     * them already). Cheap and non-blocking: no store call, viewers read on their own threads.
     */
    public void appendedElsewhere(long runId) {
        if (!writers.containsKey(runId)) appended(runId);
    }

    /** Wakes the viewers of every watched run that no writer here writes (signals may have been lost). */
    public void wakeAllElsewhere() {
        for (Long id : subscribers.keySet()) appendedElsewhere(id);
    }

    @Override
    public List<WorkflowId> workflows(String rkey) {
        // Every knot's runs of this TID (see LogFeed#workflows): a TID clash is not worth a refusal.
        return runs.runsByRkey(rkey).stream().map(RunRecord::workflow).toList();
    }

    @Override
    public Optional<WorkflowLog> open(WorkflowId workflow) throws LogBackendException {
        Optional<RunRecord> found = runs.run(workflow);
        if (found.isEmpty()) return Optional.empty();
        RunRecord run = found.get();
        if (run.externalId() != null && store.lastSeq(run.id()) == 0) {
            LogFetch fetched = backfill.apply(run.id());
            if (fetched == LogFetch.BACKEND_FAILURE) {
                throw new LogBackendException("the provider for " + workflow + " could not fetch its log");
            }
        }
        long id = run.id();
        // A run already terminal when opened may have a writer nobody will complete (a handle
        // loaded for a provider's backfill or webhook, a crash between the status and the log's
        // end): its viewers stop waiting TERMINAL_GRACE after the status. A run still going has
        // its log completed by its handle at the terminal status.
        long graceEnds = run.state().isTerminal() ? run.updatedAt() + TERMINAL_GRACE.toNanos() : Long.MAX_VALUE;
        return Optional.of(new WorkflowLog() {
            @Override
            public List<EncodedLine> after(long afterSeq, int limit) {
                RunLogWriter w = writers.get(id);
                return w != null ? w.after(afterSeq, limit) : stored(id, afterSeq, limit);
            }

            @Override
            public boolean complete() {
                if (graceEnds != Long.MAX_VALUE && Nanos.of(clock.instant()) >= graceEnds) return true;
                RunLogWriter w = writers.get(id);
                if (w != null) return w.isComplete();
                // Written elsewhere (another instance): complete when stored so, or the grace
                // after a terminal status ran out (that instance may have died before closing it).
                return runs.run(id).map(r -> r.logComplete() || r.state().isTerminal()
                        && Nanos.of(clock.instant()) >= r.updatedAt() + TERMINAL_GRACE.toNanos()).orElse(true);
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
                if (graceEnds != Long.MAX_VALUE) {
                    // Nobody else says when the grace ends; a wake after the stream ended is a no-op.
                    long delay = Math.max(0, graceEnds - Nanos.of(clock.instant()));
                    CompletableFuture.delayedExecutor(delay, TimeUnit.NANOSECONDS).execute(onAppend);
                }
                return () -> subscribers.computeIfPresent(id, (k, l) -> {
                    l.remove(onAppend);
                    if (!l.isEmpty()) return l;
                    if (finishedWithViewers.remove(id)) writers.remove(id);
                    return null;
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
