package dev.weft.server;

import java.util.List;

/**
 * What a {@link FrameStreamHandler} streams: positioned frames read by the reader's own cursor,
 * and a wake-up when more may be there. Implementations hold no per-reader state.
 */
interface FrameSource {

    /** Registers {@code wake} (called on any thread; it only schedules a read). Close to stop. */
    AutoCloseable subscribe(Runnable wake) throws Exception;

    /** Up to {@code limit} frames after position {@code after}, in order. Called on the event loop. */
    Chunk read(long after, int limit);

    /**
     * One frame at a position. {@code bytes} is null for an item that cannot be sent (it could
     * not be encoded): the reader skips past it rather than stalling on it forever.
     */
    record Frame(long position, byte[] bytes) {
    }

    /** {@code finished}: {@code frames} is empty and nothing will ever follow. */
    record Chunk(List<Frame> frames, boolean finished) {
    }
}
