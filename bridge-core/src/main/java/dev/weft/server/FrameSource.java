package dev.weft.server;

import java.util.List;

/**
 * What a {@link FrameStreamHandler} streams: positioned frames read by the reader's own cursor,
 * and a wake-up when more may be there. Shared sources hold no per-reader state; a source made for
 * one connection (one that merges several cursors into one position) may, and is then read only
 * on that connection's event loop.
 */
interface FrameSource {

    /** Whether frames go out as binary WebSocket messages (XRPC subscriptions) rather than text. */
    default boolean binary() {
        return false;
    }

    /**
     * The frame to send (as a binary message) before closing a stream that cannot continue (a read
     * threw), or null when this kind of stream has none and the close code alone says it.
     */
    default byte[] failureFrame(String message) {
        return null;
    }

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

    /**
     * A read that cannot succeed for a reason outside weft (a provider's log backend failed): the
     * stream ends with the source's failure frame carrying this message. No stack trace: it is
     * an outcome, logged as a warning, not a bug.
     */
    final class Unavailable extends RuntimeException {
        Unavailable(String message) {
            super(message, null, false, false);
        }
    }
}
