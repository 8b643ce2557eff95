package dev.weft.server;

import dev.weft.logs.LogFeed;
import dev.weft.wire.CiLogFrames;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * {@code sh.tangled.ci.subscribePipelineLogs} frames: the logs of several workflows of one
 * pipeline merged into the single position a {@link FrameStreamHandler} keeps, each stored line
 * converted to its binary {@link CiLogFrames} message. Workflows take turns within each read, so
 * they interleave; each keeps its own order. Finished once every workflow's log is complete and
 * read to the end, which is what makes the stream close 1000 after the last line.
 *
 * <p>Why a per-connection source: the handler keeps one position and re-reads from it whatever it
 * could not write, but here a position stands for one cursor per workflow. Positions are numbered
 * per read; the source remembers which (workflow, sequence) each frame of the last read was and,
 * on the next read, commits those up to the position the handler reached and forgets the rest, so
 * frames not written are read again from the logs, never held here. Event loop only.
 */
final class PipelineLogFrames implements FrameSource {

    /** One requested workflow: the name its frames carry and its log. */
    record Workflow(String name, LogFeed.WorkflowLog log) {
    }

    private final List<Workflow> workflows;
    /** Why the stream cannot even start (a provider's log backend failed), or null. */
    private final String unavailable;
    /** Per workflow: the sequence of its last line the handler wrote. */
    private final long[] committed;
    /** Per workflow: complete and read to the end; nothing will follow. */
    private final boolean[] done;
    /** The position the last read numbered its frames after. */
    private long base;
    /** Workflow index and sequence of each frame the last read returned, by position - base - 1. */
    private final List<long[]> handed = new ArrayList<>();

    PipelineLogFrames(List<Workflow> workflows, String unavailable) {
        this.workflows = List.copyOf(workflows);
        this.unavailable = unavailable;
        this.committed = new long[workflows.size()];
        this.done = new boolean[workflows.size()];
    }

    @Override
    public boolean binary() {
        return true;
    }

    @Override
    public byte[] failureFrame(String message) {
        return CiLogFrames.error("InternalError", message);
    }

    @Override
    public AutoCloseable subscribe(Runnable wake) throws Exception {
        List<AutoCloseable> subs = new ArrayList<>(workflows.size());
        AutoCloseable all = () -> {
            for (AutoCloseable c : subs) c.close();
        };
        try {
            for (Workflow w : workflows) subs.add(w.log().subscribe(wake));
        } catch (RuntimeException e) {
            all.close(); // the handler only closes what subscribe returned
            throw e;
        }
        return all;
    }

    @Override
    public Chunk read(long after, int limit) {
        commit(after);
        if (unavailable != null) throw new Unavailable(unavailable);
        List<Frame> frames = new ArrayList<>(Math.min(limit, 256));
        Instant now = Instant.now(); // what upstream shows for a line without a time
        int open = 0;
        for (boolean d : done) if (!d) open++;
        for (int i = 0; i < workflows.size() && frames.size() < limit; i++) {
            if (done[i]) continue;
            // A fair share of what is left of the limit, so one workflow's backlog cannot hold the others back.
            int share = Math.max(1, (limit - frames.size()) / open--);
            Workflow w = workflows.get(i);
            boolean complete = w.log().complete(); // before after(): see WorkflowLog#complete
            List<LogFeed.EncodedLine> lines = w.log().after(committed[i], share);
            if (lines.isEmpty()) {
                if (complete) done[i] = true;
                continue;
            }
            for (LogFeed.EncodedLine l : lines) {
                handed.add(new long[]{i, l.seq()});
                frames.add(new Frame(base + handed.size(), converted(l.frame(), w.name(), now)));
            }
        }
        boolean finished = frames.isEmpty();
        for (boolean d : done) finished &= d;
        return new Chunk(frames, finished);
    }

    /**
     * Stored lines converted to the subscription's CBOR, shared by every subscriber: a live
     * workflow's tail hands all of them the same array, so one conversion serves a thousand
     * viewers instead of a thousand conversions. Keyed by the array's identity (arrays do not
     * override equals), weakly: an entry goes when the tail lets go of its line. A line belongs to
     * one run, so to one workflow name.
     */
    private static final Map<byte[], byte[]> CONVERTED = Collections.synchronizedMap(new WeakHashMap<>());

    private static byte[] converted(byte[] stored, String workflow, Instant now) {
        byte[] cbor = CONVERTED.get(stored);
        if (cbor == null) {
            cbor = CiLogFrames.stored(stored, workflow, now);
            CONVERTED.put(stored, cbor);
        }
        return cbor;
    }

    /** The handler wrote every frame up to {@code after}: advance those cursors, forget the rest. */
    private void commit(long after) {
        int written = (int) Math.max(0, Math.min(handed.size(), after - base));
        for (int k = 0; k < written; k++) {
            long[] h = handed.get(k);
            committed[(int) h[0]] = h[1];
        }
        handed.clear();
        base = after;
    }
}
