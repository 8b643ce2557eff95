package dev.weft.testkit;

import dev.weft.config.WeftConfig;
import dev.weft.daemon.Weft;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.notifications.Notifications;
import dev.weft.runs.RunManager;
import dev.weft.runs.RunOptions;
import dev.weft.server.ServerOptions;
import dev.weft.spi.CancelReason;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.store.RunRecord;
import dev.weft.wire.Tid;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * Runs providers inside a real weft runtime for tests: a SQLite database in a temporary directory,
 * the Netty server on an ephemeral loopback port with the providers' webhook routes mounted, and
 * zero status delays. Triggers are submitted directly (no knot); statuses and log frames are read
 * back from the store exactly as {@code /events} and {@code /logs} serve them.
 *
 * <p>Its API speaks only the SPI's and the domain model's types ({@code dev.weft.spi},
 * {@code dev.weft.model}, Micrometer): weft's runtime classes behind it may change in any release
 * without breaking a provider's tests.
 *
 * <pre>{@code
 * try (ProviderHarness h = ProviderHarness.builder(new MyProviderFactory())
 *         .env("WEFT_MINE_TOKEN", "t").start()) {
 *     TestRun r = h.push("ci.yml", "engine: mine\nmine: {job: x}\n");
 *     r.awaitState(RunState.SUCCESS);
 *     assertEquals(List.of(PENDING, RUNNING, SUCCESS), r.states());
 * }
 * }</pre>
 */
public final class ProviderHarness implements AutoCloseable {
    public static final String KNOT = "knot.test";
    public static final String DID = "did:plc:testowner";
    public static final String REPO = "repo";
    public static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private final Builder builder;
    private final Weft weft;

    private ProviderHarness(Builder builder, Weft weft) {
        this.builder = builder;
        this.weft = weft;
    }

    public static Builder builder(ProviderFactory... factories) {
        return new Builder(List.of(factories));
    }

    /** The base URL of weft's server, for posting webhooks: {@code http://127.0.0.1:<port>}. */
    public String baseUrl() {
        return weft.baseUrl();
    }

    /** The metrics registry providers register their meters in (what {@code /metrics} serves). */
    public MeterRegistry meters() {
        return weft.meters();
    }

    /**
     * Adds a repository secret to the harness's repository ({@link #DID}/{@link #REPO}), as the
     * appview's secret settings do; runs started afterwards see it in {@link Run#variables()}.
     *
     * @return false when the repository already has {@code key} (nothing changes: remove it first)
     * @throws IllegalArgumentException when weft refuses the key or value, as the appview would be refused
     */
    public boolean addSecret(String key, String value) {
        return weft.secrets().add(DID, REPO, "at://" + DID + "/sh.tangled.repo/3kharness", key, value, DID);
    }

    /** Removes a repository secret; returns whether there was one. */
    public boolean removeSecret(String key) {
        return weft.secrets().remove(DID, REPO, key);
    }

    /** The runtime, for weft's own tests (in this package's test tree); not part of the kit's API. */
    Weft weft() {
        return weft;
    }

    /** Submits a push of {@code refs/heads/main} at {@link #SHA} with one workflow. */
    public TestRun push(String workflow, String yaml) {
        return push(workflow, yaml, "refs/heads/main", SHA);
    }

    public TestRun push(String workflow, String yaml, String ref, String sha) {
        return submit(new TriggerKind.Push(ref, sha, "0".repeat(40)), workflow, yaml);
    }

    /** Submits a pull request from {@code feature} at {@link #SHA} into {@code main}. */
    public TestRun pullRequest(String workflow, String yaml) {
        return submit(new TriggerKind.PullRequest("feature", "main", SHA, "create"), workflow, yaml);
    }

    public TestRun manual(String workflow, String yaml, Map<String, String> inputs) {
        List<TriggerKind.Input> in = new ArrayList<>();
        inputs.forEach((k, v) -> in.add(new TriggerKind.Input(k, v)));
        return submit(new TriggerKind.Manual(in), workflow, yaml);
    }

    /** Submits a one-workflow trigger of any kind; the engine is read from the YAML's {@code engine:}. */
    public TestRun submit(TriggerKind kind, String workflow, String yaml) {
        return submitAll(kind, Map.of(workflow, yaml)).get(0);
    }

    /** Submits one trigger with several workflows (name to YAML, in order). */
    public List<TestRun> submitAll(TriggerKind kind, Map<String, String> workflows) {
        String rkey = Tid.of(Instant.now().toEpochMilli() * 1000, COUNTER.incrementAndGet() & 0x3ff);
        List<Workflow> wfs = new ArrayList<>();
        workflows.forEach((name, yaml) -> wfs.add(new Workflow(name, engineOf(yaml), null, yaml)));
        Trigger t = new Trigger(new PipelineId(KNOT, rkey), new RepoRef(KNOT, DID, REPO), kind, wfs, Instant.now());
        weft.runs().accept(t);
        List<TestRun> out = new ArrayList<>();
        for (Workflow w : wfs) out.add(new TestRun(new WorkflowId(t.pipeline(), w.name())));
        return out;
    }

    private static String engineOf(String yaml) {
        for (String line : yaml.split("\n")) {
            if (line.startsWith("engine:")) {
                return line.substring("engine:".length()).strip().replace("\"", "").replace("'", "");
            }
        }
        return "";
    }

    /** A workflow submitted earlier (before a {@link #restart()}, say), observed in this runtime. */
    public TestRun run(WorkflowId id) {
        return new TestRun(id);
    }

    /** Stops this runtime and starts a new one on the same database, with new provider instances. */
    public ProviderHarness restart() {
        weft.close();
        return builder.startOn(builder.dataDir);
    }

    @Override
    public void close() {
        weft.close();
    }

    /** One submitted workflow, observed through the store. */
    public final class TestRun {
        private final WorkflowId id;

        TestRun(WorkflowId id) {
            this.id = id;
        }

        public WorkflowId workflowId() {
            return id;
        }

        /** The store's row, for weft's own tests (in this package's test tree); not part of the kit's API. */
        RunRecord record() {
            return weft.store().runs().run(id).orElseThrow(() -> new AssertionError("no run for " + id));
        }

        /** The run's id, {@link Run#id()}. */
        public long runId() {
            return record().id();
        }

        /** The run's current state, published or not yet. */
        public RunState state() {
            return record().state();
        }

        /** Whether the run's log is complete (its terminal status is in, and the provider's last lines). */
        public boolean logComplete() {
            return record().logComplete();
        }

        /** The provider-facing run (externalId, attributes, ...). */
        public Run run() {
            return weft.runs().byId(runId()).orElseThrow();
        }

        /** Published statuses in order. */
        public List<Status> statuses() {
            return weft.store().statuses().publishedStatuses(runId());
        }

        public List<RunState> states() {
            return statuses().stream().map(Status::state).toList();
        }

        public Status lastStatus() {
            List<Status> s = statuses();
            if (s.isEmpty()) throw new AssertionError("no status published for " + id);
            return s.get(s.size() - 1);
        }

        /** Waits until {@code state} has been published (20 s at most). */
        public TestRun awaitState(RunState state) {
            return awaitState(state, Duration.ofSeconds(20));
        }

        public TestRun awaitState(RunState state, Duration timeout) {
            await().atMost(timeout).pollInterval(Duration.ofMillis(20))
                    .untilAsserted(() -> {
                        if (!states().contains(state)) {
                            throw new AssertionError(id + " never published " + state.wireName() + "; published "
                                    + states() + ", current " + state());
                        }
                    });
            return this;
        }

        /** Waits until a terminal status was published and the log is complete; returns it. */
        public Status awaitTerminal() {
            return awaitTerminal(Duration.ofSeconds(20));
        }

        public Status awaitTerminal(Duration timeout) {
            await().atMost(timeout).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
                if (!(lastStatusOrNull() != null && lastStatusOrNull().state().isTerminal() && logComplete())) {
                    throw new AssertionError(id + " not terminal; published " + states());
                }
            });
            return lastStatus();
        }

        private Status lastStatusOrNull() {
            List<Status> s = statuses();
            return s.isEmpty() ? null : s.get(s.size() - 1);
        }

        /** The /logs frames of this workflow, exactly as served. */
        public List<String> logFrames() {
            List<String> out = new ArrayList<>();
            weft.store().logs().after(runId(), 0, Integer.MAX_VALUE)
                    .forEach(l -> out.add(new String(l.frame(), StandardCharsets.UTF_8)));
            return out;
        }

        /**
         * Cancels as the appview's cancel button does.
         *
         * @return true when the cancel was requested, false when the run had already ended
         */
        public boolean cancel() {
            RunManager.CancelOutcome outcome = weft.runs().cancel(id, CancelReason.REQUESTED);
            if (outcome == RunManager.CancelOutcome.NOT_FOUND) throw new AssertionError("no run for " + id);
            return outcome == RunManager.CancelOutcome.REQUESTED;
        }
    }

    /** Configures a harness. */
    public static final class Builder {
        private final List<ProviderFactory> factories;
        private final Map<String, String> env = new LinkedHashMap<>();
        private Duration workflowTimeout = Duration.ofMinutes(10);
        private Duration cancelGrace = Duration.ofSeconds(30);
        private Clock clock = Clock.systemUTC();
        private Path dataDir;
        private Duration firstStatusDelay = Duration.ZERO;
        private Duration statusGap = Duration.ZERO;
        private Duration stopWait = RunOptions.defaults().stopWait();
        private Notifications.Options notifyOptions = Notifications.Options.defaults();

        Builder(List<ProviderFactory> factories) {
            this.factories = factories;
        }

        /** An environment variable the providers' configuration sees. */
        public Builder env(String name, String value) {
            env.put(name, value);
            return this;
        }

        public Builder env(Map<String, String> vars) {
            env.putAll(vars);
            return this;
        }

        public Builder workflowTimeout(Duration d) {
            this.workflowTimeout = d;
            return this;
        }

        /** How long a provider has to confirm a cancel before the runtime ends the run itself. */
        public Builder cancelGrace(Duration d) {
            this.cancelGrace = d;
            return this;
        }

        /** The appview pacing rules (zero by default in tests). */
        public Builder statusDelays(Duration firstStatus, Duration gap) {
            this.firstStatusDelay = firstStatus;
            this.statusGap = gap;
            return this;
        }

        /** How long closing waits for the run threads it interrupted (weft's default, 10 s, when not set). */
        public Builder stopWait(Duration d) {
            this.stopWait = d;
            return this;
        }

        /** Notification delivery tunables, for weft's own tests; notifiers are configured with {@link #env}. */
        Builder notifyOptions(Notifications.Options o) {
            this.notifyOptions = o;
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        /** Where the database lives; a fresh temporary directory when not set. */
        public Builder dataDir(Path dir) {
            this.dataDir = dir;
            return this;
        }

        public ProviderHarness start() {
            if (dataDir == null) {
                try {
                    dataDir = Files.createTempDirectory("weft-harness");
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            return startOn(dataDir);
        }

        ProviderHarness startOn(Path dir) {
            Map<String, String> all = new LinkedHashMap<>(env);
            all.put("WEFT_HOSTNAME", "weft.test");
            all.put("WEFT_OWNER_DID", DID);
            all.put("WEFT_LISTEN", "127.0.0.1:0");
            // The kit runs on SQLite in the data directory unless the environment names another
            // database (a PostgreSQL URL: the kit then runs against it, with a key file beside).
            all.putIfAbsent("WEFT_DB", dir.resolve("weft.db").toString());
            all.putIfAbsent("WEFT_SECRETS_KEY_FILE", dir.resolve("weft-secrets.key").toString());
            all.put("WEFT_REPOS", KNOT + "/" + DID + "/" + REPO);
            all.put("WEFT_WORKFLOW_TIMEOUT", workflowTimeout.toMillis() + "ms");
            all.put("WEFT_FIRST_STATUS_DELAY", firstStatusDelay.toMillis() + "ms");
            all.put("WEFT_STATUS_GAP", statusGap.toMillis() + "ms");
            try {
                WeftConfig config = WeftConfig.from(all);
                Weft weft = Weft.builder(config).clock(clock).providers(factories).cancelGrace(cancelGrace)
                        .retry(Duration.ofMillis(50), Duration.ofSeconds(1)).stopWait(stopWait)
                        .notifyOptions(notifyOptions)
                        .serverOptions(ServerOptions.defaults())
                        // Triggers are submitted directly: the harness's knot does not exist.
                        .consumeKnots(false)
                        .start();
                return new ProviderHarness(this, weft);
            } catch (WeftConfig.InvalidConfigException | ProviderConfigException e) {
                throw new IllegalStateException("harness configuration rejected: " + e.getMessage(), e);
            }
        }
    }
}
