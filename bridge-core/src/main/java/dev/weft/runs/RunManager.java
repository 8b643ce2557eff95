package dev.weft.runs;

import dev.weft.concurrency.ConcurrencyGroups;
import dev.weft.discovery.RepoRegistry;
import dev.weft.knot.TriggerSink;
import dev.weft.logs.LogHub;
import dev.weft.logs.LogInbox;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;
import dev.weft.spi.Provider;
import dev.weft.spi.Run;
import dev.weft.spi.RunLog;
import dev.weft.spi.SecretSupport;
import dev.weft.status.StatusPublisher;
import dev.weft.store.ConcurrencyStore;
import dev.weft.store.RunStore;
import dev.weft.store.StatusStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongFunction;
import java.util.function.UnaryOperator;

/**
 * The run runtime's front door: it assembles the parts and is what the daemon, the knot consumers
 * and the providers hold. Each part has one job:
 * {@link RunIntake} writes a trigger's intent and hands its runs on; {@link RunRecovery} picks up
 * the previous process's unfinished runs; {@link Dispatcher} drives {@code spawn}/{@code resume}
 * with retries on a run thread; {@link Deadlines} holds the workflow timeout and the cancel grace;
 * {@link Cancellation} carries cancels to providers; {@link Pacing} decides when a status may be
 * published; {@link ActiveRuns} indexes the runs in memory and {@link RunLookup} finds any run;
 * {@link RunThreads} owns every thread the runtime starts; runs of a {@code concurrency} group wait
 * for their turn through {@link ConcurrencyGroups}.
 *
 * <p>Every run reaches a terminal status: provider exceptions fail it, the workflow timeout cancels
 * it, a provider that does not confirm a cancel is overruled after a grace period, and on start-up
 * each unfinished run is resumed or failed. {@link #close()} interrupts every run thread and waits
 * for them, bounded by {@link RunOptions#stopWait()}; runs it interrupts stay open for the next start.
 */
public final class RunManager implements TriggerSink, AutoCloseable {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RunManager.class);
    private final RunOptions options;
    private final RunThreads threads = new RunThreads();
    private final ActiveRuns active = new ActiveRuns();
    private final Deadlines deadlines;
    private final Cancellation cancellation;
    private final RunLoader loader;
    private final RunLookup lookup;
    private final RunIntake intake;
    private final RunRecovery recovery;
    private final RunStore store;
    private volatile Function<String, Optional<Provider>> providers = e -> Optional.empty();
    private volatile RunNotices notices = RunNotices.NONE;
    private final ConcurrencyGroups groups;
    private final ScheduledFuture<?> supersede;
    /** Set when several instances share the store ({@link #parkLogsOfOtherInstances}). */
    private volatile LogInbox inbox;
    private final LogEnds logEnds;
    /** Bounds one round's look for orphaned logs: a backlog (an outage of every instance) drains over rounds. */
    static final int ORPHANED_LOGS_PER_ROUND = 100;

    public RunManager(RunStore store, StatusStore statuses, LogHub logs, StatusPublisher publisher, RepoRegistry registry, RunOptions options,
                      Clock clock, ScheduledExecutorService timers, MeterRegistry meters, ConcurrencyStore queues) {
        this.options = options;
        this.store = store;
        Function<String, Optional<Provider>> engines = engine -> providers.apply(engine);
        Pacing pacing = new Pacing(options, clock);
        this.logEnds = new LogEnds(clock);
        this.deadlines = new Deadlines(options, clock, timers, threads);
        this.groups = new ConcurrencyGroups(queues, clock);
        this.cancellation = new Cancellation(store, active, engines, deadlines, threads, groups, clock);
        Dispatcher dispatcher = new Dispatcher(engines, active, deadlines, cancellation, threads, options, groups, clock, meters);
        RunHandle.Wiring wiring = new RunHandle.Wiring(store, pacing, clock, deadlines.timeoutMessage(),
                () -> {
                    publisher.poke();
                    notices.statusStored();
                },
                h -> {
                    deadlines.clear(h.id());
                    active.remove(h);
                    // Its group entry left with its end (same transaction): the next may start.
                    groups.changed();
                }, () -> notices, (id, writer) -> {
                    // The writes other instances parked for this run go in before its log closes.
                    LogInbox parked = inbox;
                    if (parked != null) parked.apply(id, writer);
                }, logEnds);
        this.loader = new RunLoader(logs, options, wiring);
        this.lookup = new RunLookup(store, statuses, active, loader);
        this.intake = new RunIntake(registry, store, pacing, publisher, loader, dispatcher, meters);
        this.recovery = new RunRecovery(store, statuses, loader, dispatcher, cancellation);
        for (RunState s : RunState.values()) {
            Gauge.builder("weft.runs", store, st -> st.countByState().getOrDefault(s, 0L))
                    .tag("status", s.wireName()).description("runs by current status").register(meters);
        }
        logs.backfill(new LogBackfill(lookup, engines)::fetch);
        // Runs a newer run superseded on another instance (or before a restart) are cancelled here
        // within a poll; one superseded here is cancelled at once by the joining dispatcher.
        long every = ConcurrencyGroups.POLL.toMillis();
        this.supersede = timers.scheduleWithFixedDelay(() -> {
            try {
                cancellation.supersede();
            } catch (RuntimeException e) {
                log.warn("cancelling superseded runs of concurrency groups failed (retried in {}): {}",
                        ConcurrencyGroups.POLL, e.toString());
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /** Binds the engines; called once before {@link #recover()} and before triggers flow. */
    public void providers(Function<String, Optional<Provider>> providers) {
        this.providers = providers;
    }

    /** Binds notifications (advice in failed runs' logs, wake-ups); {@link RunNotices#NONE} until called. */
    public void notices(RunNotices notices) {
        this.notices = notices;
    }

    /** A per-run filter for data lines (secret masking); identity by default. */
    public void logFilters(Function<Long, UnaryOperator<String>> filters) {
        loader.logFilters(filters);
    }

    /**
     * Where a run's repository secrets come from (read when the run is loaded). Every value is
     * masked in the run's log lines, step names, commands and status errors, before any other
     * {@link #logFilters} filter; a run whose repository has secrets is only dispatched to a provider
     * whose {@link Provider#secretSupport()} is {@link SecretSupport#SECURE}.
     */
    public void secrets(SecretSource source) {
        loader.secrets(source);
    }

    /**
     * Variables weft adds to every run beside the Tangled ones (the callback URL and token),
     * computed from the run id whenever a run is loaded; they win over Tangled ones of the same
     * name. The values of the variables named in {@code credentials} are masked in the run's log,
     * step names, commands and status errors like repository secrets.
     */
    public void addedVariables(LongFunction<Map<String, String>> variables, Set<String> credentials) {
        loader.addedVariables(variables, credentials);
    }

    /**
     * The log of a run as the job itself writes it through its callback URL: user steps of its
     * own, numbered with the provider's and hidden from it, masked like every line. Empty when no
     * such run exists; writing after the run ended throws {@link IllegalStateException}.
     */
    public Optional<RunLog> callbackLog(long runId) {
        return lookup.byId(runId).map(RunHandle::callbackLog);
    }

    /** A repository's secrets, name to value; throws when they cannot be read (the run then fails). */
    @FunctionalInterface
    public interface SecretSource {
        Map<String, String> secretsFor(RepoKey repo) throws Exception;
    }

    @Override
    public Outcome accept(Trigger trigger) {
        return intake.accept(trigger);
    }

    @Override
    public java.util.concurrent.CompletableFuture<Accepted> acceptLater(Trigger trigger) {
        return intake.acceptLater(trigger);
    }

    /**
     * Picks up every run left unfinished by the previous process: runs never handed to a provider
     * are dispatched now; the others are offered to their provider's {@code resume}.
     */
    public void recover() {
        recovery.recover();
    }

    /**
     * Picks up runs another instance drove until it died (this instance adopted them in the
     * store), like {@link #recover()}: each is resumed through its provider, or spawned when the
     * dead instance never handed it over. Ids no longer open are skipped.
     */
    public void adopt(List<Long> runIds) {
        List<dev.weft.store.RunRecord> adopted = runIds.stream().map(store::run).flatMap(Optional::stream).toList();
        // One that ended meanwhile (a webhook on another instance, which left the log to its
        // owner, now this instance) has its log completed here in the next round.
        adopted.stream().filter(r -> r.state().isTerminal() && !r.logComplete()).forEach(r -> logEnds.watch(r.id()));
        recovery.recover(adopted.stream().filter(r -> !r.state().isTerminal()).toList());
    }

    /**
     * Ends the in-memory handles of runs another instance ended in the store (a webhook applied
     * on an instance that does not drive the run): one read of the open runs. Each such handle
     * completes its run's log. Then completes the logs this instance left to another that died
     * before completing them (and retries those it failed to complete), and those of ended runs
     * whose owner is gone and that no live instance remembers ({@link #ORPHANED_LOGS_PER_ROUND}
     * a round; the rest in the next rounds).
     */
    public void catchUp() {
        java.util.Set<Long> open = new java.util.HashSet<>();
        for (dev.weft.store.RunRecord r : store.openRuns()) open.add(r.id());
        for (RunHandle h : active.all()) {
            if (open.contains(h.id())) continue;
            store.run(h.id()).ifPresent(h::catchUp);
        }
        if (!logEnds.shared()) return;
        for (long id : logEnds.waiting()) {
            Optional<dev.weft.store.RunRecord> r = store.run(id);
            if (r.isEmpty() || r.get().logComplete()) logEnds.done(id);
            else completeEndedLog(id);
        }
        // The driver and the instance that stored the end both died before the log was complete
        // (with ops parked, the inbox sweep finds the run too): every instance looks, one takes.
        for (long id : logEnds.orphaned(ORPHANED_LOGS_PER_ROUND)) completeEndedLog(id);
    }

    /**
     * Completes the log of ended run {@code runId} here when it falls to this instance (its owner
     * is this instance without a handle for it, absent, or dead: {@link LogEnds}), writing the
     * ops parked for it first, then the end-of-run system steps from the stored end. A run whose
     * handle is still in memory here is left to it. Returns whether it completed the log.
     */
    private boolean completeEndedLog(long runId) {
        if (active.get(runId).isPresent()) return false;
        return logEnds.completeIfMine(runId, () -> {
            dev.weft.store.RunRecord r = store.run(runId).orElseThrow();
            RunHandle h = loader.load(r, store.trigger(r.workflow().pipeline()).orElseThrow(), 0);
            log.info("{}: completing the log of the run, ended as {} (its owner did not)", h, r.state().wireName());
            h.completeEnded(r);
        });
    }

    /** The result of a cancel request. */
    public enum CancelOutcome { NOT_FOUND, ALREADY_TERMINAL, REQUESTED }

    /** Cancels a workflow run on behalf of the appview or operator. */
    public CancelOutcome cancel(WorkflowId workflow, CancelReason reason) {
        return cancellation.cancel(workflow, reason);
    }

    /**
     * Cancels a workflow only if this instance drives it: empty when the run is open but another
     * instance drives it (whose own look at the stored cancel requests carries it out).
     */
    public Optional<CancelOutcome> cancelIfDrivenHere(WorkflowId workflow, CancelReason reason) {
        return cancellation.cancelHere(workflow, reason);
    }

    /**
     * Several instances share the store: a provider's log writes for a run another instance drives
     * (its webhook landed here) are parked in {@code inbox} for that instance, and
     * {@link #applyParkedLogs} writes those other instances parked for the runs driven here. The
     * log of a run that ends here but is driven by another live instance ({@code holder} is this
     * process life's, as in {@code leases}) is left to that instance, which completes it, or to
     * whichever instance takes it when that one dies first ({@link LogEnds}).
     * Called once, before providers are bound.
     */
    public void parkLogsOfOtherInstances(LogInbox inbox, dev.weft.store.LeaseStore leases, String holder) {
        logEnds.share(leases, holder);
        this.inbox = inbox;
        loader.parkLogs(inbox);
    }

    /**
     * Writes the log ops other instances parked for runs this instance drives, through their
     * writers, and drops those of runs whose log closed first; called periodically by the daemon
     * (never concurrently with itself), only when {@link #parkLogsOfOtherInstances} was.
     */
    public void applyParkedLogs() {
        LogInbox parked = inbox;
        if (parked == null) return;
        parked.sweep(id -> active.get(id).filter(h -> !h.state().isTerminal()).map(RunHandle::writer), this::completeEndedLog);
    }

    /** Whether this instance drives the run now (holds its handle, not terminal). */
    public boolean drives(long runId) {
        return active.get(runId).filter(h -> !h.state().isTerminal()).isPresent();
    }

    public Optional<Run> byId(long id) {
        return lookup.byId(id).map(Run.class::cast);
    }

    public Optional<Run> byExternalId(String engine, String externalId) {
        return lookup.byExternalId(engine, externalId).map(Run.class::cast);
    }

    public List<Run> active(String engine) {
        return active.ofEngine(engine);
    }

    /** Runs currently held in memory (not terminal). */
    public int activeCount() {
        return active.size();
    }

    /**
     * Stops the runtime: drops every timer, then interrupts every run thread and waits for them to
     * end, at most {@link RunOptions#stopWait()} in all; a thread still running then is logged and
     * left behind. Runs whose thread was interrupted stay open in the store for the next start.
     */
    @Override
    public void close() {
        supersede.cancel(false);
        deadlines.close();
        threads.close(options.stopWait());
    }
}
