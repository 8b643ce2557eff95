package dev.weft.server;

import dev.weft.logs.LogFeed;
import dev.weft.wire.CiLogFrames;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

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

    /**
     * One requested workflow: the name its frames carry, its log, and a number that tells its
     * lines apart from other workflows' lines of the same sequence in the conversion cache (the
     * workflow id's hash).
     */
    record Workflow(String name, LogFeed.WorkflowLog log, int salt) {
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
                frames.add(new Frame(base + handed.size(), converted(l, w, now)));
            }
        }
        boolean finished = frames.isEmpty();
        for (boolean d : done) finished &= d;
        return new Chunk(frames, finished);
    }

    /**
     * Stored lines converted to the subscription's CBOR, shared by every subscriber: a live
     * workflow's tail hands all of them the same array, so one conversion serves a thousand
     * viewers instead of a thousand conversions. A direct-mapped cache: the slot is the line's
     * sequence offset by its workflow's salt, so a workflow's consecutive lines never evict each
     * other, and a hit is the very array (arrays do not override equals). A lookup is one read of a
     * slot and no lock, which matters because every frame of every subscriber passes here on the
     * event loops; a collision only costs a conversion. Entries are immutable, so a racing read
     * sees a whole entry or none. Bounded: {@value #CACHE_SLOTS} entries, a few MiB of recent
     * lines at most. A line belongs to one run, so to one workflow name.
     */
    private static final int CACHE_SLOTS = 1 << 13;
    private static final Converted[] CONVERTED = new Converted[CACHE_SLOTS];

    private record Converted(byte[] stored, byte[] cbor) {
    }

    private static byte[] converted(LogFeed.EncodedLine line, Workflow workflow, Instant now) {
        byte[] stored = line.frame();
        int slot = (int) (line.seq() + workflow.salt() * 0x9E3779B9L) & (CACHE_SLOTS - 1);
        Converted c = CONVERTED[slot];
        if (c != null && c.stored() == stored) return c.cbor();
        byte[] cbor = CiLogFrames.stored(stored, workflow.name(), now);
        CONVERTED[slot] = new Converted(stored, cbor);
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
