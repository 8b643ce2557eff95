package dev.weft.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;
import dev.weft.spi.IllegalTransitionException;
import dev.weft.spi.Run;
import dev.weft.spi.RunLog;
import dev.weft.spi.StatusReporter;
import dev.weft.spi.Step;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory {@link Run} for unit-testing a provider's parts without a weft runtime (for a whole
 * provider inside weft, use {@link ProviderHarness}). It enforces the status state machine as the
 * runtime does ({@link RunState#canMoveTo}; a {@code cancelled} report after a timeout cancel is
 * recorded as {@code timeout}) and records what the provider writes:
 *
 * <ul>
 *   <li>{@link #statuses()} and {@link #states()}, in order;</li>
 *   <li>{@link #lines()}: the log as text, {@code start <id> <name> [<command>] [system]},
 *       {@code line <id> <text>}, {@code end <id>}; {@link #logTimes()} the time of each;</li>
 *   <li>{@link #output()}: the data lines with their step, stream and time; {@link #texts()} their text.</li>
 * </ul>
 *
 * <p>A log line written after the provider reported a terminal status is refused, as the runtime
 * would drop it; a run that ended before the test ({@link #ended}, for testing
 * {@link dev.weft.spi.Provider#fetchLogs}) still takes its log. The same object survives a
 * provider restart: hand it to the next provider's {@code resume}.
 *
 * <pre>{@code
 * FakeRun run = FakeRun.of(1, "engine: mine\nmine: {job: build}\n");
 * provider.spawn(run);
 * assertEquals(List.of(RunState.PENDING, RunState.RUNNING, RunState.SUCCESS), run.states());
 * assertEquals(List.of("start 0 build", "line 0 ok", "end 0"), run.lines());
 * }</pre>
 */
public final class FakeRun implements Run {
    private static final YAMLMapper YAML = new YAMLMapper();

    /** One data line of the log. */
    public record Line(int step, String text, boolean stderr, Instant at) {
    }

    private final long id;
    private final WorkflowId workflowId;
    private final Trigger trigger;
    private final Workflow workflow;
    private final JsonNode spec;
    private final Map<String, String> variables;
    private final Instant createdAt;
    private final Map<String, String> attributes = new ConcurrentHashMap<>();
    private final List<RunState> states = new CopyOnWriteArrayList<>(List.of(RunState.PENDING));
    private final List<Status> statuses = new CopyOnWriteArrayList<>();
    private final List<String> logLines = new CopyOnWriteArrayList<>();
    private final List<Instant> logTimes = new CopyOnWriteArrayList<>();
    private final List<Line> output = new CopyOnWriteArrayList<>();
    private final List<FakeStep> steps = new CopyOnWriteArrayList<>();
    private volatile RunState state = RunState.PENDING;
    /** Set once the provider reported a terminal status: later log lines are a provider bug. */
    private volatile boolean logClosed;
    private volatile String externalId;
    private volatile String webUrl;
    private volatile CancelReason cancelReason;

    /**
     * A run with everything given. Its {@link #block()} is the spec's mapping named after the
     * workflow's engine.
     */
    public FakeRun(long id, WorkflowId workflowId, Trigger trigger, Workflow workflow, JsonNode spec,
                   Map<String, String> variables) {
        this.id = id;
        this.workflowId = workflowId;
        this.trigger = trigger;
        this.workflow = workflow;
        this.spec = spec == null ? MissingNode.getInstance() : spec;
        this.variables = Map.copyOf(variables);
        this.createdAt = Instant.parse("2026-01-01T00:00:00Z");
    }

    /**
     * A run of workflow {@code ci.yml} with {@code yaml} (its engine read from {@code engine:}),
     * triggered by a push of {@code refs/heads/main} at {@link ProviderHarness#SHA} to
     * {@link ProviderHarness#KNOT}/{@link ProviderHarness#DID}/{@link ProviderHarness#REPO}; no variables.
     */
    public static FakeRun of(long id, String yaml) {
        return of(id, new TriggerKind.Push("refs/heads/main", ProviderHarness.SHA, "0".repeat(40)), yaml, Map.of());
    }

    /** As {@link #of(long, String)}, for any trigger kind and with the run's variables. */
    public static FakeRun of(long id, TriggerKind kind, String yaml, Map<String, String> variables) {
        return of(id, new RepoRef(ProviderHarness.KNOT, ProviderHarness.DID, ProviderHarness.REPO), kind, yaml, variables);
    }

    /** As {@link #of(long, String)}, in {@code repo}, for any trigger kind and with the run's variables. */
    public static FakeRun of(long id, RepoRef repo, TriggerKind kind, String yaml, Map<String, String> variables) {
        JsonNode spec = parse(yaml);
        Workflow wf = new Workflow("ci.yml", spec.path("engine").asText(""), null, yaml);
        Trigger t = new Trigger(new PipelineId(repo.knot(), "3lrkey" + id), repo, kind, List.of(wf), Instant.EPOCH);
        return new FakeRun(id, new WorkflowId(t.pipeline(), wf.name()), t, wf, spec, variables);
    }

    /** The YAML as the runtime hands it to providers; not YAML at all is an empty spec. */
    private static JsonNode parse(String yaml) {
        try {
            JsonNode n = YAML.readTree(yaml);
            return n == null ? MissingNode.getInstance() : n;
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    @Override public long id() { return id; }
    @Override public WorkflowId workflowId() { return workflowId; }
    @Override public Trigger trigger() { return trigger; }
    @Override public Workflow workflow() { return workflow; }
    @Override public JsonNode spec() { return spec; }
    @Override public JsonNode block() { return spec.path(workflow.engine()); }
    @Override public Map<String, String> variables() { return variables; }
    @Override public Instant createdAt() { return createdAt; }
    @Override public RunState state() { return state; }

    @Override
    public synchronized void attach(String externalId, String webUrl) {
        this.externalId = externalId;
        this.webUrl = webUrl;
    }

    @Override public Optional<String> externalId() { return Optional.ofNullable(externalId); }
    @Override public Optional<String> webUrl() { return Optional.ofNullable(webUrl); }
    @Override public Optional<String> attribute(String key) { return Optional.ofNullable(attributes.get(key)); }
    @Override public void attribute(String key, String value) { attributes.put(key, value); }

    /** Every attribute the provider recorded. */
    public Map<String, String> attributes() {
        return Map.copyOf(attributes);
    }

    /**
     * Puts the run in a terminal state as if it had ended before the test, without it being a
     * status the provider reported: for {@code fetchLogs}, which writes a finished run's log.
     */
    public synchronized FakeRun ended(Status terminal) {
        if (!terminal.state().isTerminal()) throw new IllegalArgumentException("not terminal: " + terminal);
        state = terminal.state();
        states.add(state);
        return this;
    }

    @Override
    public StatusReporter status() {
        return new StatusReporter() {
            @Override
            public RunState current() {
                return state;
            }

            @Override
            public void report(Status s) {
                if (!offer(s)) {
                    throw new IllegalTransitionException(workflow.engine() + ": run " + id + " cannot move from "
                            + state.wireName() + " to " + s.state().wireName());
                }
            }

            @Override
            public boolean offer(Status s) {
                synchronized (FakeRun.this) {
                    Status effective = s;
                    if (s instanceof Status.Cancelled && cancelReason == CancelReason.TIMEOUT) {
                        effective = new Status.Timeout("workflow timed out");
                    }
                    if (effective.state() == state) return true;
                    if (!state.canMoveTo(effective.state())) return false;
                    state = effective.state();
                    states.add(state);
                    statuses.add(effective);
                    if (state.isTerminal()) {
                        // As the runtime does: open steps end with the run.
                        for (FakeStep st : steps) st.end(null);
                        logClosed = true;
                    }
                    FakeRun.this.notifyAll();
                    return true;
                }
            }
        };
    }

    /** Every state the run went through, {@code pending} first. */
    public List<RunState> states() {
        return List.copyOf(states);
    }

    /** The statuses the provider reported, in order (the initial {@code pending} is not one). */
    public List<Status> statuses() {
        return List.copyOf(statuses);
    }

    /** The last status reported, {@code pending} before any. */
    public Status lastStatus() {
        return statuses.isEmpty() ? new Status.Pending() : statuses.get(statuses.size() - 1);
    }

    /** Marks cancellation as the runtime does before calling the provider's {@code cancel}. */
    public synchronized void requestCancel(CancelReason reason) {
        if (cancelReason == null) cancelReason = reason;
        notifyAll();
    }

    @Override public boolean cancelRequested() { return cancelReason != null; }
    @Override public Optional<CancelReason> cancelReason() { return Optional.ofNullable(cancelReason); }

    @Override
    public synchronized boolean awaitCancel(Duration timeout) {
        long end = System.nanoTime() + timeout.toNanos();
        while (cancelReason == null) {
            long left = end - System.nanoTime();
            if (left <= 0) return false;
            try {
                wait(Math.max(1, left / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return cancelReason != null;
            }
        }
        return true;
    }

    // ---- log ----

    /** The log as recorded text lines (see the class comment). */
    public List<String> lines() {
        return List.copyOf(logLines);
    }

    /** The time the provider gave each of {@link #lines()} ({@code null}: now). */
    public List<Instant> logTimes() {
        return new ArrayList<>(logTimes);
    }

    /** The data lines, in order. */
    public List<Line> output() {
        return List.copyOf(output);
    }

    /** The data lines' text, in order. */
    public List<String> texts() {
        return output.stream().map(Line::text).toList();
    }

    /** The steps' names, in order. */
    public List<String> stepNames() {
        return steps.stream().map(s -> s.name).toList();
    }

    private void record(String line, Instant at) {
        if (logClosed && !line.startsWith("end ")) {
            throw new IllegalStateException("log written after the run ended: " + line);
        }
        logLines.add(line);
        logTimes.add(at);
    }

    @Override
    public RunLog log() {
        return new RunLog() {
            @Override
            public Step startStep(String name, String command, boolean system, Instant at) {
                synchronized (FakeRun.this) {
                    FakeStep s = new FakeStep(steps.size(), name);
                    record("start " + s.id + " " + name + (command.isEmpty() ? "" : " [" + command + "]")
                            + (system ? " system" : ""), at);
                    steps.add(s);
                    return s;
                }
            }

            @Override
            public List<Step> steps() {
                return new ArrayList<>(steps);
            }
        };
    }

    private final class FakeStep implements Step {
        final int id;
        final String name;
        volatile boolean ended;

        FakeStep(int id, String name) {
            this.id = id;
            this.name = name;
        }

        @Override public int id() { return id; }
        @Override public String name() { return name; }
        @Override public boolean ended() { return ended; }

        @Override
        public void line(boolean stderr, String text, Instant at) {
            synchronized (FakeRun.this) {
                if (ended) throw new IllegalStateException("step " + id + " ended");
                record("line " + id + " " + text, at);
                output.add(new Line(id, text, stderr, at));
            }
        }

        @Override
        public void end(Instant at) {
            synchronized (FakeRun.this) {
                if (ended) return;
                ended = true;
                record("end " + id, at);
            }
        }
    }
}
