package dev.weft.runs;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Supplier;
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
import dev.weft.store.RunStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The runtime's {@link Run}: the provider-facing handle of one workflow run. Status reports are
 * checked against {@link RunState}, persisted with their publication time, and on a terminal status
 * the log is closed; all under this handle's lock so concurrent reporters cannot interleave.
 * Everything it needs besides its own run comes in its {@link Wiring}, shared by every handle.
 */
final class RunHandle implements Run, StatusReporter {
    private static final Logger log = LoggerFactory.getLogger(RunHandle.class);

    private final Wiring wiring;
    private final long id;
    private final WorkflowId workflowId;
    private final String engine;
    private final Trigger trigger;
    private final Workflow workflow;
    /** Parsed on first use, on the run's own thread: the knot consumer that creates the handle must not wait for YAML. */
    private final Supplier<JsonNode> spec;
    private final Map<String, String> variables;
    /** The log writer on this instance; made on first use when the provider's writes are parked. */
    private final Supplier<RunLogWriter> writers;
    private volatile RunLogWriter writer;
    private final RunLog providerLog;
    /** Another instance drives the run: this handle's log writes are parked, and it writes the log only if the log falls to it. */
    private final boolean drivenElsewhere;
    private final Secrets secrets;
    private final CountDownLatch cancelLatch = new CountDownLatch(1);

    private volatile RunState state;
    private volatile String externalId;
    private volatile String webUrl;
    private volatile CancelReason cancelReason;
    /** Set while the run waits for its concurrency group: a cancel then needs no provider. */
    private volatile boolean waitingInGroup;
    /** The error of a run a newer run of its group cancels (cancel-in-progress); null otherwise. */
    private volatile String supersededBy;
    /** The latest publication time scheduled for this run, for the status gap (nanos). */
    private long lastScheduled;

    RunHandle(Wiring wiring, RunRecord record, Trigger trigger, Workflow workflow, Supplier<JsonNode> spec,
              Map<String, String> variables, Supplier<RunLogWriter> writer, RunLog parked, long lastScheduled,
              Secrets secrets) {
        this.wiring = wiring;
        this.id = record.id();
        this.workflowId = record.workflow();
        this.engine = record.engine();
        this.trigger = trigger;
        this.workflow = workflow;
        this.spec = spec;
        this.variables = variables;
        this.writers = writer;
        this.secrets = secrets;
        // A run another instance drives: the provider's writes wait in the inbox for that one, and a
        // writer here is made only if the log falls to this handle (it stores the run's end, and
        // that instance is gone: LogEnds).
        this.drivenElsewhere = parked != null;
        RunLog own = parked != null ? parked : writer();
        this.providerLog = secrets.mask().isEmpty() ? own : new MaskedLog(own, secrets.mask());
        this.state = record.state();
        this.externalId = record.externalId();
        this.webUrl = record.webUrl();
        this.lastScheduled = lastScheduled;
        if (record.cancelReason() != null) {
            this.cancelReason = CancelReason.valueOf(record.cancelReason());
            cancelLatch.countDown();
        }
    }

    /**
     * What every handle shares, given once by the runtime.
     *
     * @param store          where the run's state, attributes and statuses go
     * @param pacing         when its statuses may be published
     * @param clock          the time its log is completed at
     * @param timeoutMessage the error of a run cancelled by the workflow timeout
     * @param statusQueued   told after each status was stored (wakes the publisher)
     * @param ended          told once, after the run's terminal status was stored and its log completed
     * @param notices        advice for a failed run's log (read on each use: bound after start-up)
     * @param beforeLogEnds  told just before a run's log is completed here, with its writer (the
     *                       parked writes of other instances go in then)
     * @param logEnds        which instance completes an ended run's log (several instances)
     */
    record Wiring(RunStore store, Pacing pacing, Clock clock, String timeoutMessage, Runnable statusQueued,
                  Consumer<RunHandle> ended, Supplier<RunNotices> notices,
                  java.util.function.BiConsumer<Long, RunLogWriter> beforeLogEnds, LogEnds logEnds) {
    }

    /** This run's log writer on this instance, made on first use. */
    RunLogWriter writer() {
        RunLogWriter w = writer;
        if (w != null) return w;
        synchronized (writers) {
            if (writer == null) writer = writers.get();
            return writer;
        }
    }

    String engine() {
        return engine;
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
        return spec.get();
    }

    @Override
    public JsonNode block() {
        return spec().path(engine);
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
        wiring.store().attach(id, externalId, webUrl);
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
        return wiring.store().attribute(id, key);
    }

    @Override
    public void attribute(String key, String value) {
        wiring.store().attribute(id, key, value);
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

    /** Whether the run waits for its concurrency group (not handed to its provider yet). */
    boolean waitingInGroup() {
        return waitingInGroup;
    }

    void waitingInGroup(boolean waiting) {
        this.waitingInGroup = waiting;
    }

    /**
     * Records that a newer run of the run's group replaces it: its cancel then ends with
     * {@code message}, whatever the provider says. Returns false when it was recorded before.
     */
    synchronized boolean supersede(String message) {
        if (supersededBy != null) return false;
        supersededBy = message;
        return true;
    }

    /** Marks cancellation requested; returns false when it already was or the run is terminal. */
    synchronized boolean requestCancel(CancelReason reason) {
        if (state.isTerminal() || cancelReason != null) return false;
        wiring.store().setCancelReason(id, reason.name());
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
        Status status;
        Status movedElsewhere = null;
        boolean moved;
        synchronized (this) {
            status = masked(translate(requested));
            if (status.state() == state) return true;
            if (!state.canMoveTo(status.state())) return false;
            long notBefore = wiring.pacing().notBefore(createdAt(), lastScheduled);
            if (wiring.store().transition(id, status, notBefore, wiring.pacing().now())) {
                lastScheduled = notBefore;
                state = status.state();
                moved = true;
            } else {
                // Another instance moved the run first (a webhook that landed there, say): the
                // stored state is the truth, and this handle takes it instead of publishing.
                movedElsewhere = take(wiring.store().run(id).orElseThrow());
                moved = false;
            }
        }
        if (!moved) {
            log.info("{} was moved to {} elsewhere; {} not published", this, state.wireName(), status.state().wireName());
            settled(movedElsewhere);
            return movedElsewhere.state() == status.state();
        }
        wiring.statusQueued().run();
        log.info("{} -> {}{}", this, status.state().wireName(), status.error().map(m -> ": " + m).orElse(""));
        if (status.state().isTerminal()) {
            // Stored here for a run another instance drives: its log is that instance's to
            // complete (it numbers the lines), unless it is gone; see LogEnds.
            if (!drivenElsewhere) completeLog(status);
            else if (!wiring.logEnds().completeIfMine(id, () -> completeLog(status))) {
                log.info("{}: its log is left to the instance that drives it", this);
            }
            wiring.ended().accept(this);
        }
        return true;
    }

    /** Takes the stored state as this handle's; the caller holds the lock. */
    private Status take(RunRecord stored) {
        state = stored.state();
        return Status.of(state, stored.error(), stored.exitCode());
    }

    /**
     * After {@link #take}, outside the lock: a run ended elsewhere ends here too. Several instances
     * sharing the store, the instance that drives the run completes its log with the stored end
     * (the instance that stored it left the log to this one's writer, the only one numbering its
     * lines), unless the log is not this instance's any more (see {@link LogEnds}). Alone on the
     * store, the handle that stored the end completed the log: this one closes without writing.
     */
    private void settled(Status stored) {
        if (!stored.state().isTerminal()) return;
        if (drivenElsewhere || !wiring.logEnds().shared() || !wiring.logEnds().completeIfMine(id, () -> completeLog(stored))) {
            // A handle whose provider's writes were parked never had a writer here: nothing to close.
            RunLogWriter w = writer;
            if (w != null) w.completedElsewhere();
        }
        // A provider waiting for a cancel (awaitCancel) stops waiting: the run is over.
        cancelLatch.countDown();
        wiring.ended().accept(this);
    }

    /**
     * Catches up with a status another instance stored for this run (a webhook applied there):
     * when the stored run ended, this handle ends too, without publishing anything.
     */
    void catchUp(RunRecord stored) {
        Status end;
        synchronized (this) {
            if (state.isTerminal() || !stored.state().isTerminal()) return;
            end = take(stored);
        }
        log.info("{} ended elsewhere as {}", this, end.state().wireName());
        settled(end);
    }

    /** A system step carrying one message, written by the runtime before the provider starts. */
    void systemMessage(String step, String message) {
        writer().systemMessage(step, message);
    }

    /**
     * Completes the log of a run that ended before this handle was made (loaded from the store to
     * complete a log that fell to this instance), with the end as stored.
     */
    void completeEnded(RunRecord stored) {
        completeLog(Status.of(stored.state(), stored.error(), stored.exitCode()));
    }

    /** Closes the log at the run's end; a run that failed before any step still shows why, as a system step. */
    private void completeLog(Status end) {
        RunLogWriter writer = writer();
        if (writer.isComplete()) return;
        try {
            wiring.beforeLogEnds().accept(id, writer);
        } catch (RuntimeException e) {
            log.warn("{}: log writes parked by other instances not written before the log ends: {}", this, e.toString());
        }
        if (!writer.hasSteps() && end.error().isPresent()) writer.systemMessage("weft", end.error().get());
        adviceStep(end);
        writer.complete(wiring.clock().instant());
    }

    /**
     * The operator's advice for this failure, as a last system step: the appview's log viewer shows
     * it to everyone who opens the failed workflow. Advice is a courtesy: a failure here is logged,
     * never allowed to keep the log open.
     */
    private void adviceStep(Status end) {
        if (end.state() != RunState.FAILED && end.state() != RunState.TIMEOUT) return;
        try {
            wiring.notices().get().advice(id, engine, trigger, workflowId, end).ifPresent(lines -> {
                Step s = writer().startStep("advice", "", true, null);
                for (String l : lines) s.line(false, l, null);
                s.end(null);
            });
        } catch (RuntimeException e) {
            log.warn("{}: no advice step: {}", this, e.toString());
        }
    }

    /**
     * A cancel the runtime asked for because of the timeout is reported as what it is, and one a
     * newer run of the group asked for names that run's pipeline.
     */
    private Status translate(Status s) {
        if (s instanceof Status.Cancelled c && cancelReason == CancelReason.TIMEOUT) {
            return new Status.Timeout(wiring.timeoutMessage());
        }
        if (s instanceof Status.Cancelled && supersededBy != null) return new Status.Cancelled(supersededBy);
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

    /**
     * The job's own view of the log, for what it posts to its callback URL: steps of its own,
     * numbered with the provider's, masked like everything else.
     */
    RunLog callbackLog() {
        RunLog own = writer().callbackLog();
        return secrets.mask().isEmpty() ? own : new MaskedLog(own, secrets.mask());
    }

    /** The provider's view of the log: step names and commands masked like data lines. */
    private record MaskedLog(RunLog log, SecretMask mask) implements RunLog {
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
