package dev.weft.runs;

import dev.weft.discovery.RepoRegistry;
import dev.weft.knot.TriggerSink;
import dev.weft.logs.LogHub;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.model.RunState;
import dev.weft.model.Trigger;
import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;
import dev.weft.spi.Provider;
import dev.weft.spi.Run;
import dev.weft.spi.SecretSupport;
import dev.weft.status.StatusPublisher;
import dev.weft.store.RunStore;
import dev.weft.store.StatusStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The run runtime's front door: it assembles the parts and is what the daemon, the knot consumers
 * and the providers hold. Each part has one job:
 * {@link RunIntake} writes a trigger's intent and hands its runs on; {@link RunRecovery} picks up
 * the previous process's unfinished runs; {@link Dispatcher} drives {@code spawn}/{@code resume}
 * with retries on a run thread; {@link Deadlines} holds the workflow timeout and the cancel grace;
 * {@link Cancellation} carries cancels to providers; {@link Pacing} decides when a status may be
 * published; {@link ActiveRuns} indexes the runs in memory and {@link RunLookup} finds any run;
 * {@link RunThreads} owns every thread the runtime starts.
 *
 * <p>Every run reaches a terminal status: provider exceptions fail it, the workflow timeout cancels
 * it, a provider that does not confirm a cancel is overruled after a grace period, and on start-up
 * each unfinished run is resumed or failed. {@link #close()} interrupts every run thread and waits
 * for them, bounded by {@link RunOptions#stopWait()}; runs it interrupts stay open for the next start.
 */
public final class RunManager implements TriggerSink, AutoCloseable {
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

    public RunManager(RunStore store, StatusStore statuses, LogHub logs, StatusPublisher publisher, RepoRegistry registry, RunOptions options,
                      Clock clock, ScheduledExecutorService timers, MeterRegistry meters) {
        this.options = options;
        this.store = store;
        Function<String, Optional<Provider>> engines = engine -> providers.apply(engine);
        Pacing pacing = new Pacing(options, clock);
        this.deadlines = new Deadlines(options, clock, timers, threads);
        this.cancellation = new Cancellation(store, active, engines, deadlines, threads);
        Dispatcher dispatcher = new Dispatcher(engines, active, deadlines, cancellation, threads, options, clock, meters);
        RunHandle.Wiring wiring = new RunHandle.Wiring(store, pacing, clock, deadlines.timeoutMessage(),
                () -> {
                    publisher.poke();
                    notices.statusStored();
                },
                h -> {
                    deadlines.clear(h.id());
                    active.remove(h);
                }, () -> notices);
        this.loader = new RunLoader(logs, options, wiring);
        this.lookup = new RunLookup(store, statuses, active, loader);
        this.intake = new RunIntake(registry, store, pacing, publisher, loader, dispatcher, meters);
        this.recovery = new RunRecovery(store, statuses, loader, dispatcher, cancellation);
        for (RunState s : RunState.values()) {
            Gauge.builder("weft.runs", store, st -> st.countByState().getOrDefault(s, 0L))
                    .tag("status", s.wireName()).description("runs by current status").register(meters);
        }
        logs.backfill(new LogBackfill(lookup, engines)::fetch);
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

    /** A repository's secrets, name to value; throws when they cannot be read (the run then fails). */
    @FunctionalInterface
    public interface SecretSource {
        Map<String, String> secretsFor(RepoKey repo) throws Exception;
    }

    @Override
    public Outcome accept(Trigger trigger) {
        return intake.accept(trigger);
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
        recovery.recover(runIds.stream().map(store::run).flatMap(Optional::stream)
                .filter(r -> !r.state().isTerminal()).toList());
    }

    /**
     * Ends the in-memory handles of runs another instance ended in the store (a webhook applied
     * on an instance that does not drive the run): one read of the open runs.
     */
    public void catchUp() {
        java.util.Set<Long> open = new java.util.HashSet<>();
        for (dev.weft.store.RunRecord r : store.openRuns()) open.add(r.id());
        for (RunHandle h : active.all()) {
            if (open.contains(h.id())) continue;
            store.run(h.id()).ifPresent(h::catchUp);
        }
    }

    /** The result of a cancel request. */
    public enum CancelOutcome { NOT_FOUND, ALREADY_TERMINAL, REQUESTED }

    /** Cancels a workflow run on behalf of the appview or operator. */
    public CancelOutcome cancel(WorkflowId workflow, CancelReason reason) {
        return cancellation.cancel(workflow, reason);
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
        deadlines.close();
        threads.close(options.stopWait());
    }
}
