package dev.weft.builds;

import dev.weft.git.WorkflowFetchException;
import dev.weft.git.WorkflowFetcher;
import dev.weft.git.WorkflowFiles;
import dev.weft.knot.RefUpdate;
import dev.weft.knot.TriggerSink.Outcome;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.Workflow;
import dev.weft.pipelines.CompiledPipeline;
import dev.weft.pipelines.InvalidWorkflow;
import dev.weft.pipelines.WorkflowCompiler;
import dev.weft.pipelines.WorkflowTrigger;
import dev.weft.runs.Claims;
import dev.weft.store.BuildRecord;
import dev.weft.store.BuildStore;
import dev.weft.wire.Tid;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Builds the pipelines of upgraded knots. Intent first: a push (or pull-request event, or manual
 * run) is stored as a {@link BuildRequest} with its pipeline id and its claim before anything slow
 * happens, so the knot may checkpoint past it, a replay is refused by the claim, and a restart
 * resumes every request still waiting. Then, one repository at a time and in arrival order, the
 * workflow files are read at the commit, compiled, and the pipeline handed to the run runtime,
 * which announces it on {@code /events} before its first status.
 *
 * <p>Several instances on one database ({@code holder} given): a request is built by one instance
 * at a time. The instance that accepts a request records itself as its builder; before a lane
 * builds a request it takes it with one guarded update ({@link BuildStore#takeRequest}), which
 * only succeeds while nobody else builds it or its builder's liveness lease is gone, and a request
 * it could not take is left to its builder. {@link #start} resumes only requests nobody live
 * builds. Alone on the database (no holder) nothing is taken: every waiting request is this
 * instance's.
 *
 * <p>Threads: one virtual thread per repository with requests waiting (a "lane"), started here
 * and ended by {@link #close} (interrupted, then joined, bounded). A request interrupted by the
 * close stays waiting in the store for the next start. {@link #push} and {@link #submit} are
 * called from knot and network threads and return once the request is durable.
 */
public final class PipelineBuilder implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PipelineBuilder.class);

    private final BuildStore store;
    private final RepoDirectory repos;
    private final WorkflowFetcher fetcher;
    private final DefaultBranches branches;
    private final Function<Trigger, Outcome> runs;
    private final Clock clock;
    private final boolean dev;
    private final Duration stopWait;
    /** This instance's lease holder on a shared database; null when it has the database to itself. */
    private final String holder;
    private final int clockId = ThreadLocalRandom.current().nextInt(Tid.MAX_CLOCK_ID + 1);
    private long lastMinted;

    private final Map<String, Lane> lanes = new ConcurrentHashMap<>();
    /** Ids of the requests in the lanes: a request resumed twice (two looks, a lease regained) is queued once. */
    private final java.util.Set<Long> queued = ConcurrentHashMap.newKeySet();
    private final Map<PipelineId, CompletableFuture<Result>> waiters = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();
    private volatile boolean closed;

    private final MeterRegistry meters;
    private final Timer fetchTime;
    private final Timer buildTime;

    /** What became of a request. */
    public sealed interface Result {
        /** The pipeline exists (or existed already: a request retried after a crash). */
        record Built(PipelineId pipeline, int workflows) implements Result {
        }

        /** Nothing matched and no workflow file was broken: no pipeline, as upstream. */
        record Nothing(String why) implements Result {
        }

        /** Given up, with what the operator (or the XRPC caller) is told. */
        record Failed(String error) implements Result {
        }
    }

    public PipelineBuilder(BuildStore store, RepoDirectory repos, WorkflowFetcher fetcher, DefaultBranches branches,
                           Function<Trigger, Outcome> runs, Clock clock, boolean dev, MeterRegistry meters) {
        this(store, repos, fetcher, branches, runs, clock, dev, meters, null);
    }

    /**
     * @param holder this instance's lease holder when instances share the database (requests are
     *               then taken before they are built, see the class comment); null when alone
     */
    public PipelineBuilder(BuildStore store, RepoDirectory repos, WorkflowFetcher fetcher, DefaultBranches branches,
                           Function<Trigger, Outcome> runs, Clock clock, boolean dev, MeterRegistry meters,
                           String holder) {
        if (holder != null && holder.isEmpty()) throw new IllegalArgumentException("an empty holder");
        this.holder = holder;
        this.store = store;
        this.repos = repos;
        this.fetcher = fetcher;
        this.branches = branches;
        this.runs = runs;
        this.clock = clock;
        this.dev = dev;
        this.stopWait = Duration.ofSeconds(10);
        this.meters = meters;
        this.fetchTime = Timer.builder("weft.builds.fetch").description("reading .tangled/workflows at a commit")
                .publishPercentiles(0.5, 0.99).register(meters);
        this.buildTime = Timer.builder("weft.builds.latency").description("from an accepted request to its pipeline")
                .publishPercentiles(0.5, 0.99).register(meters);
        Gauge.builder("weft.builds.waiting", waiting, AtomicInteger::get)
                .description("build requests accepted and not built yet").register(meters);
    }

    /**
     * Resumes the requests left waiting (a crash or stop mid-fetch): alone on the database, every
     * one; sharing it, those no live instance builds (none, or a builder that died or stopped),
     * which the lanes then take before building. Called when this instance gains the builds lease
     * and again at every lease round while it holds it; a request already in a lane is not queued
     * again. Returns how many requests it queued.
     */
    public int start() {
        List<BuildRecord> left = holder == null ? store.waitingRequests() : store.buildableRequests(holder, clock.instant());
        int resumed = 0;
        for (BuildRecord r : left) {
            // This life's own requests are in its lanes already (it accepted or took them there):
            // listed again just as a lane finishes one, it would be queued a second time for nothing.
            if (holder != null && holder.equals(r.builder())) continue;
            if (enqueue(r)) resumed++;
        }
        if (resumed > 0) log.info("resuming {} pipeline build(s) left waiting", resumed);
        return resumed;
    }

    /**
     * An upgraded knot's push (spec tangled-ci 2.3): the repository is looked up in the shape's
     * way, must be served by the knot that sent the push, and is skipped on {@code skip-ci}.
     */
    public Outcome push(RefUpdate u) {
        Optional<RepoRef> found = switch (u.shape()) {
            case CURRENT, TRANSITIONAL -> repos.byRepoDid(u.repoDid());
            case PRE_V1_14 -> repos.byName(u.knot(), u.ownerDid(), u.repoName());
        };
        if (found.isEmpty()) {
            count("unregistered");
            log.info("push {} of {} from knot {} ignored: the repository is not registered to this spindle",
                    u.ref(), u.repoDid().isEmpty() ? u.ownerDid() + "/" + u.repoName() : u.repoDid(), u.knot());
            return Outcome.UNREGISTERED;
        }
        RepoRef repo = found.get();
        if (!repo.knot().equals(u.knot())) {
            count("wrong_knot");
            log.warn("push {} of {} refused: it came from knot {} but the repository is on knot {}",
                    u.ref(), repo, u.knot(), repo.knot());
            return Outcome.REJECTED;
        }
        if (repo.hasRepoDid() && !u.ownerDid().isEmpty() && !u.ownerDid().equals(repo.did())) {
            repos.learnOwner(repo.repoDid(), u.ownerDid());
            repo = new RepoRef(repo.knot(), u.ownerDid(), repo.name(), repo.defaultBranch(), repo.repoDid());
        }
        if (u.skipsCi()) {
            count("skipped");
            log.info("push {} {} of {} skipped: the pusher asked for skip-ci", u.ref(), u.newSha(), repo);
            return Outcome.SKIPPED;
        }
        if (u.deletesRef()) {
            count("skipped");
            log.info("push {} of {} deletes the ref: nothing to build", u.ref(), repo);
            return Outcome.SKIPPED;
        }
        BuildRequest request = new BuildRequest(new PipelineId(repo.knot(), mint()), repo,
                WorkflowTrigger.Push.of(u.ref(), u.oldSha(), u.newSha(), u.changedFiles().orElse(null)), u.newSha(),
                repo.knot(), repo.repoDid(), "", u.receivedAt(), u.committerDid());
        return submit(Claims.push(repo, u.ref(), u.oldSha(), u.newSha()), request).isPresent() ? Outcome.ACCEPTED : Outcome.DUPLICATE;
    }

    /**
     * A pull request opened, updated, reopened, closed or merged, from the Jetstream (spec
     * tangled-ci 2.4), already authorised: its workflows are read from the target repository at
     * the source commit and compiled without changed files. One pipeline per (pull, action, commit).
     */
    public Outcome pullRequest(String targetRepoDid, String pullUri, String action, String sourceBranch,
                               String sourceSha, String targetBranch, Instant receivedAt) {
        Optional<RepoRef> found = repos.byRepoDid(targetRepoDid);
        if (found.isEmpty()) {
            count("unregistered");
            log.info("pull request {} ignored: {} is not registered to this spindle", pullUri, targetRepoDid);
            return Outcome.UNREGISTERED;
        }
        RepoRef repo = found.get();
        BuildRequest request = new BuildRequest(new PipelineId(repo.knot(), mint()), repo,
                WorkflowTrigger.PullRequest.of(action, sourceBranch, sourceSha, targetBranch), sourceSha, repo.knot(),
                repo.repoDid(), "", receivedAt);
        return submit(Claims.pull(repo, pullUri, action, sourceSha), request).isPresent()
                ? Outcome.ACCEPTED : Outcome.DUPLICATE;
    }

    /**
     * Stores {@code request} under {@code claim} and queues it; empty when the claim was taken
     * (a replay). Durable when this returns.
     */
    public Optional<PipelineId> submit(String claim, BuildRequest request) {
        Optional<BuildRecord> stored = store.insertRequest(claim, request.pipeline(), laneKey(request.repo()),
                BuildRequestJson.write(request), request.receivedAt(), holder == null ? "" : holder);
        if (stored.isEmpty()) {
            count("duplicate");
            log.info("{} already seen ({}): not built again", claim, request.repo());
            return Optional.empty();
        }
        count("accepted");
        log.info("pipeline {} requested: {} of {} at {}", request.pipeline(), request.trigger().kind().wireName(),
                request.repo(), request.sha());
        enqueue(stored.get());
        return Optional.of(request.pipeline());
    }

    /**
     * {@link #submit}, then waits up to {@code budget} for the pipeline: what
     * {@code sh.tangled.ci.triggerPipeline} answers with. When the budget runs out the request
     * stays queued (it is durable) and a {@link Result.Failed} says so.
     */
    public Result submitAndWait(String claim, BuildRequest request, Duration budget) throws InterruptedException {
        CompletableFuture<Result> done = new CompletableFuture<>();
        waiters.put(request.pipeline(), done);
        try {
            if (submit(claim, request).isEmpty()) return new Result.Failed("this run was requested already");
            return done.get(budget.toNanos(), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return new Result.Failed("the workflow files could not be read within " + budget.toSeconds()
                    + "s; the pipeline will be created when they are");
        } catch (java.util.concurrent.ExecutionException e) {
            return new Result.Failed(String.valueOf(e.getCause()));
        } finally {
            waiters.remove(request.pipeline());
        }
    }

    /** A new pipeline TID: time-ordered, never repeated by this process (a clock that steps back included). */
    public synchronized String mint() {
        Instant now = clock.instant();
        long micros = Math.max(now.getEpochSecond() * 1_000_000 + now.getNano() / 1000, lastMinted + 1);
        lastMinted = micros;
        return Tid.of(micros, clockId);
    }

    private static String laneKey(RepoRef repo) {
        return repo.hasRepoDid() ? repo.repoDid() : repo.key().toString();
    }

    // ---------------------------------------------------------------- lanes

    /** One repository's queue, drained in order by at most one thread. */
    private final class Lane {
        final String key;
        final ArrayDeque<BuildRecord> queue = new ArrayDeque<>();
        Thread thread;

        Lane(String key) {
            this.key = key;
        }
    }

    /** Queues {@code r} in its repository's lane unless it is there already; whether it was queued. */
    private boolean enqueue(BuildRecord r) {
        if (!queued.add(r.id())) return false;
        waiting.incrementAndGet();
        Lane lane = lanes.computeIfAbsent(r.repo(), Lane::new);
        synchronized (lane) {
            lane.queue.add(r);
            if (lane.thread == null && !closed) {
                lane.thread = Thread.ofVirtual().name("weft-build-" + r.repo()).start(() -> drain(lane));
            }
        }
        return true;
    }

    /** Takes {@code next} off its lane's head, done with (built, given up, or left to its builder). */
    private void dequeue(Lane lane, BuildRecord next) {
        synchronized (lane) {
            lane.queue.poll();
        }
        queued.remove(next.id());
        waiting.decrementAndGet();
    }

    private void drain(Lane lane) {
        while (true) {
            BuildRecord next;
            synchronized (lane) {
                next = lane.queue.peek();
                if (next == null || closed) {
                    lane.thread = null;
                    return;
                }
            }
            try {
                Optional<String> other = take(next);
                if (other.isPresent()) {
                    dequeue(lane, next);
                    CompletableFuture<Result> w = waiters.get(next.pipeline());
                    if (w != null) w.complete(new Result.Failed(other.get()));
                    continue;
                }
                Result result = build(next);
                dequeue(lane, next);
                CompletableFuture<Result> w = waiters.get(next.pipeline());
                if (w != null) w.complete(result);
            } catch (InterruptedException e) {
                log.info("pipeline {} not built: weft is stopping; the next start resumes it", next.pipeline());
                synchronized (lane) {
                    lane.thread = null;
                }
                return;
            } catch (RuntimeException e) {
                // The store (or a bug) failed mid-build: the request is still waiting in the store,
                // so keep it at the head of its lane and try again shortly rather than lose the lane.
                log.error("building pipeline {} failed; retrying in 1s: {}", next.pipeline(), e.toString());
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException stop) {
                    synchronized (lane) {
                        lane.thread = null;
                    }
                    return;
                }
            }
        }
    }

    /**
     * Takes {@code record} for this instance before it is built (one guarded update; nothing
     * without a shared database). Empty when this instance builds it; else why it does not: it
     * is finished, or another live instance builds it.
     */
    private Optional<String> take(BuildRecord record) {
        if (holder == null || store.takeRequest(record.id(), holder, clock.instant())) return Optional.empty();
        Optional<BuildRecord> now = store.request(record.pipeline());
        String builder = now.map(BuildRecord::builder).filter(b -> !b.isEmpty()).orElse("another instance");
        String why;
        if (now.isPresent() && now.get().state() == BuildRecord.State.WAITING) {
            why = "pipeline " + record.pipeline() + " is being built by " + builder;
            count("elsewhere");
        } else {
            // Resumed from a listing read just before its builder finished it.
            why = "pipeline " + record.pipeline() + " was finished already ("
                    + now.map(r -> r.state().wireName()).orElse("gone") + "), by " + builder;
        }
        log.info("{}: not built here ({})", why, holder);
        return Optional.of(why);
    }

    /** Reads, compiles and hands over one request, and records how it ended. */
    Result build(BuildRecord record) throws InterruptedException {
        BuildRequest r;
        try {
            r = BuildRequestJson.read(record.request());
        } catch (IllegalArgumentException e) {
            return finish(record, new Result.Failed(e.getMessage()));
        }
        if (r.codeRepo().isEmpty()) {
            return finish(record, new Result.Failed("cannot read the workflow files of " + r.repo()
                    + ": the repository has no DID, and its knot serves git by repository DID"));
        }
        WorkflowFiles files;
        long started = System.nanoTime();
        try {
            files = fetcher.fetch(WorkflowFetcher.knotBase(r.codeKnot(), dev), r.codeRepo(), r.sha(),
                    failure -> store.attemptFailed(record.id(), failure.message() + " (retrying)", clock.instant()));
        } catch (WorkflowFetchException e) {
            meters.counter("weft.builds.fetch.failures", "kind", e.failure().kind()).increment();
            return finish(record, new Result.Failed("cannot read the workflow files of " + r.codeRepo() + " at "
                    + r.sha() + " from knot " + r.codeKnot() + ": " + e.failure().message()));
        } finally {
            fetchTime.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
        Map<String, byte[]> byName = new LinkedHashMap<>();
        for (WorkflowFiles.File f : files.files()) byName.put(f.name(), f.content());
        CompiledPipeline compiled = WorkflowCompiler.compile(byName, r.trigger());
        Result result = switch (compiled) {
            case CompiledPipeline.Refused refused -> new Result.Failed(refused.error());
            case CompiledPipeline.Workflows w when w.isEmpty() -> new Result.Nothing(files.isEmpty()
                    ? "no workflow files at " + r.sha() : "no workflow matched " + r.trigger().kind().wireName());
            case CompiledPipeline.Workflows w -> handOver(r, w);
        };
        return finish(record, result);
    }

    private Result handOver(BuildRequest r, CompiledPipeline.Workflows w) {
        List<Workflow> all = new ArrayList<>(w.workflows());
        for (InvalidWorkflow bad : w.invalid()) all.add(Workflow.invalid(bad.name(), bad.engine(), bad.error()));
        all.sort(Comparator.comparing(Workflow::name, WorkflowCompiler.FILE_NAME_ORDER));
        Trigger t = new Trigger(r.pipeline(), r.repo().withDefaultBranch(branches.of(r.repo())), r.trigger().kind(),
                all, r.receivedAt(), r.sourceRepo(), r.actor());
        Outcome o = runs.apply(t);
        return switch (o) {
            case ACCEPTED, DUPLICATE -> new Result.Built(r.pipeline(), all.size());
            default -> new Result.Failed("the run runtime refused the pipeline: " + o);
        };
    }

    private Result finish(BuildRecord record, Result result) {
        Instant now = clock.instant();
        switch (result) {
            case Result.Built b -> {
                store.finishRequest(record.id(), BuildRecord.State.BUILT, null, now);
                count("built");
                log.info("pipeline {} built with {} workflow(s)", b.pipeline(), b.workflows());
            }
            case Result.Nothing n -> {
                store.finishRequest(record.id(), BuildRecord.State.NOTHING, null, now);
                count("nothing");
                log.info("no pipeline for request {}: {}", record.pipeline(), n.why());
            }
            case Result.Failed f -> {
                store.finishRequest(record.id(), BuildRecord.State.FAILED, f.error(), now);
                count("failed");
                log.error("pipeline {} of {} could not be built: {}", record.pipeline(), record.repo(), f.error());
            }
        }
        buildTime.record(Duration.between(record.receivedAt(), now));
        return result;
    }

    private void count(String outcome) {
        meters.counter("weft.builds", "outcome", outcome).increment();
    }

    /** Stops the lanes: interrupts them and waits for them, {@code stopWait} in total. */
    @Override
    public void close() {
        closed = true;
        List<Thread> threads = new ArrayList<>();
        for (Lane lane : lanes.values()) {
            synchronized (lane) {
                if (lane.thread != null) threads.add(lane.thread);
            }
        }
        for (Thread t : threads) t.interrupt();
        long deadline = System.nanoTime() + stopWait.toNanos();
        for (Thread t : threads) {
            try {
                if (!t.join(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    log.warn("build thread {} did not stop within {}", t.getName(), stopWait);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
