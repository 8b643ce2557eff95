package dev.weft.daemon;

import dev.weft.auth.DidResolver;
import dev.weft.auth.ServiceAuth;
import dev.weft.callbacks.Callbacks;
import dev.weft.config.WeftConfig;
import dev.weft.console.Console;
import dev.weft.console.ConsoleSources;
import dev.weft.jetstream.JetstreamClient;
import dev.weft.jetstream.JetstreamOptions;
import dev.weft.jetstream.NetworkRecords;
import dev.weft.model.WorkflowId;
import dev.weft.notifications.AdviceFile;
import dev.weft.notifications.AdviceRules;
import dev.weft.notifications.NotifierSetup;
import dev.weft.notifications.Notifications;
import dev.weft.notifications.NotifyOptions;
import dev.weft.notify.NotifierConfigException;
import dev.weft.notify.NotifierFactory;
import dev.weft.secrets.RepoSecrets;
import dev.weft.secrets.SecretCipher;
import dev.weft.spi.CancelReason;
import dev.weft.store.CancelRequest;
import dev.weft.xrpc.CiCancelXrpc;
import dev.weft.xrpc.CiQueries;
import dev.weft.xrpc.CiXrpc;
import dev.weft.xrpc.NetworkXrpc;
import dev.weft.xrpc.RepoResolver;
import dev.weft.discovery.RepoRegistry;
import dev.weft.events.EventLog;
import dev.weft.knot.KnotOptions;
import dev.weft.knot.KnotSupervisor;
import dev.weft.logs.LogHub;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.providers.Plugins;
import dev.weft.providers.ProviderRegistry;
import dev.weft.runs.RunManager;
import dev.weft.runs.RunOptions;
import dev.weft.server.Health;
import dev.weft.server.ServerOptions;
import dev.weft.server.WeftServer;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.ProviderFactory;
import dev.weft.status.StatusPublisher;
import dev.weft.knot.KnotCursorStore;
import dev.weft.config.DatabaseLocation;
import dev.weft.lease.InstanceId;
import dev.weft.lease.LeaseKeeper;
import dev.weft.store.Stores;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import dev.weft.builds.DefaultBranches;
import dev.weft.builds.KnotEvents;
import dev.weft.builds.PipelineBuilder;
import dev.weft.builds.RepoDirectory;
import dev.weft.git.WorkflowFetcher;
import dev.weft.jetstream.PullSubscription;
import dev.weft.pulls.PdsPatchSource;
import dev.weft.pulls.PullAccess;
import dev.weft.pulls.PullRecords;
import dev.weft.model.RepoRef;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * One running weft: everything {@code weft serve} starts. Start-up order matters: the store opens
 * first, unfinished runs are recovered before the server and the knot consumers let new work in,
 * and shutdown goes the other way, so no accepted trigger is ever only in memory.
 */
public final class Weft implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Weft.class);
    public static final String VERSION = versionOf();

    private final WeftConfig config;
    private final Stores store;
    private final RepoRegistry registry;
    private final EventLog events;
    private final StatusPublisher publisher;
    private final LogHub logs;
    private final RunManager runs;
    private final ProviderRegistry providers;
    private final WeftServer server;
    private final KnotSupervisor knots;
    private final ScheduledExecutorService scheduler;
    private final Callbacks callbacks;
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();
    private final java.util.concurrent.CompletableFuture<String> fenced = new java.util.concurrent.CompletableFuture<>();
    private final PrometheusMeterRegistry meters;
    private final boolean consumeKnots;
    private final Clock clock;
    private final RepoSecrets secrets;
    private final NetworkRecords network;
    private final DidResolver dids;
    private final RepoResolver repoResolver;
    private final boolean followJetstream;
    private final JetstreamOptions jetstreamOptions;
    private volatile JetstreamClient jetstream;
    private volatile JetstreamClient pullStream;
    private final PdsPatchSource patches;
    private final WorkflowFetcher fetcher;
    private final DefaultBranches branches;
    private final PipelineBuilder builder;
    private final Notifications notifications;
    private final LeaseKeeper leases;
    private final Plugins plugins;
    /** How often a shared store is looked at for what its signals should have said (or, without signals, all). */
    private final Duration storePolling;

    /** Lease names: one instance at a time does each of these. */
    public static final String JETSTREAM_LEASE = "jetstream";
    public static final String PULLS_LEASE = "jetstream-pulls";
    public static final String PUBLISHER_LEASE = "publisher";
    public static final String BUILDS_LEASE = "builds";

    public static String knotLease(String knot) {
        return "knot:" + knot;
    }

    private Weft(Builder b) throws ProviderConfigException {
        this.config = b.config;
        this.consumeKnots = b.consumeKnots;
        this.clock = b.clock;
        this.followJetstream = b.jetstream;
        this.jetstreamOptions = b.jetstreamOptions;
        this.meters = b.meters != null ? b.meters : new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        InstanceId instance = b.instance != null ? b.instance : InstanceId.from(config.env());
        if (config.db() instanceof DatabaseLocation.Postgres) {
            // Instances sharing a database are told apart in dashboards that sum over scrape targets
            // behind one address; not "instance", which Prometheus sets itself from the target.
            meters.config().commonTags("weft_instance", instance.name());
        }
        Clock clock = b.clock;
        // Plugins before anything opens: a broken jar stops start-up with nothing to undo.
        this.plugins = Plugins.load(config.pluginsDir(), Weft.class.getClassLoader());
        // The key first: a database shared by instances checks it before anything is written.
        SecretCipher cipher;
        try {
            cipher = SecretCipher.loadOrCreate(config.secretsKeyFile());
            this.store = Databases.open(config.db(), cipher.keyId(), instance.holder());
        } catch (IOException e) {
            plugins.close();
            throw new UncheckedIOException("secrets key file " + config.secretsKeyFile() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            plugins.close();
            throw e;
        }
        // Alone on a SQLite file this instance holds every lease; on PostgreSQL, instances share work.
        boolean shared = config.db() instanceof DatabaseLocation.Postgres;
        this.leases = new LeaseKeeper(shared ? store.leases() : null, instance, b.leaseTtl, b.leaseEvery, b.clock);
        // A life whose liveness lapsed writes nothing more: its runs may be driven elsewhere already.
        if (shared) store.fenceWrites(leases::lapsed);
        ScheduledThreadPoolExecutor pool = new ScheduledThreadPoolExecutor(2, Thread.ofVirtual().name("weft-sched-", 0).factory());
        pool.setRemoveOnCancelPolicy(true);
        this.scheduler = pool;
        this.registry = new RepoRegistry(store.registry(), clock);
        this.events = new EventLog(store.statuses(), clock);
        this.publisher = new StatusPublisher(store.statuses(), events, clock, meters);
        // With the store's signals, polling is only the backstop for a lost one (a reconnect).
        this.storePolling = b.storePolling != null ? b.storePolling
                : store.signals().live() ? Duration.ofSeconds(1) : Duration.ofMillis(100);
        if (shared) publisher.shared(storePolling);
        this.logs = new LogHub(store.runs(), store.logs(), clock);
        io.micrometer.core.instrument.FunctionCounter.builder("weft.log.frames", logs, LogHub::framesWritten)
                .description("/logs frames written (step starts and ends, output lines)").register(meters);
        // The process beside weft's own meters: heap and non-heap, threads, CPU, uptime.
        new io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics().bindTo(meters);
        new io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics().bindTo(meters);
        new io.micrometer.core.instrument.binder.system.ProcessorMetrics().bindTo(meters);
        new io.micrometer.core.instrument.binder.system.UptimeMetrics().bindTo(meters);
        RunOptions ro = b.runOptions.withWorkflowTimeout(config.workflowTimeout())
                .withDelays(config.firstStatusDelay(), config.statusGap()).withDev(config.dev());
        this.runs = new RunManager(store.runs(), store.statuses(), logs, publisher, registry, ro, clock, scheduler, meters,
                store.concurrency());
        // Shared, a provider's log writes for a run another instance drives (its webhook landed
        // here) wait in the store for that instance, which numbers them (applyParked, below).
        if (shared) runs.parkLogsOfOtherInstances(logs.inbox(), store.leases(), instance.holder());
        this.secrets = new RepoSecrets(store.secrets(), cipher, clock);
        runs.secrets(repo -> secrets.values(repo.did(), repo.name()));
        // Each run's callback URL and token: the token key is derived from the secrets key, so every
        // instance sharing the key file accepts every run's token and nothing is stored.
        // Alone on a database this instance drives every run; shared, a body for a run another
        // instance drives is parked in the store for it (applyQueued, below).
        this.callbacks = new Callbacks(config.publicUrl(), cipher.derivedKey(Callbacks.keyPurpose()), store.runs(),
                runs::callbackLog, clock, shared ? runs::drives : id -> true);
        runs.addedVariables(callbacks::variables, Callbacks.CREDENTIALS);
        try {
            this.notifications = notifications(b, config, store, clock, meters, plugins);
        } catch (RuntimeException e) {
            closeQuietly();
            throw e;
        }
        runs.notices(notifications);
        this.network = new NetworkRecords(store.registry(), registry, config.hostname(), config.ownerDid(),
                repo -> config.repos().contains(repo) || (config.acceptAllRepos() && config.knots().contains(repo.knot())),
                clock);
        ServerOptions so = b.serverOptions.toBuilder().skewAllowance(config.eventsSkew()).build();
        this.server = WeftServer.builder().listen(config.listen().getHostString(), config.listen().getPort())
                .events(events).logs(logs).owner(config.ownerDid()).hostname(config.hostname()).health(this::health).registry(meters).options(so)
                .build();
        // Service auth for the appview's XRPC calls: did:web over http only in dev mode.
        this.dids = new DidResolver(config.plcUrl(), config.dev() ? "http" : "https", Duration.ofMinutes(10),
                Duration.ofSeconds(10), clock);
        this.repoResolver = new RepoResolver(store.registry(), dids, Duration.ofMinutes(10), Duration.ofSeconds(10), clock);
        ServiceAuth serviceAuth = new ServiceAuth(config.hostname(), dids, clock);
        // Both cancel families go through the run runtime, so the provider really stops the run.
        Function<WorkflowId, RunManager.CancelOutcome> cancel = id -> runs.cancel(id, CancelReason.REQUESTED);
        new NetworkXrpc(serviceAuth, repoResolver, registry, secrets,
                store.runs(), store.registry(), cancel).mount(server.xrpcRoutes());
        new CiCancelXrpc(serviceAuth, repoResolver, registry, store.runs(), cancel).mount(server.xrpcRoutes());
        new CiQueries(store.pipelines(), registry).mount(server.xrpcRoutes());
        callbacks.mount(server.webhookRoutes());
        List<ProviderFactory> factories = b.factories != null ? b.factories : plugins.providerFactories();
        ProviderRegistry made;
        try {
            made = ProviderRegistry.create(factories, config.env(), clock, meters, scheduler, config.hostname(),
                    server.webhookRoutes()::mount, runs);
        } catch (ProviderConfigException e) {
            repoResolver.close();
            dids.close();
            closeQuietly();
            throw e;
        }
        this.providers = made;
        runs.providers(providers::get);
        try {
            this.fetcher = new WorkflowFetcher(WorkflowFetcher.Options.defaults(config.gitCacheDir())
                    .withFetchTimeout(config.workflowFetchTimeout()), meters);
        } catch (IOException e) {
            providers.close();
            repoResolver.close();
            dids.close();
            closeQuietly();
            throw new UncheckedIOException("git cache " + config.gitCacheDir() + ": " + e.getMessage(), e);
        }
        this.branches = new DefaultBranches(config.dev(), clock);
        // Sharing the database, each request is built by the instance recorded as its builder.
        this.builder = new PipelineBuilder(store.builds(), directory(registry), fetcher, branches, runs::accept, clock,
                config.dev(), meters, shared ? instance.holder() : null);
        this.patches = new PdsPatchSource(dids, config.dev(), PdsPatchSource.Limits.defaults());
        CiXrpc ci = new CiXrpc(serviceAuth, repoResolver, registry, builder, fetcher, config.dev(), clock);
        ci.mount(server.xrpcRoutes());
        KnotEvents sink = new KnotEvents(runs, builder,
                u -> registry.collaboratorUpdate(u.knot(), u.add() ? "add" : "remove", u.subject(), u.repoDid()));
        this.knots = new KnotSupervisor(sink, KnotCursorStore.of(store.registry()), config.dev(),
                b.knotOptions.withReplayWindow(config.replayWindow()), clock, meters);
        if (config.console()) mountConsole(ci);
    }

    /** The web console at {@code /console}: read-only unless {@code WEFT_ADMIN_TOKEN_FILE} names the operator token. */
    private void mountConsole(CiXrpc ci) {
        String token = null;
        if (config.adminTokenFile() != null) {
            try {
                token = WeftConfig.adminToken(config.adminTokenFile());
            } catch (IOException e) {
                throw new UncheckedIOException("WEFT_ADMIN_TOKEN_FILE " + config.adminTokenFile() + ": " + e.getMessage(), e);
            }
        }
        ConsoleSources.Operations operations = new ConsoleSources.Operations() {
            @Override
            public RunManager.CancelOutcome cancel(WorkflowId workflow) {
                return runs.cancel(workflow, CancelReason.REQUESTED);
            }

            @Override
            public PipelineBuilder.Result rerun(String caller, dev.weft.model.Trigger previous, java.util.Set<String> workflows)
                    throws InterruptedException {
                return ci.rerun(caller, previous, workflows.isEmpty() ? Optional.empty() : Optional.of(workflows), CONSOLE_RERUN_WAIT);
            }
        };
        ConsoleSources sources = new ConsoleSources(store.pipelines(), store.runs(), notifications::failure,
                notifications::appviewLink, this::systemStatus, operations, store.operatorSessions());
        server.pageRoutes().mount(Console.PREFIX, new Console(sources, token, clock));
        log.info("console at /console ({})", token == null ? "read-only: no WEFT_ADMIN_TOKEN_FILE" : "operator actions need a login");
    }

    /** How long a re-run from the console waits for its pipeline to be built before answering. */
    private static final Duration CONSOLE_RERUN_WAIT = Duration.ofSeconds(20);

    /** What the console's system page shows; reads in-memory state and checks the store. */
    private ConsoleSources.SystemStatus systemStatus() {
        List<ConsoleSources.SystemStatus.Connection> knotStates = new ArrayList<>();
        for (String k : new java.util.TreeSet<>(knots.knots())) {
            knotStates.add(new ConsoleSources.SystemStatus.Connection(k, knots.isConnected(k)));
        }
        List<ConsoleSources.SystemStatus.Connection> streams = new ArrayList<>();
        JetstreamClient j = jetstream;
        if (j != null) streams.add(new ConsoleSources.SystemStatus.Connection("discovery", j.isConnected()));
        JetstreamClient pr = pullStream;
        if (pr != null) streams.add(new ConsoleSources.SystemStatus.Connection("pull requests", pr.isConnected()));
        List<ConsoleSources.SystemStatus.Provider> engines = new ArrayList<>();
        for (String e : new java.util.TreeSet<>(providers.engines())) {
            engines.add(new ConsoleSources.SystemStatus.Provider(e, runs.active(e).size()));
        }
        java.util.Map<String, Integer> failing = notifications.failingNotifiers();
        List<ConsoleSources.SystemStatus.Notifier> notifiers = new ArrayList<>();
        for (String n : notifications.notifierNames()) {
            notifiers.add(new ConsoleSources.SystemStatus.Notifier(n, failing.getOrDefault(n, 0)));
        }
        return new ConsoleSources.SystemStatus(VERSION, leases.instance().name(), store.check(), leases.held(),
                knotStates, streams, engines, notifiers, new dev.weft.concurrency.ConcurrencyQueues(store.concurrency()).all());
    }

    /**
     * Notifications from {@code WEFT_NOTIFY_*}, {@code WEFT_APPVIEW_URL} and {@code WEFT_ADVICE_FILE}:
     * a bad setting or advice file stops start-up with every problem named.
     */
    private static Notifications notifications(Builder b, WeftConfig config, Stores store, Clock clock,
                                               PrometheusMeterRegistry meters, Plugins plugins) {
        NotifyOptions options;
        AdviceFile advice;
        List<dev.weft.notify.Notifier> notifiers;
        try {
            options = NotifyOptions.from(config.env());
            advice = options.adviceFile() == null ? AdviceFile.none() : AdviceFile.load(options.adviceFile());
            List<NotifierFactory> factories = b.notifierFactories != null ? b.notifierFactories
                    : plugins.notifierFactories();
            notifiers = NotifierSetup.create(factories, config.env(), clock, b.notifyOptions.requestTimeout());
        } catch (NotifyOptions.InvalidNotifyConfigException | AdviceRules.InvalidAdviceException
                 | NotifierConfigException e) {
            throw new IllegalArgumentException("notification configuration invalid: " + e.getMessage(), e);
        }
        store.runs().queueNotices(!notifiers.isEmpty());
        return new Notifications(store.runs(), store.logs(), store.notifications(), options, advice, notifiers, clock,
                b.notifyOptions, meters);
    }

    /** Notifications: advice for failed runs' logs, the outbox worker, the notifiers. */
    public Notifications notifications() {
        return notifications;
    }

    private JetstreamClient.CursorStore cursorOf(String name) {
        return new JetstreamClient.CursorStore() {
            @Override
            public java.util.OptionalLong cursor() {
                return store.registry().networkCursor(name);
            }

            @Override
            public void save(long timeUs) {
                store.registry().saveNetworkCursor(name, timeUs);
            }
        };
    }

    /** The registrations as the pipeline builder looks them up (the builder knows no registry). */
    private static RepoDirectory directory(RepoRegistry registry) {
        return new RepoDirectory() {
            @Override
            public Optional<RepoRef> byRepoDid(String repoDid) {
                return registry.byRepoDid(repoDid);
            }

            @Override
            public Optional<RepoRef> byName(String knot, String ownerDid, String name) {
                return registry.byName(knot, ownerDid, name);
            }

            @Override
            public void learnOwner(String repoDid, String ownerDid) {
                registry.learnOwner(repoDid, ownerDid);
            }
        };
    }

    public static Builder builder(WeftConfig config) {
        return new Builder(config);
    }

    /** Starts everything; returns once the server listens and the knot consumers are started. */
    public Weft start() {
        leases.onLivenessLost(why -> Thread.ofPlatform().name("weft-fence").start(() -> fence(why)));
        leases.start();
        if (leases.shared()) {
            // Before the publisher's first look at the store, so nothing falls between the two;
            // the store's thread that delivers these ends when the store closes (close()).
            store.signals().listen(new dev.weft.store.StoreSignals.Listener() {
                @Override
                public void eventsAppended() {
                    publisher.eventsAppended();
                }

                @Override
                public void outboxQueued() {
                    publisher.outboxQueued();
                }

                @Override
                public void logAppended(long runId) {
                    logs.appendedElsewhere(runId);
                }

                @Override
                public void missed() {
                    publisher.eventsAppended();
                    publisher.outboxQueued();
                    logs.wakeAllElsewhere();
                }
            });
        }
        publisher.start();
        // Before recovery: statuses of recovered runs are queued for notification like any other.
        notifications.start();
        leases.want(PUBLISHER_LEASE, new LeaseKeeper.Work(() -> publisher.lead(true), () -> publisher.lead(false)));
        if (leases.shared()) {
            // Runs of instances that are gone (and runs nobody owns), not every open run: the
            // others' runs are driven by them.
            shareWork();
        } else {
            runs.recover();
        }
        // Resuming waiting build requests that no live instance builds is done by one instance, on
        // gaining the lease and then in every round (new requests run their lane where they came in).
        leases.want(BUILDS_LEASE, new LeaseKeeper.Work(builder::start, () -> { }));
        server.start();
        if (consumeKnots) registry.addListener(new RepoRegistry.KnotListener() {
            @Override
            public void knotAdded(String knot) {
                consumeKnot(knot);
            }

            @Override
            public void knotRemoved(String knot) {
                leases.unwant(knotLease(knot));
            }
        });
        for (String knot : config.knots()) {
            if (config.acceptAllRepos()) registry.acceptAllOn(knot);
        }
        for (RepoKey r : config.repos()) registry.register(r, RepoRegistry.STATIC);
        // No record key is known for a static repo DID, so the DID stands in as its name until a
        // repo record gives one; the spindle owner stands in as its owner (learnOwner).
        for (WeftConfig.StaticRepoDid r : config.repoDids()) {
            registry.registerRepoDid(r.knot(), config.ownerDid(), r.repoDid(), r.repoDid(), RepoRegistry.STATIC);
        }
        if (consumeKnots) {
            for (String knot : registry.knots()) consumeKnot(knot);
        }
        if (followJetstream && !config.jetstream().isEmpty()) {
            leases.want(JETSTREAM_LEASE, new LeaseKeeper.Work(
                    () -> jetstream = new JetstreamClient(config.jetstream(), network, cursorOf(JetstreamClient.CURSOR),
                            jetstreamOptions, meters).start(),
                    () -> closeJetstream(false)));
            PullRecords pulls = new PullRecords(new PullAccess() {
                @Override
                public boolean isRegistered(String repoDid) {
                    return registry.byRepoDid(repoDid).isPresent();
                }

                @Override
                public boolean hasPushRights(String actorDid, String repoDid) {
                    return registry.hasPushRights(actorDid, repoDid);
                }
            }, patches, e -> builder.pullRequest(e.targetRepoDid(), e.pullUri(), e.action(), e.sourceBranch(),
                    e.sourceSha(), e.targetBranch(), clock.instant()), meters);
            leases.want(PULLS_LEASE, new LeaseKeeper.Work(
                    () -> pullStream = new JetstreamClient(config.jetstream(), new PullSubscription(pulls),
                            cursorOf(PullSubscription.CURSOR), jetstreamOptions, meters).start(),
                    () -> closeJetstream(true)));
        } else if (registry.knots().isEmpty()) {
            log.warn("no repositories registered: set WEFT_REPOS (or WEFT_REPOS=* with WEFT_KNOTS) to accept triggers");
        }
        scheduler.scheduleWithFixedDelay(this::operatorCancels, 0, 1, TimeUnit.SECONDS);
        if (leases.shared()) {
            long every = leases.every().toMillis();
            scheduler.scheduleWithFixedDelay(this::shareWork, every, every, TimeUnit.MILLISECONDS);
            // A viewer on this instance of a run another instance drives is woken by the store's
            // signal of each line; this look catches what a lost signal would have told (and, on
            // a database without signals, is how such viewers hear of lines at all).
            long poll = Math.max(storePolling.toMillis(), 1);
            scheduler.scheduleWithFixedDelay(this::pollOtherWriters, poll, poll, TimeUnit.MILLISECONDS);
            scheduler.scheduleWithFixedDelay(this::applyParked, 200, 200, TimeUnit.MILLISECONDS);
        }
        // From here on, knots registered by the Jetstream are taken up in the keeper's next round.
        leases.opened();
        log.info("weft {} serving {} as {} (owner {}), engines {}", VERSION, "http://" + config.listen().getHostString()
                + ":" + server.port(), config.hostname(), config.ownerDid(), providers.engines());
        return this;
    }

    /** Consumes {@code knot} while this instance holds its lease (another instance may hold it). */
    private void consumeKnot(String knot) {
        leases.want(knotLease(knot), new LeaseKeeper.Work(() -> knots.add(knot), () -> knots.remove(knot)));
    }

    private synchronized void closeJetstream(boolean pulls) {
        JetstreamClient c = pulls ? pullStream : jetstream;
        if (pulls) pullStream = null;
        else jetstream = null;
        if (c != null) c.close();
    }

    /**
     * Takes over the open runs of instances whose liveness lease expired (killed, cut off) or was
     * handed back (stopped), and resumes them here through their providers; ends the handles of
     * this instance's runs that were ended through another instance; completes the logs of ended
     * runs whose owner is gone (one instance takes each); and, holding the builds
     * lease, resumes the build requests whose builder is gone.
     */
    private void shareWork() {
        try {
            List<Long> adopted = store.leases().adoptRuns(leases.instance().holder(), clock.instant());
            // Runs this instance drives that another instance ended (a webhook that landed there),
            // and ended runs whose log nobody alive completes (their owner died).
            runs.catchUp();
            // Registrations another instance made (from the Jetstream): their knots are wanted here
            // too, so a survivor consumes them when that instance dies.
            registry.refresh();
            if (!adopted.isEmpty()) {
                log.info("instance {}: adopting {} run(s) of instances that are gone", leases.instance().name(), adopted.size());
                runs.adopt(adopted);
            }
            // Build requests whose builder died (or stopped) since the lease was gained.
            if (leases.holds(BUILDS_LEASE)) builder.start();
        } catch (RuntimeException e) {
            log.warn("sharing work with other instances failed (retried in {}): {}", leases.every(), e.toString());
        }
    }

    /** Writes what other instances parked for the runs this one drives: job callbacks, providers' log writes. */
    private void applyParked() {
        try {
            callbacks.applyQueued();
        } catch (RuntimeException e) {
            log.warn("callbacks parked by other instances (retried in 200 ms): {}", e.toString());
        }
        try {
            runs.applyParkedLogs();
        } catch (RuntimeException e) {
            log.warn("log writes parked by other instances (retried in 200 ms): {}", e.toString());
        }
    }

    private void pollOtherWriters() {
        try {
            logs.pollOtherWriters();
        } catch (RuntimeException e) {
            log.warn("live logs of other instances' runs (retried in {}): {}", storePolling, e.toString());
        }
    }

    /**
     * Carries out the cancels queued in the database for runs this instance drives: by
     * {@code weft cancel} (another process) and by other instances that were asked to cancel a run
     * they do not drive.
     */
    private void operatorCancels() {
        try {
            for (CancelRequest r : store.runs().openCancelRequests()) {
                // A run another instance drives is left to it (its own round takes the request).
                Optional<RunManager.CancelOutcome> outcome = runs.cancelIfDrivenHere(r.workflow(), CancelReason.REQUESTED);
                if (outcome.isEmpty()) continue;
                store.runs().finishCancelRequest(r.id(), outcome.get().name(), clock.instant());
                log.info("queued cancel of {}: {}", r.workflow(), outcome.get());
            }
        } catch (RuntimeException e) {
            log.warn("operator cancels: {}", e.toString());
        }
    }

    private Health health() {
        String s = store.check();
        return new Health(s.equals("ok"), VERSION, s, leases.instance().name(), leases.held(),
                notifications.failingNotifiers());
    }

    /** This instance's leases: who it is, what it holds. */
    public LeaseKeeper leases() {
        return leases;
    }

    public int port() {
        return server.port();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.port();
    }

    public Stores store() {
        return store;
    }

    public RunManager runs() {
        return runs;
    }

    /** The engines this weft dispatches to: built-in providers and those of plugin jars. */
    public java.util.Set<String> engines() {
        return providers.engines();
    }

    /** The {@code /events} feed this instance serves. */
    public dev.weft.events.EventFeed events() {
        return events;
    }

    public RepoRegistry registry() {
        return registry;
    }

    public KnotSupervisor knots() {
        return knots;
    }

    public WeftServer server() {
        return server;
    }

    public PrometheusMeterRegistry meters() {
        return meters;
    }

    public WeftConfig config() {
        return config;
    }

    /** The repositories' secrets. */
    public RepoSecrets secrets() {
        return secrets;
    }

    /** Members, repo records and collaborators from the Jetstream. */
    public NetworkRecords network() {
        return network;
    }

    /** The Jetstream client, when it runs. */
    public Optional<JetstreamClient> jetstream() {
        return Optional.ofNullable(jetstream);
    }

    /** The Jetstream client following pull requests, when it runs. */
    public Optional<JetstreamClient> pullRequests() {
        return Optional.ofNullable(pullStream);
    }

    /** Builds the pipelines of upgraded knots, pull requests and manual runs. */
    public PipelineBuilder builder() {
        return builder;
    }

    /** Cancels a workflow as the operator ({@code weft cancel} in-process). */
    public RunManager.CancelOutcome cancel(WorkflowId workflow) {
        return runs.cancel(workflow, CancelReason.REQUESTED);
    }

    /**
     * Stops in the reverse order of start: no new trigger or request comes in (Jetstream, knots,
     * server), then the run runtime interrupts every run thread and waits for them, at most
     * {@link Builder#stopWait} (10 s by default), then the providers close, then the publisher, the
     * scheduler and the store. Runs still open stay open in the store for the next start.
     */
    @Override
    public void close() {
        if (!closing.compareAndSet(false, true)) return;
        log.info("weft stopping");
        // First hand the shared work back (knots, Jetstream, publishing), so another instance
        // takes it in its next round rather than after the lease expired.
        leases.handBack();
        closeJetstream(false);
        closeJetstream(true);
        knots.close();
        server.close();
        // After every way in: no push or manual run can queue a build once the lanes stop.
        builder.close();
        fetcher.close();
        branches.close();
        // After the server: no XRPC request is left to need them, and their HTTP clients' threads end here.
        repoResolver.close();
        patches.close();
        dids.close();
        runs.close();
        providers.close();
        closeQuietly();
    }

    /**
     * This instance's liveness lease lapsed (see {@link LeaseKeeper#onLivenessLost}): its runs may
     * already be driven elsewhere, so it stops as a killed instance would, handing nothing back
     * (what it held has expired or has new holders), and says so through {@link #fenced()}.
     */
    private void fence(String why) {
        log.error("instance {} stops: {}. Its work continues on the other instances; start it again to rejoin.",
                leases.instance().name(), why);
        try {
            kill();
        } finally {
            // Whatever went wrong while stopping, weft serve must exit so that a fresh life starts.
            fenced.complete(why);
        }
    }

    /**
     * Completes, with the reason, when this instance stopped itself because its liveness lease
     * lapsed; {@code weft serve} then exits non-zero so that the service manager starts it afresh.
     */
    public java.util.concurrent.CompletionStage<String> fenced() {
        return fenced.minimalCompletionStage();
    }

    /**
     * For tests: dies as a killed process would, as far as other instances can tell. Renewals stop
     * and nothing is handed back, so its leases and runs wait for expiry; then the process's
     * resources are freed (its run threads interrupted, its connections closed), which the other
     * instances cannot tell from a crash.
     */
    public void kill() {
        leases.abandon();
        close();
    }

    private void closeQuietly() {
        // After the runs (close()) or before anything ran (a failed start): statuses not yet
        // delivered stay queued in the store for the next start.
        if (notifications != null) notifications.close();
        leases.close();
        publisher.close();
        scheduler.shutdownNow();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
        // Last: a plugin's classes may be needed until its provider and notifiers are closed.
        plugins.close();
    }

    private static String versionOf() {
        String v = Weft.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-dev" : v;
    }

    /** Options a test or the demo may change; {@code weft serve} uses the defaults. */
    public static final class Builder {
        private final WeftConfig config;
        private Clock clock = Clock.systemUTC();
        private List<ProviderFactory> factories;
        private PrometheusMeterRegistry meters;
        private RunOptions runOptions = RunOptions.defaults();
        private ServerOptions serverOptions = ServerOptions.defaults();
        private KnotOptions knotOptions = KnotOptions.defaults();
        private boolean consumeKnots = true;
        private boolean jetstream;
        private JetstreamOptions jetstreamOptions = JetstreamOptions.defaults();
        private List<NotifierFactory> notifierFactories;
        private Notifications.Options notifyOptions = Notifications.Options.defaults();
        private InstanceId instance;
        private Duration leaseTtl;
        private Duration leaseEvery;
        private Duration storePolling;

        private Builder(WeftConfig config) {
            this.config = config;
            this.leaseTtl = config.leaseTtl();
            this.leaseEvery = config.leaseRenew();
        }

        public Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        /** Use exactly these providers instead of the class path's. */
        public Builder providers(List<ProviderFactory> f) {
            this.factories = new ArrayList<>(f);
            return this;
        }

        public Builder meters(PrometheusMeterRegistry m) {
            this.meters = m;
            return this;
        }

        public Builder cancelGrace(Duration d) {
            this.runOptions = runOptions.withCancelGrace(d);
            return this;
        }

        public Builder retry(Duration min, Duration max) {
            this.runOptions = runOptions.withRetry(min, max);
            return this;
        }

        /** How long {@link Weft#close()} waits, in all, for the run threads it interrupted to end. */
        public Builder stopWait(Duration d) {
            this.runOptions = runOptions.withStopWait(d);
            return this;
        }

        public Builder serverOptions(ServerOptions o) {
            this.serverOptions = o;
            return this;
        }

        public Builder knotOptions(KnotOptions o) {
            this.knotOptions = o;
            return this;
        }

        /** Whether to connect to the registered repositories' knots (tests that submit directly do not). */
        public Builder consumeKnots(boolean b) {
            this.consumeKnots = b;
            return this;
        }

        /**
         * Whether to follow {@code WEFT_JETSTREAM} for discovery. Off by default so that tests and
         * embedded uses never reach the network; {@code weft serve} turns it on. Registrations it
         * makes start knot consumers only when {@link #consumeKnots} is on.
         */
        public Builder jetstream(boolean follow) {
            this.jetstream = follow;
            return this;
        }

        public Builder jetstreamOptions(JetstreamOptions o) {
            this.jetstreamOptions = o;
            return this;
        }

        /** Use exactly these notifier factories instead of the class path's. */
        public Builder notifiers(List<NotifierFactory> f) {
            this.notifierFactories = new ArrayList<>(f);
            return this;
        }

        /** Delivery tunables (tests shorten the backoff). */
        public Builder notifyOptions(Notifications.Options o) {
            this.notifyOptions = o;
            return this;
        }

        /** This instance's identity (default: {@code WEFT_INSTANCE_ID}, else host name and pid). */
        public Builder instance(InstanceId id) {
            this.instance = id;
            return this;
        }

        /**
         * With a shared database: how long a lease lasts unrenewed (how long a dead instance's
         * knots and runs wait, 15 s by default) and how often leases are renewed and sought (3 s).
         */
        public Builder leases(Duration ttl, Duration every) {
            this.leaseTtl = ttl;
            this.leaseEvery = every;
            return this;
        }

        /**
         * With a shared database: how often the store is looked at for new events, queued statuses
         * and other instances' log lines, besides its signals (1 s with PostgreSQL's, which wake
         * the instance at once; 100 ms when the store sends none). Tests set it long to show that
         * the signals alone deliver.
         */
        public Builder storePolling(Duration every) {
            this.storePolling = every;
            return this;
        }

        public Weft build() throws ProviderConfigException {
            return new Weft(this);
        }

        public Weft start() throws ProviderConfigException {
            return build().start();
        }
    }
}
