package dev.weft.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.weft.spi.GoDuration;
import dev.weft.discovery.RepoRegistry;
import dev.weft.knot.TriggerSink;
import dev.weft.logs.LogHub;
import dev.weft.logs.RunLogWriter;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.secrets.SecretMask;
import dev.weft.spi.CancelReason;
import dev.weft.spi.LogFetch;
import dev.weft.spi.Provider;
import dev.weft.spi.RetriableProviderException;
import dev.weft.spi.Run;
import dev.weft.spi.SecretSupport;
import dev.weft.spi.WorkflowSpecException;
import dev.weft.status.StatusPublisher;
import dev.weft.store.RunRecord;
import dev.weft.model.Nanos;
import dev.weft.store.RunStore;
import dev.weft.store.StatusStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The lifecycle of every run. Accepting a trigger writes its intent (trigger + one pending run per
 * workflow, pending queued for publication) in one transaction, then dispatches each run to its
 * engine's provider on a virtual thread of its own. A trigger seen before is a no-op, which is
 * what makes knot replays and reconnects harmless.
 *
 * <p>Every run reaches a terminal status: provider exceptions fail it, the workflow timeout cancels
 * it, a provider that does not confirm a cancel is overruled after a grace period, and on start-up
 * each unfinished run is resumed or failed.
 */
public final class RunManager implements TriggerSink, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RunManager.class);
    private static final YAMLMapper YAML = new YAMLMapper();
    /** Attribute marking that spawn was called, so recovery resumes rather than spawns again. */
    static final String SPAWNED = "weft.spawned";

    private final RunStore store;
    private final StatusStore statuses;
    private final LogHub logs;
    private final StatusPublisher publisher;
    private final RepoRegistry registry;
    private final RunOptions options;
    private final Clock clock;
    private final ScheduledExecutorService timers;
    private final ConcurrentHashMap<Long, RunHandle> active = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<Long, ScheduledFuture<?>> timeouts = new ConcurrentHashMap<>();
    private volatile Function<String, Optional<Provider>> providers = e -> Optional.empty();
    private volatile Function<Long, UnaryOperator<String>> logFilters = id -> UnaryOperator.identity();
    private volatile SecretSource secretSource = repo -> Map.of();
    private final Counter accepted;
    private final Counter duplicates;
    private final Counter unregistered;
    private final MeterRegistry meters;

    public RunManager(RunStore store, StatusStore statuses, LogHub logs, StatusPublisher publisher, RepoRegistry registry, RunOptions options,
                      Clock clock, ScheduledExecutorService timers, MeterRegistry meters) {
        this.store = store;
        this.statuses = statuses;
        this.logs = logs;
        this.publisher = publisher;
        this.registry = registry;
        this.options = options;
        this.clock = clock;
        this.timers = timers;
        this.meters = meters;
        this.accepted = Counter.builder("weft.triggers").tag("outcome", "accepted").register(meters);
        this.duplicates = Counter.builder("weft.triggers").tag("outcome", "duplicate").register(meters);
        this.unregistered = Counter.builder("weft.triggers").tag("outcome", "unregistered").register(meters);
        for (RunState s : RunState.values()) {
            Gauge.builder("weft.runs", store, st -> st.countByState().getOrDefault(s, 0L))
                    .tag("status", s.wireName()).description("runs by current status").register(meters);
        }
        logs.backfill(this::fetchLogs);
    }

    /** Binds the engines; called once before {@link #recover()} and before triggers flow. */
    public void providers(Function<String, Optional<Provider>> providers) {
        this.providers = providers;
    }

    /** A per-run filter for data lines (secret masking); identity by default. */
    public void logFilters(Function<Long, UnaryOperator<String>> filters) {
        this.logFilters = filters;
    }

    /**
     * Where a run's repository secrets come from (read when the run is loaded). Every value is
     * masked in the run's log lines, step names, commands and status errors, before any other
     * {@link #logFilters} filter; a run whose repository has secrets is only dispatched to a provider
     * whose {@link Provider#secretSupport()} is {@link SecretSupport#SECURE}.
     */
    public void secrets(SecretSource source) {
        this.secretSource = source;
    }

    /** A repository's secrets, name to value; throws when they cannot be read (the run then fails). */
    @FunctionalInterface
    public interface SecretSource {
        Map<String, String> secretsFor(RepoKey repo) throws Exception;
    }

    RunStore store() {
        return store;
    }

    long nowNanos() {
        return Nanos.of(clock.instant());
    }

    // ------------------------------------------------------------------ intake

    @Override
    public Outcome accept(Trigger trigger) {
        if (!registry.isRegistered(trigger.repo().key())) {
            unregistered.increment();
            log.debug("trigger {} dropped: repository {} is not registered to this spindle",
                    trigger.pipeline(), trigger.repo().key());
            return Outcome.UNREGISTERED;
        }
        long pendingAt = Nanos.of(trigger.receivedAt().plus(options.firstStatusDelay()));
        Optional<List<RunRecord>> runs = store.insertTrigger(trigger, pendingAt);
        if (runs.isEmpty()) {
            duplicates.increment();
            log.info("trigger {} already seen: not spawned again", trigger.pipeline());
            return Outcome.DUPLICATE;
        }
        accepted.increment();
        log.info("trigger accepted: {} {} for {} with {} workflow(s)", trigger.kind().wireName(), trigger.pipeline(),
                trigger.repo().key(), runs.get().size());
        publisher.poke();
        for (RunRecord r : runs.get()) {
            RunHandle h = load(r, trigger, pendingAt);
            scheduleTimeout(h);
            Thread.ofVirtual().name("weft-run-" + r.id()).start(() -> drive(h, false));
        }
        return Outcome.ACCEPTED;
    }

    /**
     * Picks up every run left unfinished by the previous process: runs never handed to a provider
     * are dispatched now; the others are offered to their provider's {@code resume}.
     */
    public void recover() {
        List<RunRecord> open = store.openRuns();
        if (!open.isEmpty()) log.info("recovering {} unfinished run(s)", open.size());
        Map<String, Trigger> triggers = new ConcurrentHashMap<>();
        for (RunRecord r : open) {
            try {
                Trigger t = triggers.computeIfAbsent(r.workflow().pipeline().toString(),
                        k -> store.trigger(r.workflow().pipeline()).orElseThrow());
                RunHandle h = load(r, t, statuses.lastScheduled(r.id()));
                boolean spawned = store.attribute(r.id(), SPAWNED).isPresent();
                scheduleTimeout(h);
                Thread.ofVirtual().name("weft-run-" + r.id()).start(() -> drive(h, spawned));
                if (h.cancelRequested()) {
                    Thread.ofVirtual().start(() -> askProviderToCancel(h, h.cancelReason().orElseThrow()));
                }
            } catch (RuntimeException e) {
                log.error("cannot recover run {} ({}): {}", r.id(), r.workflow(), e.toString());
            }
        }
    }

    private RunHandle load(RunRecord r, Trigger t, long lastScheduled) {
        RunHandle h = newHandle(r, t, lastScheduled);
        active.put(r.id(), h);
        return h;
    }

    /** A handle for a stored run: its workflow, parsed spec, variables, secrets and log writer. */
    private RunHandle newHandle(RunRecord r, Trigger t, long lastScheduled) {
        Workflow wf = t.workflows().stream().filter(w -> w.name().equals(r.workflow().name())).findFirst()
                .orElseThrow(() -> new IllegalStateException("workflow " + r.workflow() + " not in its trigger"));
        JsonNode spec;
        try {
            spec = Optional.ofNullable(YAML.readTree(wf.raw())).orElse(MissingNode.getInstance());
        } catch (Exception e) {
            spec = MissingNode.getInstance();
        }
        RunHandle.Secrets secrets = secretsOf(t);
        RunLogWriter writer = logs.writer(r.id(), filter(r.id(), secrets));
        return new RunHandle(this, r, t, wf, spec, TangledVariables.of(t, options.dev()), writer, lastScheduled,
                secrets);
    }

    private RunHandle.Secrets secretsOf(Trigger t) {
        try {
            Map<String, String> values = secretSource.secretsFor(t.repo().key());
            if (values == null || values.isEmpty()) return RunHandle.Secrets.NONE;
            return new RunHandle.Secrets(Map.copyOf(values), SecretMask.of(values.values()), null);
        } catch (Exception e) {
            log.error("cannot read the secrets of {}: {}", t.repo().key(), e.getMessage());
            return new RunHandle.Secrets(Map.of(), SecretMask.none(),
                    "cannot read the repository's secrets: " + e.getMessage());
        }
    }

    /** The run's data-line filter: its secret mask first, then any {@link #logFilters} filter. */
    private UnaryOperator<String> filter(long runId, RunHandle.Secrets secrets) {
        UnaryOperator<String> extra = logFilters.apply(runId);
        SecretMask mask = secrets.mask();
        return mask.isEmpty() ? extra : text -> extra.apply(mask.apply(text));
    }

    // ------------------------------------------------------------------ dispatch

    private void drive(RunHandle h, boolean resume) {
        try {
            // The spec is missing only when the YAML did not parse (or was empty): ask the parser why.
            String yamlError = h.spec().isMissingNode() ? yamlError(h.workflow()) : null;
            if (yamlError != null) {
                fail(h, "invalid workflow YAML in " + h.workflow().name() + ": " + yamlError);
                return;
            }
            Optional<Provider> provider = providers.apply(h.engine());
            if (provider.isEmpty()) {
                fail(h, "unknown engine " + GoQuote.quote(h.engine()));
                return;
            }
            if (h.secretsError() != null) {
                fail(h, h.secretsError());
                return;
            }
            if (!resume && !h.secrets().isEmpty() && provider.get().secretSupport() != SecretSupport.SECURE) {
                fail(h, "repository " + h.trigger().repo().did() + "/" + h.trigger().repo().name() + " has "
                        + h.secrets().size() + " secret(s) and engine " + GoQuote.quote(h.engine())
                        + " cannot keep secrets; the workflow was not started (configure the engine's secret "
                        + "delivery, or remove the repository's secrets)");
                return;
            }
            Duration backoff = options.retryMin();
            while (!h.state().isTerminal()) {
                try {
                    if (resume) {
                        if (!provider.get().resume(h)) {
                            fail(h, "weft restarted during the run and engine " + GoQuote.quote(h.engine())
                                    + " cannot continue it");
                        }
                    } else {
                        h.attribute(SPAWNED, "true");
                        provider.get().spawn(h);
                    }
                    return;
                } catch (RetriableProviderException e) {
                    Duration wait = e.retryAfter().orElse(backoff);
                    log.warn("{}: {} (retrying in {})", h, e.getMessage(), wait);
                    if (h.awaitCancel(wait)) {
                        h.offer(new Status.Cancelled("cancelled while waiting to retry: " + e.getMessage()));
                        return;
                    }
                    backoff = min(backoff.multipliedBy(2), options.retryMax());
                } catch (WorkflowSpecException e) {
                    fail(h, e.getMessage());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception | LinkageError e) {
            String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            log.warn("{} failed in provider: {}", h, e.toString());
            fail(h, msg);
        }
    }

    private static String yamlError(Workflow w) {
        try {
            YAML.readTree(w.raw());
            return null;
        } catch (Exception e) {
            String m = e.getMessage();
            return m == null ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
        }
    }

    private void fail(RunHandle h, String message) {
        if (h.state().isTerminal()) return;
        if (!h.offer(new Status.Failed(message, -1))) {
            log.warn("{} could not be failed from {}: {}", h, h.state(), message);
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    // ------------------------------------------------------------------ status bookkeeping

    /** When a run's next status may be published: pacing rules of spec section 4. */
    long notBefore(RunHandle h, long lastScheduled) {
        long now = nowNanos();
        long first = Nanos.of(h.createdAt().plus(options.firstStatusDelay()));
        long gap = lastScheduled == 0 ? 0 : lastScheduled + options.statusGap().toNanos();
        return Math.max(now, Math.max(first, gap));
    }

    String timeoutMessage() {
        return "workflow timed out after " + GoDuration.format(options.workflowTimeout());
    }

    void transitioned(RunHandle h, Status s) {
        publisher.poke();
        log.info("{} -> {}{}", h, s.state().wireName(), s.error().map(m -> ": " + m).orElse(""));
    }

    void terminated(RunHandle h, Status s) {
        ScheduledFuture<?> t = timeouts.remove(h.id());
        if (t != null) t.cancel(false);
        RunLogWriter w = h.writer();
        if (!w.hasSteps() && s.error().isPresent()) {
            // A run that failed before any step still shows why, as a visible system step.
            w.systemMessage("weft", s.error().get());
        }
        w.complete(clock.instant());
        active.remove(h.id());
    }

    private void scheduleTimeout(RunHandle h) {
        Instant deadline = h.createdAt().plus(options.workflowTimeout());
        long delay = Math.max(0, Duration.between(clock.instant(), deadline).toMillis());
        timeouts.put(h.id(), timers.schedule(() -> {
            Thread.ofVirtual().start(() -> cancel(h, CancelReason.TIMEOUT));
        }, delay, TimeUnit.MILLISECONDS));
    }

    // ------------------------------------------------------------------ cancel

    /** The result of a cancel request. */
    public enum CancelOutcome { NOT_FOUND, ALREADY_TERMINAL, REQUESTED }

    /** Cancels a workflow run on behalf of the appview or operator. */
    public CancelOutcome cancel(WorkflowId workflow, CancelReason reason) {
        Optional<RunRecord> r = store.run(workflow);
        if (r.isEmpty()) return CancelOutcome.NOT_FOUND;
        RunHandle h = active.get(r.get().id());
        if (h == null || h.state().isTerminal()) return CancelOutcome.ALREADY_TERMINAL;
        cancel(h, reason);
        return CancelOutcome.REQUESTED;
    }

    private void cancel(RunHandle h, CancelReason reason) {
        if (!h.requestCancel(reason)) return;
        log.info("{}: cancel requested ({})", h, reason == CancelReason.TIMEOUT ? timeoutMessage() : "by request");
        askProviderToCancel(h, reason);
    }

    private void askProviderToCancel(RunHandle h, CancelReason reason) {
        providers.apply(h.engine()).ifPresent(p -> {
            try {
                p.cancel(h, reason);
            } catch (Exception e) {
                log.warn("{}: provider cancel failed: {}", h, e.toString());
            }
        });
        timers.schedule(() -> {
            if (!h.state().isTerminal()) {
                String why = "the provider did not confirm cancellation within " + GoDuration.format(options.cancelGrace());
                log.warn("{}: {}; ending it", h, why);
                h.offer(new Status.Cancelled(why));
            }
        }, options.cancelGrace().toMillis(), TimeUnit.MILLISECONDS);
    }

    // ------------------------------------------------------------------ lookups for providers

    public Optional<Run> byId(long id) {
        RunHandle h = active.get(id);
        if (h != null) return Optional.of(h);
        return store.run(id).map(this::loadInactive);
    }

    public Optional<Run> byExternalId(String engine, String externalId) {
        for (RunHandle h : active.values()) {
            if (h.engine().equals(engine) && externalId.equals(h.externalId().orElse(null))) return Optional.of(h);
        }
        return store.runByExternalId(engine, externalId).map(this::loadInactive);
    }

    public List<Run> active(String engine) {
        List<Run> out = new ArrayList<>();
        for (RunHandle h : active.values()) if (h.engine().equals(engine)) out.add(h);
        return out;
    }

    private Run loadInactive(RunRecord r) {
        RunHandle h = active.get(r.id());
        if (h != null) return h;
        return newHandle(r, store.trigger(r.workflow().pipeline()).orElseThrow(), statuses.lastScheduled(r.id()));
    }

    private LogFetch fetchLogs(long runId) {
        Optional<Run> run = byId(runId);
        if (run.isEmpty()) return LogFetch.NOT_FOUND;
        RunHandle h = (RunHandle) run.get();
        return providers.apply(h.engine()).map(p -> {
            try {
                return p.fetchLogs(h);
            } catch (RuntimeException e) {
                log.warn("{}: fetching logs failed: {}", h, e.toString());
                return LogFetch.BACKEND_FAILURE;
            }
        }).orElse(LogFetch.NOT_FOUND);
    }

    /** Runs currently held in memory (not terminal). */
    public int activeCount() {
        return active.size();
    }

    @Override
    public void close() {
        for (ScheduledFuture<?> f : timeouts.values()) f.cancel(false);
        timeouts.clear();
    }
}
