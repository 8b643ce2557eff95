package dev.weft.logs;

import dev.weft.model.LogLine;
import dev.weft.model.LogLine.StepKind;
import dev.weft.model.LogLine.StepStatus;
import dev.weft.model.LogLine.Stream;
import dev.weft.spi.RunLog;
import dev.weft.spi.Step;
import dev.weft.store.ParkedLogOp;
import dev.weft.store.StepRecord;
import dev.weft.model.Nanos;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * One run's log writer: numbers steps and lines, writes the control lines, and keeps the rule that
 * every step has a start before its data and an end after it. Thread-safe; lines from concurrent
 * writers are ordered by a per-run lock so sequence order is store order is viewer order.
 *
 * <p>Two writers share the numbering: the provider (this object as a {@link RunLog}) and the job
 * itself through its callback URL ({@link #callbackLog()}). Each sees only its own steps, so a
 * provider that finds its open steps again by name never writes into a step the job reported, and
 * step ids never collide whichever arrives first.
 */
public final class RunLogWriter implements RunLog {
    private final LogHub hub;
    private final long runId;
    private final UnaryOperator<String> filter;
    private final List<StepImpl> steps = new ArrayList<>();
    /**
     * The most recent frames, so live viewers of a running workflow are served from memory instead
     * of each re-reading the store on every line; slot {@code seq % tail.length} holds line {@code seq}.
     */
    private static final int TAIL = 4096;
    /** Grows from nothing up to TAIL slots: most runs write few lines, and thousands may be open. */
    private LogFeed.EncodedLine[] tail = new LogFeed.EncodedLine[0];
    private long seq;
    private long tailFrom;
    private volatile boolean complete;

    RunLogWriter(LogHub hub, long runId, List<StepRecord> stored, long lastSeq, UnaryOperator<String> filter) {
        this.hub = hub;
        this.runId = runId;
        this.filter = filter;
        this.seq = lastSeq;
        this.tailFrom = lastSeq + 1;
        for (StepRecord s : stored) {
            steps.add(new StepImpl(s.stepId(), s.name(), s.command(), s.system(), s.callback(), s.endedAt() != null));
        }
    }

    @Override
    public Step startStep(String name, String command, boolean system, Instant at) {
        return start(name, command, system, false, at);
    }

    private Step start(String name, String command, boolean system, boolean callback, Instant at) {
        Instant t = at == null ? hub.clock().instant() : at;
        StepImpl step;
        synchronized (this) {
            if (complete) throw new IllegalStateException("run " + runId + " has ended; its log is closed");
            step = new StepImpl(steps.size(), name, command == null ? "" : command, system, callback, false);
            steps.add(step);
            hub.store().insertStep(new StepRecord(runId, step.id, name, step.command, system, Nanos.of(t), null, callback));
            write(LogLine.control(step.id, StepStatus.START, name, system ? StepKind.SYSTEM : StepKind.USER,
                    step.command, LogHub.utc(t)));
        }
        hub.appended(runId);
        return step;
    }

    /** The provider's and the runtime's steps, without those the job reported through its callback URL. */
    @Override
    public synchronized List<Step> steps() {
        return steps.stream().filter(s -> !s.callback).map(Step.class::cast).toList();
    }

    /** Whether the provider or the runtime started a step (steps of callbacks do not count). */
    public synchronized boolean hasSteps() {
        return steps.stream().anyMatch(s -> !s.callback);
    }

    /**
     * The job's own view of this log, for lines it posts to its callback URL: its steps are user
     * steps numbered with the provider's, and {@link RunLog#steps()} lists only them.
     */
    public RunLog callbackLog() {
        return new RunLog() {
            @Override
            public Step startStep(String name, String command, boolean system, Instant at) {
                return start(name, command, system, true, at);
            }

            @Override
            public List<Step> steps() {
                synchronized (RunLogWriter.this) {
                    return steps.stream().filter(s -> s.callback).map(Step.class::cast).toList();
                }
            }
        };
    }

    public boolean isComplete() {
        return complete;
    }

    /**
     * Ends every open step at {@code at} and closes the log: the run is terminal. Persisted before
     * viewers are told, so a viewer that sees {@code complete} finds every line in the store.
     */
    public void complete(Instant at) {
        synchronized (this) {
            if (complete) return;
            for (StepImpl s : steps) {
                if (!s.ended) endLocked(s, at);
            }
            hub.store().markComplete(runId);
            complete = true;
        }
        hub.appended(runId);
        hub.finished(runId);
    }

    /**
     * The run's log is completed by another writer (the handle that stored the end on this
     * instance alone on its store, or the instance the log fell to when several share it): this
     * writer closes without writing (its numbering would collide with that writer's lines), its
     * open steps refuse further lines as ended ones do, and viewers here read the store from now on.
     */
    public void completedElsewhere() {
        synchronized (this) {
            if (complete) return;
            for (StepImpl s : steps) s.ended = true;
            complete = true;
        }
        hub.forget(runId);
        hub.appended(runId);
    }

    /** A system step carrying one message, for failures that happened before any step ran. */
    public void systemMessage(String stepName, String message) {
        Step s = startStep(stepName, "", true, null);
        s.line(true, message, null);
        s.end(null);
    }

    private void write(LogLine line) {
        byte[] frame = LogHub.encode(line);
        hub.store().append(runId, seq + 1, frame);
        stored(frame);
    }

    /** Line {@code seq + 1} is in the store: count it and keep it in the tail. The caller holds the lock. */
    private void stored(byte[] frame) {
        hub.wrote();
        seq++;
        if (seq - tailFrom >= tail.length && tail.length < TAIL) grow();
        tail[(int) (seq % tail.length)] = new LogFeed.EncodedLine(seq, frame);
        if (seq - tailFrom >= tail.length) tailFrom = seq - tail.length + 1;
    }

    /** Doubles the tail (a power of two, so slot = seq % length stays valid after copying). */
    private void grow() {
        LogFeed.EncodedLine[] bigger = new LogFeed.EncodedLine[Math.max(16, tail.length * 2)];
        for (long s = tailFrom; s < seq; s++) bigger[(int) (s % bigger.length)] = tail[(int) (s % tail.length)];
        tail = bigger;
    }

    /**
     * Lines after {@code afterSeq}, from the in-memory tail when it still holds them, else from the
     * store.
     */
    List<LogFeed.EncodedLine> after(long afterSeq, int limit) {
        synchronized (this) {
            if (afterSeq + 1 >= tailFrom) {
                List<LogFeed.EncodedLine> out = new ArrayList<>((int) Math.min(limit, Math.max(0, seq - afterSeq)));
                for (long s = afterSeq + 1; s <= seq && out.size() < limit; s++) out.add(tail[(int) (s % tail.length)]);
                return out;
            }
        }
        return hub.stored(runId, afterSeq, limit);
    }

    /** What became of a parked op handed to {@link #applyParked}. */
    enum Applied {
        /** Written here, and gone from the inbox. */
        WRITTEN,
        /** Not parked any more: applied or dropped by someone else first. Nothing written. */
        GONE,
        /** This log is complete; the op stays parked (the inbox drops it with the log). */
        CLOSED,
        /** Its step is not one the provider has here (never applied, or the job's own). */
        UNKNOWN_STEP,
        /** Its step has ended (for an end: it ended before; a no-op, as {@link Step#end} is). */
        STEP_ENDED
    }

    /**
     * Writes one log op another instance parked for this run ({@link LogInbox}), numbered like this
     * writer's own lines, and removes it from the inbox in the same transaction, so it is written
     * once whoever applies it, also after a crash. {@code started} maps the parked starts applied so
     * far (start op id to step id) and gains the step a start becomes.
     */
    Applied applyParked(ParkedLogOp op, Map<Long, Integer> started) {
        synchronized (this) {
            if (complete) return Applied.CLOSED;
            Applied done = switch (op) {
                case ParkedLogOp.Start st -> {
                    int id = steps.size();
                    StepImpl step = new StepImpl(id, st.name(), st.command(), st.system(), false, false);
                    Instant t = Nanos.instant(st.at());
                    byte[] frame = LogHub.encode(LogLine.control(id, StepStatus.START, st.name(),
                            st.system() ? StepKind.SYSTEM : StepKind.USER, st.command(), LogHub.utc(t)));
                    if (!hub.store().applyParked(runId, op.id(), new StepRecord(runId, id, st.name(), st.command(), st.system(),
                            st.at(), null, false), -1, 0, seq + 1, frame)) {
                        yield Applied.GONE;
                    }
                    steps.add(step);
                    started.put(op.id(), id);
                    stored(frame);
                    yield Applied.WRITTEN;
                }
                case ParkedLogOp.Line l -> {
                    StepImpl step = providerStep(l.step(), started);
                    if (step == null) yield Applied.UNKNOWN_STEP;
                    if (step.ended) yield Applied.STEP_ENDED;
                    byte[] frame = LogHub.encode(LogLine.data(step.id, l.stderr() ? Stream.STDERR : Stream.STDOUT,
                            filter.apply(l.text()), LogHub.utc(Nanos.instant(l.at()))));
                    if (!hub.store().applyParked(runId, op.id(), null, -1, 0, seq + 1, frame)) yield Applied.GONE;
                    stored(frame);
                    yield Applied.WRITTEN;
                }
                case ParkedLogOp.End e -> {
                    StepImpl step = providerStep(e.step(), started);
                    if (step == null) yield Applied.UNKNOWN_STEP;
                    if (step.ended) yield Applied.STEP_ENDED;
                    byte[] frame = LogHub.encode(LogLine.control(step.id, StepStatus.END, step.name,
                            step.system ? StepKind.SYSTEM : StepKind.USER, step.command, LogHub.utc(Nanos.instant(e.at()))));
                    if (!hub.store().applyParked(runId, op.id(), null, step.id, e.at(), seq + 1, frame)) yield Applied.GONE;
                    step.ended = true;
                    stored(frame);
                    yield Applied.WRITTEN;
                }
            };
            if (done != Applied.WRITTEN) return done;
        }
        hub.appended(runId);
        return Applied.WRITTEN;
    }

    /** The provider's step a parked op names, or null; the caller holds the lock. */
    private StepImpl providerStep(ParkedLogOp.StepRef ref, Map<Long, Integer> started) {
        Integer id = switch (ref) {
            case ParkedLogOp.StepRef.Stored st -> st.stepId();
            case ParkedLogOp.StepRef.Parked p -> started.get(p.startOp());
        };
        if (id == null || id < 0 || id >= steps.size()) return null;
        StepImpl step = steps.get(id);
        return step.id == id && !step.callback ? step : null;
    }

    private void endLocked(StepImpl s, Instant at) {
        s.ended = true;
        hub.store().endStep(runId, s.id, Nanos.of(at));
        write(LogLine.control(s.id, StepStatus.END, s.name, s.system ? StepKind.SYSTEM : StepKind.USER, s.command,
                LogHub.utc(at)));
    }

    private final class StepImpl extends StepHandle {
        final String command;
        final boolean system;
        final boolean callback;

        StepImpl(int id, String name, String command, boolean system, boolean callback, boolean ended) {
            super(id, name, ended);
            this.command = command;
            this.system = system;
            this.callback = callback;
        }

        @Override
        public void line(boolean stderr, String text, Instant at) {
            Instant t = at == null ? hub.clock().instant() : at;
            synchronized (RunLogWriter.this) {
                if (ended) throw new IllegalStateException("step " + id + " (" + name + ") of run " + runId + " has ended");
                write(LogLine.data(id, stderr ? Stream.STDERR : Stream.STDOUT, filter.apply(text), LogHub.utc(t)));
            }
            hub.appended(runId);
        }

        @Override
        public void end(Instant at) {
            Instant t = at == null ? hub.clock().instant() : at;
            synchronized (RunLogWriter.this) {
                if (ended) return;
                endLocked(this, t);
            }
            hub.appended(runId);
        }
    }
}
