package dev.weft.provider.buildkite.fake;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.spi.CancelReason;
import dev.weft.spi.IllegalTransitionException;
import dev.weft.spi.Run;
import dev.weft.spi.RunLog;
import dev.weft.spi.StatusReporter;
import dev.weft.spi.Step;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An in-memory {@link Run} that enforces the status state machine like the runtime does (a
 * cancelled report after a timeout cancel is recorded as timeout) and records the log as text:
 * {@code start <id> <name> [<command>] [system]}, {@code line <id> <text>}, {@code end <id>}.
 * Survives a provider restart: hand the same object to the next provider's {@code resume}.
 */
public final class FakeRun implements Run {
    private final long id;
    private final WorkflowId workflowId;
    private final Trigger trigger;
    private final Workflow workflow;
    private final JsonNode spec;
    private final JsonNode block;
    private final Map<String, String> variables;
    private final Map<String, String> attributes = new ConcurrentHashMap<>();
    private final List<RunState> states = new CopyOnWriteArrayList<>(List.of(RunState.PENDING));
    private final List<Status> statuses = new CopyOnWriteArrayList<>();
    private final List<String> logLines = new CopyOnWriteArrayList<>();
    private final List<Instant> logTimes = new CopyOnWriteArrayList<>();
    private final List<FakeStep> steps = new CopyOnWriteArrayList<>();
    private volatile RunState state = RunState.PENDING;
    private volatile String externalId;
    private volatile String webUrl;
    private volatile CancelReason cancelReason;

    public FakeRun(long id, WorkflowId workflowId, Trigger trigger, Workflow workflow, JsonNode spec,
                   Map<String, String> variables) {
        this.id = id;
        this.workflowId = workflowId;
        this.trigger = trigger;
        this.workflow = workflow;
        this.spec = spec;
        this.block = spec.path("buildkite");
        this.variables = Map.copyOf(variables);
    }

    @Override public long id() { return id; }
    @Override public WorkflowId workflowId() { return workflowId; }
    @Override public Trigger trigger() { return trigger; }
    @Override public Workflow workflow() { return workflow; }
    @Override public JsonNode spec() { return spec; }
    @Override public JsonNode block() { return block == null ? MissingNode.getInstance() : block; }
    @Override public Map<String, String> variables() { return variables; }
    @Override public Instant createdAt() { return Instant.parse("2026-01-01T00:00:00Z"); }
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

    public Map<String, String> attributes() {
        return Map.copyOf(attributes);
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
                    throw new IllegalTransitionException("buildkite: run " + id + " cannot move from "
                            + state.wireName() + " to " + s.state().wireName());
                }
            }

            @Override
            public boolean offer(Status s) {
                synchronized (FakeRun.this) {
                    Status effective = s;
                    if (s instanceof Status.Cancelled c && cancelReason == CancelReason.TIMEOUT) {
                        effective = new Status.Timeout("workflow timed out");
                    }
                    if (effective.state() == state) return true;
                    if (!state.canMoveTo(effective.state())) return false;
                    state = effective.state();
                    states.add(state);
                    statuses.add(effective);
                    if (state.isTerminal()) {
                        for (FakeStep st : steps) if (!st.ended) st.end(null);
                    }
                    FakeRun.this.notifyAll();
                    return true;
                }
            }
        };
    }

    public List<RunState> states() {
        return List.copyOf(states);
    }

    public List<Status> statuses() {
        return List.copyOf(statuses);
    }

    public Status lastStatus() {
        return statuses.isEmpty() ? new Status.Pending() : statuses.get(statuses.size() - 1);
    }

    /** Marks cancellation as the runtime does before calling the provider's cancel. */
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

    /** The log as recorded text lines. */
    public List<String> lines() {
        return List.copyOf(logLines);
    }

    public List<Instant> logTimes() {
        return new ArrayList<>(logTimes);
    }

    private synchronized void record(String line, Instant at) {
        if (state.isTerminal() && !line.startsWith("end ")) {
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
                    steps.add(s);
                    record("start " + s.id + " " + name + (command.isEmpty() ? "" : " [" + command + "]")
                            + (system ? " system" : ""), at);
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
