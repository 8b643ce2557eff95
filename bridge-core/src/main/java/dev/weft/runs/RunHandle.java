package dev.weft.runs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.logs.RunLogWriter;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.secrets.SecretMask;
import dev.weft.spi.CancelReason;
import dev.weft.spi.IllegalTransitionException;
import dev.weft.spi.Run;
import dev.weft.spi.RunLog;
import dev.weft.spi.Step;
import dev.weft.spi.StatusReporter;
import dev.weft.store.RunRecord;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The runtime's {@link Run}: the provider-facing handle of one workflow run. Status reports are
 * checked against {@link RunState}, persisted with their publication time, and on a terminal status
 * the log is closed; all under this handle's lock so concurrent reporters cannot interleave.
 */
final class RunHandle implements Run, StatusReporter {
    private final RunManager manager;
    private final long id;
    private final WorkflowId workflowId;
    private final String engine;
    private final Trigger trigger;
    private final Workflow workflow;
    private final JsonNode spec;
    private final Map<String, String> variables;
    private final RunLogWriter log;
    private final RunLog providerLog;
    private final Secrets secrets;
    private final CountDownLatch cancelLatch = new CountDownLatch(1);

    private volatile RunState state;
    private volatile String externalId;
    private volatile String webUrl;
    private volatile CancelReason cancelReason;
    /** The latest publication time scheduled for this run, for the status gap (nanos). */
    private long lastScheduled;

    RunHandle(RunManager manager, RunRecord record, Trigger trigger, Workflow workflow, JsonNode spec,
              Map<String, String> variables, RunLogWriter log, long lastScheduled, Secrets secrets) {
        this.manager = manager;
        this.id = record.id();
        this.workflowId = record.workflow();
        this.engine = record.engine();
        this.trigger = trigger;
        this.workflow = workflow;
        this.spec = spec;
        this.variables = variables;
        this.log = log;
        this.secrets = secrets;
        this.providerLog = secrets.mask().isEmpty() ? log : new MaskedLog(log, secrets.mask());
        this.state = record.state();
        this.externalId = record.externalId();
        this.webUrl = record.webUrl();
        this.lastScheduled = lastScheduled;
        if (record.cancelReason() != null) {
            this.cancelReason = CancelReason.valueOf(record.cancelReason());
            cancelLatch.countDown();
        }
    }

    String engine() {
        return engine;
    }

    RunLogWriter writer() {
        return log;
    }

    /** Why the repository's secrets could not be read, or null. */
    String secretsError() {
        return secrets.error();
    }

    @Override
    public long id() {
        return id;
    }

    @Override
    public WorkflowId workflowId() {
        return workflowId;
    }

    @Override
    public Trigger trigger() {
        return trigger;
    }

    @Override
    public Workflow workflow() {
        return workflow;
    }

    @Override
    public JsonNode spec() {
        return spec;
    }

    @Override
    public JsonNode block() {
        return spec.path(engine);
    }

    @Override
    public Map<String, String> variables() {
        return variables;
    }

    @Override
    public Map<String, String> secrets() {
        return secrets.values();
    }

    @Override
    public Instant createdAt() {
        return trigger.receivedAt();
    }

    @Override
    public RunState state() {
        return state;
    }

    @Override
    public void attach(String externalId, String webUrl) {
        manager.store().attach(id, externalId, webUrl);
        this.externalId = externalId;
        this.webUrl = webUrl;
    }

    @Override
    public Optional<String> externalId() {
        return Optional.ofNullable(externalId);
    }

    @Override
    public Optional<String> webUrl() {
        return Optional.ofNullable(webUrl);
    }

    @Override
    public Optional<String> attribute(String key) {
        return manager.store().attribute(id, key);
    }

    @Override
    public void attribute(String key, String value) {
        manager.store().attribute(id, key, value);
    }

    @Override
    public StatusReporter status() {
        return this;
    }

    @Override
    public RunLog log() {
        return providerLog;
    }

    @Override
    public boolean cancelRequested() {
        return cancelReason != null;
    }

    @Override
    public Optional<CancelReason> cancelReason() {
        return Optional.ofNullable(cancelReason);
    }

    @Override
    public boolean awaitCancel(Duration timeout) {
        try {
            return cancelLatch.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return cancelRequested();
        }
    }

    /** Marks cancellation requested; returns false when it already was or the run is terminal. */
    synchronized boolean requestCancel(CancelReason reason) {
        if (state.isTerminal() || cancelReason != null) return false;
        manager.store().setCancelReason(id, reason.name());
        cancelReason = reason;
        cancelLatch.countDown();
        return true;
    }

    @Override
    public RunState current() {
        return state;
    }

    @Override
    public void report(Status status) {
        if (!move(status)) {
            throw new IllegalTransitionException("provider '" + engine + "' reported " + status.state().wireName()
                    + " for run " + id + " (" + workflowId + ") which is " + state.wireName()
                    + "; allowed next: " + state.successors());
        }
    }

    @Override
    public boolean offer(Status status) {
        return move(status);
    }

    private boolean move(Status requested) {
        boolean terminal;
        Status status;
        synchronized (this) {
            status = masked(translate(requested));
            if (status.state() == state) return true;
            if (!state.canMoveTo(status.state())) return false;
            long notBefore = manager.notBefore(this, lastScheduled);
            manager.store().transition(id, status, notBefore, manager.nowNanos());
            lastScheduled = notBefore;
            state = status.state();
            terminal = state.isTerminal();
        }
        manager.transitioned(this, status);
        if (terminal) manager.terminated(this, status);
        return true;
    }

    /** A cancel the runtime asked for because of the timeout is reported as what it is. */
    private Status translate(Status s) {
        if (s instanceof Status.Cancelled c && cancelReason == CancelReason.TIMEOUT) {
            return new Status.Timeout(manager.timeoutMessage());
        }
        return s;
    }

    /** A status whose error text could carry a secret (a provider's exception message) is masked. */
    private Status masked(Status s) {
        if (secrets.mask().isEmpty() || s.error().isEmpty()) return s;
        String m = secrets.mask().apply(s.error().get());
        return m.equals(s.error().get()) ? s : Status.of(s.state(), m, s.exitCode().orElse(null));
    }

    /**
     * A run's secrets as the runtime holds them: the values handed to the provider, the mask of
     * every log line, and why they could not be read (the run then fails before its provider sees it).
     */
    record Secrets(Map<String, String> values, SecretMask mask, String error) {
        static final Secrets NONE = new Secrets(Map.of(), SecretMask.none(), null);
    }

    /** The provider's view of the log: step names and commands masked like data lines. */
    private record MaskedLog(RunLogWriter log, SecretMask mask) implements RunLog {
        @Override
        public Step startStep(String name, String command, boolean system, Instant at) {
            return log.startStep(mask.apply(name), command == null ? null : mask.apply(command), system, at);
        }

        @Override
        public List<Step> steps() {
            return log.steps();
        }
    }

    @Override
    public String toString() {
        return "run " + id + " (" + workflowId + ", engine " + engine + ")";
    }
}
