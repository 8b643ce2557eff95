package dev.weft.server;

import dev.weft.logs.LogFeed;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code /logs} frames: one workflow's stored lines by sequence. Finishes when the log was
 * complete before a read that found nothing more, as {@link LogFeed.WorkflowLog} prescribes.
 */
final class LogFrames implements FrameSource {
    private final LogFeed.WorkflowLog log;

    LogFrames(LogFeed.WorkflowLog log) {
        this.log = log;
    }

    @Override
    public AutoCloseable subscribe(Runnable wake) {
        return log.subscribe(wake);
    }

    @Override
    public Chunk read(long after, int limit) {
        // complete() first: a line stored between the two calls is then still read before we finish.
        boolean complete = log.complete();
        List<LogFeed.EncodedLine> lines = log.after(after, limit);
        List<Frame> frames = new ArrayList<>(lines.size());
        for (LogFeed.EncodedLine l : lines) frames.add(new Frame(l.seq(), l.frame()));
        return new Chunk(frames, complete && frames.isEmpty());
    }
}
