package dev.weft.knot;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of knot consumers. {@link #defaults()} is what production uses; tests shrink the durations
 * to milliseconds.
 *
 * @param replayWindow     how far before the stored checkpoint a reconnect rewinds (default 10 min);
 *                         covers clock skew between knot and spindle and events in flight for
 *                         legacy receive-time checkpoints; kept for checkpoints on the knot's own
 *                         {@code created}, where it only re-delivers what de-duplication absorbs.
 *                         The daemon refuses a {@code WEFT_REPLAY_WINDOW} under 1 s
 * @param initialBackoff   first reconnect delay (default 1 s); doubles per failed attempt
 * @param maxBackoff       reconnect delay ceiling (default 5 min)
 * @param stableAfter      a connection that stayed up this long (or delivered a frame) resets the
 *                         backoff (default 30 s)
 * @param deadAfter        a stream silent this long (no frame, no ping) is dead (default 90 s)
 * @param connectTimeout   TCP connect plus WebSocket handshake limit (default 30 s)
 * @param closeTimeout     how long {@code close()} waits for a busy sink before interrupting the
 *                         consumer thread (default 10 s)
 * @param queueCapacity    frames buffered between the socket and the processing thread (default
 *                         16); when full the socket reader blocks, which is the backpressure
 * @param maxFrameBytes    frames above this many UTF-8 bytes are skipped as oversized (default
 *                         4 MiB); the connection stays up
 * @param hardFrameLimit   frames above this many bytes are not even buffered: the WebSocket library
 *                         closes the connection (1009) and the consumer reconnects and rewinds
 *                         (default 64 MiB); bounds memory against a hostile knot
 */
public record KnotOptions(Duration replayWindow, Duration initialBackoff, Duration maxBackoff,
                          Duration stableAfter, Duration deadAfter, Duration connectTimeout,
                          Duration closeTimeout, int queueCapacity, int maxFrameBytes, int hardFrameLimit) {

    public static final int DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024;
    public static final int DEFAULT_HARD_FRAME_LIMIT = 64 * 1024 * 1024;

    public KnotOptions {
        positive(replayWindow, "replayWindow", true);
        positive(initialBackoff, "initialBackoff", false);
        positive(maxBackoff, "maxBackoff", false);
        positive(stableAfter, "stableAfter", true);
        positive(deadAfter, "deadAfter", false);
        positive(connectTimeout, "connectTimeout", false);
        positive(closeTimeout, "closeTimeout", true);
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff " + maxBackoff + " is below initialBackoff " + initialBackoff);
        }
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be at least 1");
        if (maxFrameBytes < 1) throw new IllegalArgumentException("maxFrameBytes must be at least 1");
        if (hardFrameLimit < maxFrameBytes) {
            throw new IllegalArgumentException("hardFrameLimit " + hardFrameLimit + " is below maxFrameBytes " + maxFrameBytes);
        }
    }

    /** Production values, as the wire contract states them. */
    public static KnotOptions defaults() {
        return new KnotOptions(Duration.ofMinutes(10), Duration.ofSeconds(1), Duration.ofMinutes(5),
                Duration.ofSeconds(30), Duration.ofSeconds(90), Duration.ofSeconds(30), Duration.ofSeconds(10),
                16, DEFAULT_MAX_FRAME_BYTES, DEFAULT_HARD_FRAME_LIMIT);
    }

    public KnotOptions withReplayWindow(Duration d) {
        return new KnotOptions(d, initialBackoff, maxBackoff, stableAfter, deadAfter, connectTimeout, closeTimeout,
                queueCapacity, maxFrameBytes, hardFrameLimit);
    }

    public KnotOptions withBackoff(Duration initial, Duration max) {
        return new KnotOptions(replayWindow, initial, max, stableAfter, deadAfter, connectTimeout, closeTimeout,
                queueCapacity, maxFrameBytes, hardFrameLimit);
    }

    public KnotOptions withStableAfter(Duration d) {
        return new KnotOptions(replayWindow, initialBackoff, maxBackoff, d, deadAfter, connectTimeout, closeTimeout,
                queueCapacity, maxFrameBytes, hardFrameLimit);
    }

    public KnotOptions withDeadAfter(Duration d) {
        return new KnotOptions(replayWindow, initialBackoff, maxBackoff, stableAfter, d, connectTimeout, closeTimeout,
                queueCapacity, maxFrameBytes, hardFrameLimit);
    }

    public KnotOptions withConnectTimeout(Duration d) {
        return new KnotOptions(replayWindow, initialBackoff, maxBackoff, stableAfter, deadAfter, d, closeTimeout,
                queueCapacity, maxFrameBytes, hardFrameLimit);
    }

    public KnotOptions withCloseTimeout(Duration d) {
        return new KnotOptions(replayWindow, initialBackoff, maxBackoff, stableAfter, deadAfter, connectTimeout, d,
                queueCapacity, maxFrameBytes, hardFrameLimit);
    }

    public KnotOptions withQueueCapacity(int n) {
        return new KnotOptions(replayWindow, initialBackoff, maxBackoff, stableAfter, deadAfter, connectTimeout,
                closeTimeout, n, maxFrameBytes, hardFrameLimit);
    }

    public KnotOptions withFrameLimits(int maxFrameBytes, int hardFrameLimit) {
        return new KnotOptions(replayWindow, initialBackoff, maxBackoff, stableAfter, deadAfter, connectTimeout,
                closeTimeout, queueCapacity, maxFrameBytes, hardFrameLimit);
    }

    private static void positive(Duration d, String name, boolean zeroOk) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || (!zeroOk && d.isZero())) {
            throw new IllegalArgumentException(name + " must be " + (zeroOk ? "non-negative" : "positive") + ": " + d);
        }
    }
}
