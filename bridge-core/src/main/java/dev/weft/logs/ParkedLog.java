package dev.weft.logs;

import dev.weft.model.Nanos;
import dev.weft.spi.LineAssembler;
import dev.weft.spi.RunLog;
import dev.weft.spi.Step;
import dev.weft.store.ParkedLogOp;
import dev.weft.store.ParkedLogOp.StepRef;
import dev.weft.store.StepRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The log of a run another instance drives, as a provider on this instance sees it: every write is
 * parked in the {@link LogInbox} for the driving instance instead of being numbered here. Steps
 * are the run's stored steps and those parked but not written yet; a step started here is known
 * by its parked start until the driving instance writes it, so lines parked for it later, here or
 * on another instance, land in it. Such a step's {@link Step#id} is -1: its number is the driving
 * instance's to give. Thread-safe; the writes of one view are parked in call order.
 */
final class ParkedLog implements RunLog {
    private static final Logger log = LoggerFactory.getLogger(ParkedLog.class);

    private final LogInbox inbox;
    private final long runId;
    private final UnaryOperator<String> filter;
    /** Writes refused by the run's bound; the first is logged. */
    private long refused;

    ParkedLog(LogInbox inbox, long runId, UnaryOperator<String> filter) {
        this.inbox = inbox;
        this.runId = runId;
        this.filter = filter;
    }

    @Override
    public Step startStep(String name, String command, boolean system, Instant at) {
        ParkedLogOp.Start op = new ParkedLogOp.Start(0, runId, name, command == null ? "" : command, system, nanos(at));
        synchronized (this) {
            OptionalLong id = park(op);
            return new ParkedStep(name, id.isPresent() ? new StepRef.Parked(id.getAsLong()) : null, -1, false);
        }
    }

    /**
     * The stored steps (the provider's, not the job's) and the parked ones not written yet, in that
     * order; a step counts as ended when its end is stored or parked.
     */
    @Override
    public List<Step> steps() {
        // The inbox first: a start written between the reads then shows in both (one step, two
        // views, either of which finds it), never in neither.
        List<ParkedLogOp> parked = inbox.store().parkedSteps(runId);
        List<StepRecord> stored = inbox.store().steps(runId);
        Map<Long, Integer> written = inbox.store().parkedStepIds(runId);
        Set<Integer> endedStored = new HashSet<>();
        Set<Long> endedParked = new HashSet<>();
        for (ParkedLogOp op : parked) {
            if (op instanceof ParkedLogOp.End e) {
                switch (e.step()) {
                    case StepRef.Stored s -> endedStored.add(s.stepId());
                    case StepRef.Parked p -> {
                        endedParked.add(p.startOp());
                        Integer id = written.get(p.startOp());
                        if (id != null) endedStored.add(id);
                    }
                }
            }
        }
        List<Step> out = new ArrayList<>();
        for (StepRecord s : stored) {
            if (s.callback()) continue; // the job's own steps: a provider never writes into them
            out.add(new ParkedStep(s.name(), new StepRef.Stored(s.stepId()), s.stepId(),
                    s.endedAt() != null || endedStored.contains(s.stepId())));
        }
        for (ParkedLogOp op : parked) {
            if (op instanceof ParkedLogOp.Start st && !written.containsKey(st.id())) {
                out.add(new ParkedStep(st.name(), new StepRef.Parked(st.id()), -1, endedParked.contains(st.id())));
            }
        }
        return out;
    }

    private long nanos(Instant at) {
        return Nanos.of(at == null ? inbox.clock().instant() : at);
    }

    /** Parks one op; the caller holds this view's lock, so its ops are parked in call order. */
    private OptionalLong park(ParkedLogOp op) {
        OptionalLong id = inbox.park(op);
        if (id.isEmpty() && refused++ == 0) {
            log.warn("run {}: a log write on this instance (which does not drive the run) was refused: the run already "
                    + "has {} ops or {} bytes parked for the instance that drives it; further refusals are not logged",
                    runId, LogInbox.MAX_OPS, LogInbox.MAX_BYTES);
        }
        return id;
    }

    private final class ParkedStep extends StepHandle {
        /** Null when its start was refused: its lines are refused too. */
        private final StepRef ref;

        ParkedStep(String name, StepRef ref, int id, boolean ended) {
            super(id, name, ended);
            this.ref = ref;
        }

        @Override
        public void line(boolean stderr, String text, Instant at) {
            long t = nanos(at);
            synchronized (ParkedLog.this) {
                if (ended) throw new IllegalStateException("step " + name + " of run " + runId + " has ended");
                if (ref == null) {
                    refused++;
                    return;
                }
                String masked = filter.apply(text);
                // Bounded like a line a LineAssembler hands over: longer ones go in pieces.
                for (int from = 0; from == 0 || from < masked.length(); from += LineAssembler.MAX_LINE) {
                    String piece = masked.substring(from, Math.min(masked.length(), from + LineAssembler.MAX_LINE));
                    if (park(new ParkedLogOp.Line(0, runId, ref, stderr, piece, t)).isEmpty()) return;
                }
            }
        }

        @Override
        public void end(Instant at) {
            long t = nanos(at);
            synchronized (ParkedLog.this) {
                if (ended) return;
                ended = true;
                if (ref != null) park(new ParkedLogOp.End(0, runId, ref, t));
            }
        }
    }
}
