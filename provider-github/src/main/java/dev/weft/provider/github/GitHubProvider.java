package dev.weft.provider.github;

import dev.weft.spi.GoDuration;
import dev.weft.model.RunState;
import dev.weft.model.TriggerKind;
import dev.weft.provider.github.rest.ApiResponse;
import dev.weft.provider.github.rest.GitHubRest;
import dev.weft.provider.github.rest.JobLogFetcher;
import dev.weft.provider.github.rest.WorkflowRun;
import dev.weft.provider.github.webhook.WebhookHint;
import dev.weft.spi.CancelReason;
import dev.weft.spi.LogFetch;
import dev.weft.spi.Provider;
import dev.weft.spi.RetriableProviderException;
import dev.weft.spi.Run;
import dev.weft.spi.RunDirectory;
import dev.weft.spi.SecretSupport;
import dev.weft.spi.WorkflowSpecException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Runs Tangled workflows as GitHub Actions {@code workflow_dispatch} runs. {@code spawn} blocks on
 * the run's virtual thread: wait for the commit on the mirror, set the repository's secrets as the
 * mirror's Actions secrets ({@link SecretSync}), dispatch once, find the run, then a
 * {@link RunTracker} carries it to its end. Webhooks only wake trackers (and correlations in
 * progress); polling is the backstop.
 */
final class GitHubProvider implements Provider {
    private static final Logger log = LoggerFactory.getLogger(GitHubProvider.class);
    /** When the dispatch was sent (ISO instant); empty once a lost dispatch was looked for in vain. */
    static final String DISPATCHED_AT = "dispatched_at";

    /** The GitHub side, present when credentials are configured. */
    record Backend(GitHubRest rest, JobLogFetcher logs, OkHttpClient http) {
    }

    /** Present with the backend: the mirror's Actions secrets are the one way secrets reach GitHub. */
    private final Optional<SecretSync> secrets;

    private final GitHubSettings settings;
    private final Optional<Backend> backend;
    private final RunDirectory runs;
    private final ScheduledExecutorService scheduler;
    private final Clock wallClock;
    private final Waits waits;
    private final MeterRegistry meters;
    private final Map<Long, RunTracker> trackers = new ConcurrentHashMap<>();
    private final Set<Signal> correlating = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    GitHubProvider(GitHubSettings settings, Optional<Backend> backend, RunDirectory runs,
                   ScheduledExecutorService scheduler, Clock wallClock, Waits waits, MeterRegistry meters) {
        this.settings = settings;
        this.meters = meters;
        this.backend = backend;
        this.runs = runs;
        this.scheduler = scheduler;
        this.wallClock = wallClock;
        this.waits = waits;
        this.secrets = backend.map(b -> new SecretSync(b.rest(), runs));
    }

    /**
     * {@code SECURE} when credentials are configured: secrets are sealed with the mirror's public key
     * and stored as its Actions secrets before the dispatch, never sent as inputs. Without
     * credentials nothing reaches GitHub, so runs whose repository has secrets are refused.
     */
    @Override
    public SecretSupport secretSupport() {
        return secrets.isPresent() ? SecretSupport.SECURE : SecretSupport.NONE;
    }

    @Override
    public void spawn(Run run) throws Exception {
        Backend b = backend();
        WorkflowBlock block = WorkflowBlock.parse(run.block());
        Optional<Long> attached = ghRunId(run);
        if (attached.isPresent()) {
            track(run, b, block, attached.get());
            return;
        }
        Optional<Instant> sent = dispatchedAt(run);
        if (sent.isPresent()) {
            Optional<WorkflowRun> found = correlate(run, b, block, sent.get());
            if (found.isPresent()) {
                attachAndTrack(run, b, block, found.get().id(), found.get().htmlUrl());
                return;
            }
            run.attribute(DISPATCHED_AT, "");
        }
        String ref = DispatchPlan.refFor(run.trigger(), block).orElse(null);
        if (ref == null) ref = defaultBranch(b, block);
        Map<String, String> inputs = DispatchPlan.inputsFor(run.id(), run.trigger(), block, run.variables());
        String sha = run.trigger().sha();
        if (!sha.isEmpty()) {
            var outcome = new CommitWaiter(b.rest(), waits).await(run, block.owner(), block.repo(), sha,
                    settings.commitWait());
            if (outcome == CommitWaiter.Outcome.CANCELLED) {
                cancelledBeforeDispatch(run);
                return;
            }
        }
        if (closed) return;
        if (run.cancelRequested()) {
            cancelledBeforeDispatch(run);
            return;
        }
        secrets.orElseThrow().sync(run, block);
        if (closed) return;
        if (run.cancelRequested()) {
            cancelledBeforeDispatch(run);
            return;
        }
        Instant at = wallClock.instant();
        run.attribute(DISPATCHED_AT, at.toString());
        Dispatcher.Outcome outcome;
        try {
            outcome = new Dispatcher(b.rest()).dispatch(block.owner(), block.repo(), block.workflow(), ref, inputs);
        } catch (RetriableProviderException e) {
            // Rate-limited before GitHub processed it: nothing was created, nothing to look for.
            run.attribute(DISPATCHED_AT, "");
            count("weft.github.dispatches", "outcome", "rate_limited");
            throw e;
        } catch (Dispatcher.DispatchRefusedException e) {
            count("weft.github.dispatches", "outcome", "refused");
            throw e;
        }
        count("weft.github.dispatches", "outcome", switch (outcome) {
            case Dispatcher.Outcome.Created c -> "created";
            case Dispatcher.Outcome.Accepted a -> "accepted";
            case Dispatcher.Outcome.Unknown u -> "unknown";
        });
        // A provider closed meanwhile must not report: the next start resumes the run.
        if (closed) return;
        switch (outcome) {
            case Dispatcher.Outcome.Created c -> attachAndTrack(run, b, block, c.runId(), c.htmlUrl());
            case Dispatcher.Outcome.Accepted a -> {
                Optional<WorkflowRun> maybe = correlate(run, b, block, at);
                if (closed) return;
                WorkflowRun found = maybe.orElseThrow(() -> new Exception(
                        "GitHub accepted the dispatch of " + block.workflow() + " on " + block.fullName()
                                + " without naming the run, and no run whose title contains " + run.id()
                                + " appeared within " + GoDuration.format(settings.correlateTimeout())
                                + ": add the line \"run-name: CI [${{ inputs.weft_run_id }}]\" to the GitHub workflow"));
                attachAndTrack(run, b, block, found.id(), found.htmlUrl());
            }
            case Dispatcher.Outcome.Unknown u -> {
                log.warn("run {}: dispatch to {} had no clear answer ({}); looking for the run first",
                        run.id(), block.fullName(), u.why());
                Optional<WorkflowRun> found = correlate(run, b, block, at);
                if (closed) return;
                if (found.isEmpty()) {
                    run.attribute(DISPATCHED_AT, "");
                    throw new RetriableProviderException("dispatch of " + block.workflow() + " on "
                            + block.fullName() + " failed (" + u.why() + ") and no run appeared");
                }
                attachAndTrack(run, b, block, found.get().id(), found.get().htmlUrl());
            }
        }
    }

    @Override
    public boolean resume(Run run) throws Exception {
        Backend b = backend();
        WorkflowBlock block = WorkflowBlock.parse(run.block());
        Optional<Long> attached = ghRunId(run);
        if (attached.isPresent()) {
            track(run, b, block, attached.get());
            return true;
        }
        Optional<Instant> sent = dispatchedAt(run);
        if (sent.isEmpty()) {
            spawn(run);
            return true;
        }
        // weft stopped between sending the dispatch and learning the run: find it, never send again.
        Optional<WorkflowRun> maybe = correlate(run, b, block, sent.get());
        if (closed) return true;
        WorkflowRun found = maybe.orElseThrow(() -> new Exception(
                "weft restarted while dispatching " + block.workflow() + " on " + block.fullName()
                        + ", and no run whose title contains " + run.id() + " was found; not dispatching again"));
        attachAndTrack(run, b, block, found.id(), found.htmlUrl());
        return true;
    }

    @Override
    public void cancel(Run run, CancelReason reason) {
        RunTracker t = trackers.get(run.id());
        if (t != null) t.requestCancel();
        // Otherwise the run's own thread sees cancelRequested(): before the dispatch it ends the run;
        // while finding the run it cancels it as soon as it is found.
    }

    @Override
    public LogFetch fetchLogs(Run run) {
        if (trackers.containsKey(run.id())) return LogFetch.COMPLETE;
        Optional<Long> id = ghRunId(run);
        if (backend.isEmpty() || id.isEmpty()) return LogFetch.NOT_FOUND;
        WorkflowBlock block;
        try {
            block = WorkflowBlock.parse(run.block());
        } catch (WorkflowSpecException e) {
            return LogFetch.NOT_FOUND;
        }
        Backend b = backend.get();
        try {
            ApiResponse r = b.rest().get(b.rest().repo(block.owner(), block.repo(), "actions", "runs",
                    Long.toString(id.get())).build());
            if (r.code() == 404 || r.code() == 410) return LogFetch.NOT_FOUND;
            if (!r.ok()) return LogFetch.BACKEND_FAILURE;
            if (!r.as(WorkflowRun.class).completed()) return LogFetch.COMPLETE;
            // A finished run whose log weft never stored: a one-shot tracker writes it without
            // reporting (the run is terminal already, so finish() is a no-op).
            RunTracker t = tracker(run, b, block, id.get());
            t.backfill();
            return LogFetch.COMPLETE;
        } catch (IOException e) {
            return LogFetch.BACKEND_FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LogFetch.BACKEND_FAILURE;
        }
    }

    /** A webhook delivery: wake the run's tracker, or the correlations still looking for a run. */
    void onHint(WebhookHint hint) {
        Optional<Run> run = runs.byExternalId(Long.toString(hint.runId()));
        if (run.isPresent()) {
            RunTracker t = trackers.get(run.get().id());
            count("weft.github.webhook.hints", "matched", t == null ? "idle" : "tracker");
            log.debug("GitHub {} for run {} ({}; claims {}): {}", hint.event(), hint.runId(), hint.action(),
                    StateMapper.claimed(hint), t == null ? "no tracker" : "nudged");
            if (t != null) t.nudge();
            return;
        }
        count("weft.github.webhook.hints", "matched", correlating.isEmpty() ? "unknown" : "correlating");
        correlating.forEach(Signal::fire);
    }

    private void count(String name, String tag, String value) {
        Counter.builder(name).tag(tag, value).register(meters).increment();
    }

    @Override
    public void close() {
        closed = true;
        trackers.values().forEach(RunTracker::stop);
        correlating.forEach(Signal::fire);
        backend.ifPresent(b -> {
            b.http().dispatcher().executorService().shutdown();
            b.http().connectionPool().evictAll();
        });
    }

    private void attachAndTrack(Run run, Backend b, WorkflowBlock block, long ghRunId, String htmlUrl)
            throws InterruptedException {
        if (closed) return;
        run.attach(Long.toString(ghRunId), htmlUrl == null || htmlUrl.isEmpty() ? null : htmlUrl);
        track(run, b, block, ghRunId);
    }

    private void track(Run run, Backend b, WorkflowBlock block, long ghRunId) throws InterruptedException {
        RunTracker t = tracker(run, b, block, ghRunId);
        trackers.put(run.id(), t);
        try {
            if (closed) return;
            t.track();
        } finally {
            trackers.remove(run.id(), t);
        }
    }

    private RunTracker tracker(Run run, Backend b, WorkflowBlock block, long ghRunId) {
        String sha = run.trigger().kind() instanceof TriggerKind.Manual ? "" : run.trigger().sha();
        return new RunTracker(run, b.rest(), jobId -> b.logs().fetch(block.owner(), block.repo(), jobId),
                block.owner(), block.repo(), ghRunId, sha, settings.pollInterval(), settings.forceCancelAfter(),
                scheduler);
    }

    private Optional<WorkflowRun> correlate(Run run, Backend b, WorkflowBlock block, Instant since)
            throws InterruptedException {
        Signal wake = new Signal();
        correlating.add(wake);
        try {
            return new Correlator(b.rest(), runs, waits, () -> closed).find(run.id(), block.owner(), block.repo(),
                    block.workflow(), since, settings.correlateTimeout(), wake);
        } finally {
            correlating.remove(wake);
        }
    }

    private String defaultBranch(Backend b, WorkflowBlock block) throws Exception {
        ApiResponse r = b.rest().get(b.rest().repo(block.owner(), block.repo()).build());
        if (r.serverError()) throw new RetriableProviderException("reading " + block.fullName() + ": " + r.describe());
        if (!r.ok()) {
            throw new Exception("cannot read " + block.fullName() + " for its default branch (" + r.describe()
                    + "); set github.ref");
        }
        String branch = r.json().path("default_branch").asText("");
        if (branch.isEmpty()) throw new WorkflowSpecException("github.ref: required, " + block.fullName() + " has no default branch");
        return branch;
    }

    private void cancelledBeforeDispatch(Run run) {
        if (!run.state().isTerminal() && run.state() != RunState.RUNNING) {
            run.status().cancelled("cancelled before the GitHub dispatch");
        }
    }

    private Backend backend() throws Exception {
        if (backend.isPresent()) return backend.get();
        throw new Exception("GitHub is not configured: set WEFT_GITHUB_TOKEN, or WEFT_GITHUB_APP_ID, "
                + "WEFT_GITHUB_APP_PRIVATE_KEY and WEFT_GITHUB_APP_INSTALLATION_ID");
    }

    private static Optional<Long> ghRunId(Run run) {
        return run.externalId().filter(s -> s.matches("[0-9]+")).map(Long::parseLong);
    }

    private static Optional<Instant> dispatchedAt(Run run) {
        return run.attribute(DISPATCHED_AT).filter(s -> !s.isEmpty()).map(Instant::parse);
    }
}
