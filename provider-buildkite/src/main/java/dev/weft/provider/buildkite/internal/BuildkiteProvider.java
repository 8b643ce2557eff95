package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.weft.model.TriggerKind;
import dev.weft.spi.GoDuration;
import dev.weft.spi.CancelReason;
import dev.weft.spi.LogFetch;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.RetriableProviderException;
import dev.weft.spi.Run;
import dev.weft.spi.WorkflowSpecException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The Buildkite provider: creates one build per run (idempotently, keyed by {@code
 * meta_data.weft_run_id}), then follows it on the run's own thread with a {@link BuildWatcher}.
 * Webhooks only wake watchers; cancel only flags and wakes, so neither blocks its caller.
 *
 * <p>Stored with each run: the external id {@code <org>/<pipeline>/<number>} and web URL
 * ({@link Run#attach}), and the attributes {@code org}, {@code pipeline}, {@code number},
 * {@code uuid}, {@code create_attempted} and {@code log.<job id>}.
 */
public final class BuildkiteProvider implements Provider {
    private static final Logger log = LoggerFactory.getLogger(BuildkiteProvider.class);
    private static final int LOOKUP_ATTEMPTS = 4;

    private final ProviderContext context;
    private final BuildkiteConfig config;
    private final ObjectMapper json = new ObjectMapper().registerModule(new JavaTimeModule());
    private final BuildkiteClient client;
    private final ConcurrentMap<Long, BuildWatcher> watchers = new ConcurrentHashMap<>();
    private final AtomicBoolean tackBlockNoted = new AtomicBoolean();
    private volatile boolean closed;

    public BuildkiteProvider(ProviderContext context, BuildkiteConfig config) {
        this.context = context;
        this.config = config;
        this.client = new BuildkiteClient(config.api(), config.token().orElse(""), config.httpTimeout(),
                config.retryBackoff(), new RateLimiter.PerOrg(config.requestsPerMinute()), json);
        WebhookVerifier verifier = new WebhookVerifier(config.webhookSecret(), config.webhookMode(), context.clock(),
                Duration.ofMinutes(5));
        WebhookRoute route = new WebhookRoute(verifier, context.runs(), this::wake, json, context.meterRegistry());
        context.webhooks().mount(route);
        context.webhooks().mountAlias("/webhooks/buildkite", route);
        if (config.token().isEmpty()) {
            log.info("WEFT_BUILDKITE_TOKEN is not set: workflows with engine buildkite will fail until it is");
        }
        if (config.webhookSecret().isEmpty()) {
            log.info("WEFT_BUILDKITE_WEBHOOK_SECRET is not set: Buildkite webhooks are refused and builds are"
                    + " followed by polling every {}", GoDuration.format(config.poll()));
        }
    }

    @Override
    public void spawn(Run run) throws Exception {
        requireToken();
        WorkflowBlock block = WorkflowBlock.parse(run.block(), run.spec());
        if (block.fromTack() && tackBlockNoted.compareAndSet(false, true)) {
            log.info("workflow {} uses tack's tack.buildkite block; weft accepts it as an alias of buildkite:",
                    run.workflowId());
        }
        Optional<BuildRef> attached = run.externalId().flatMap(BuildRef::parse);
        if (attached.isPresent()) {
            follow(run, attached.get());
            return;
        }
        String org = block.org().or(config::org).orElseThrow(() -> new WorkflowSpecException(block.source()
                + ".org is not set and weft has no default organization (WEFT_BUILDKITE_ORG)"));
        Optional<BuildRef> ref = createOrFind(run, block, org);
        if (ref.isPresent()) follow(run, ref.get());
    }

    @Override
    public boolean resume(Run run) throws Exception {
        requireToken();
        Optional<BuildRef> attached = run.externalId().flatMap(BuildRef::parse);
        if (attached.isPresent()) {
            follow(run, attached.get());
            return true;
        }
        Optional<String> org = run.attribute("org");
        Optional<String> pipeline = run.attribute("pipeline");
        if (run.attribute("create_attempted").isPresent() && org.isPresent() && pipeline.isPresent()) {
            Optional<Build> found = lookup(run, org.get(), pipeline.get());
            if (found.isEmpty()) {
                throw new BuildkiteFailure("weft restarted while creating the Buildkite build, and "
                        + org.get() + "/" + pipeline.get() + " has no build with meta_data "
                        + DispatchBody.RUN_ID_KEY + "=" + run.id());
            }
            follow(run, attach(run, org.get(), pipeline.get(), found.get()));
            return true;
        }
        // No build was asked for yet: start as if new.
        spawn(run);
        return true;
    }

    @Override
    public void cancel(Run run, CancelReason reason) {
        BuildWatcher w = watchers.get(run.id());
        if (w != null) w.wake();
        // Otherwise the run is being created: spawn checks cancelRequested() before and after the
        // create, and its watcher sends the cancel first thing.
    }

    @Override
    public LogFetch fetchLogs(Run run) {
        if (watchers.containsKey(run.id())) return LogFetch.COMPLETE;
        Optional<BuildRef> ref = run.externalId().flatMap(BuildRef::parse);
        if (ref.isEmpty() || config.token().isEmpty()) return LogFetch.NOT_FOUND;
        try {
            BuildWatcher w = new BuildWatcher(client, run, ref.get(), config.poll(), config.logPoll(), () -> closed);
            return w.drainOnce() ? LogFetch.COMPLETE : LogFetch.NOT_FOUND;
        } catch (BuildkiteException e) {
            log.warn("run {}: fetching logs from Buildkite failed: {}", run.id(), e.getMessage());
            return LogFetch.BACKEND_FAILURE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return LogFetch.BACKEND_FAILURE;
        }
    }

    @Override
    public void close() {
        closed = true;
        for (BuildWatcher w : watchers.values()) {
            w.wake();
            w.interrupt();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (watchers.values().stream().anyMatch(BuildWatcher::watching) && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        client.close();
    }

    // ---- internals ----

    private void wake(Run run) {
        BuildWatcher w = watchers.get(run.id());
        if (w != null) w.wake();
    }

    private void requireToken() throws BuildkiteFailure {
        if (config.token().isEmpty()) {
            throw new BuildkiteFailure("the buildkite engine is not configured: set WEFT_BUILDKITE_TOKEN"
                    + " (or TACK_BUILDKITE_TOKEN) on the weft server");
        }
    }

    private void follow(Run run, BuildRef ref) throws Exception {
        BuildWatcher w = new BuildWatcher(client, run, ref, config.poll(), config.logPoll(), () -> closed);
        BuildWatcher previous = watchers.put(run.id(), w);
        if (previous != null) previous.wake();
        try {
            if (closed) return;
            w.watch();
        } catch (BuildWatcher.BuildNotFoundException e) {
            throw new BuildkiteFailure(e.getMessage());
        } finally {
            watchers.remove(run.id(), w);
        }
    }

    /**
     * Creates the build, unless an earlier attempt may have: then the build is looked up by
     * {@code meta_data} first. Empty when the run was cancelled before a build existed.
     */
    private Optional<BuildRef> createOrFind(Run run, WorkflowBlock block, String org) throws Exception {
        String pipeline = block.pipeline();
        run.attribute("org", org);
        run.attribute("pipeline", pipeline);
        if (run.attribute("create_attempted").isPresent()) {
            Optional<Build> found = lookup(run, org, pipeline);
            if (found.isPresent()) return Optional.of(attach(run, org, pipeline, found.get()));
        }
        if (run.cancelRequested()) {
            run.status().cancelled("cancelled before the Buildkite build was created");
            return Optional.empty();
        }
        String branch = null;
        if (run.trigger().kind() instanceof TriggerKind.Manual) {
            branch = DispatchBody.manualBranchHint(run.trigger(), block);
            if (branch == null) branch = call(() -> client.defaultBranch(org, pipeline)).orElse("main");
        }
        ObjectNode body = DispatchBody.build(json, run.id(), workflowKey(run), run.workflowId().name(), run.trigger(),
                block, run.variables(), branch);
        run.attribute("create_attempted", "1");
        Build created;
        try {
            created = client.createBuild(org, pipeline, body);
        } catch (BuildkiteException.Rejected e) {
            throw new BuildkiteFailure("Buildkite refused to create a build in " + org + "/" + pipeline + ": "
                    + e.getMessage());
        } catch (BuildkiteException.Transient e) {
            if (!e.ambiguous()) throw new RetriableProviderException(e.getMessage(), e);
            log.warn("run {}: creating the Buildkite build may have failed ({}); looking it up before any retry",
                    run.id(), e.getMessage());
            Optional<Build> found = lookup(run, org, pipeline);
            if (found.isEmpty()) {
                throw new RetriableProviderException("creating the Buildkite build in " + org + "/" + pipeline
                        + " failed (" + e.getMessage() + ") and no build exists for this run yet", e);
            }
            created = found.get();
        } catch (BuildkiteException e) {
            throw new BuildkiteFailure(e.getMessage());
        }
        return Optional.of(attach(run, org, pipeline, created));
    }

    /** Looks the run's build up by meta-data, a few times: a build created a moment ago may lag. */
    private Optional<Build> lookup(Run run, String org, String pipeline) throws Exception {
        Duration wait = config.retryBackoff();
        for (int i = 1; ; i++) {
            Optional<Build> b = call(() -> client.findBuild(org, pipeline, DispatchBody.RUN_ID_KEY,
                    Long.toString(run.id()), DispatchBody.WORKFLOW_KEY, workflowKey(run)));
            if (b.isPresent() || i >= LOOKUP_ATTEMPTS) return b;
            Thread.sleep(wait.toMillis());
            wait = wait.multipliedBy(2);
        }
    }

    private BuildRef attach(Run run, String org, String pipeline, Build b) {
        BuildRef ref = new BuildRef(org, pipeline, b.number());
        run.attach(ref.externalId(), b.webUrl());
        if (b.uuid() != null) run.attribute("uuid", b.uuid());
        run.attribute("number", Long.toString(b.number()));
        log.info("run {} ({}) is Buildkite build {} {}", run.id(), run.workflowId(), ref,
                b.webUrl() == null ? "" : b.webUrl());
        return ref;
    }

    private static String workflowKey(Run run) {
        return run.workflowId().pipeline().knot() + "/" + run.workflowId().pipeline().rkey() + "/"
                + run.workflowId().name();
    }

    private interface ApiCall<T> {
        T call() throws BuildkiteException, InterruptedException;
    }

    /** An API call from spawn/resume: transient failures become retriable, others fail the run. */
    private static <T> T call(ApiCall<T> c) throws Exception {
        try {
            return c.call();
        } catch (BuildkiteException.Transient e) {
            throw new RetriableProviderException(e.getMessage(), e);
        } catch (BuildkiteException e) {
            throw new BuildkiteFailure(e.getMessage());
        }
    }

    /** Ends a run failed with a message meant for the workflow's author or operator. */
    static final class BuildkiteFailure extends Exception {
        BuildkiteFailure(String message) {
            super(message);
        }
    }
}
