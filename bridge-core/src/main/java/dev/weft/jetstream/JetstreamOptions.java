package dev.weft.jetstream;

import java.time.Duration;
import java.util.Objects;

/**
 * Tuning of the Jetstream client; {@link #defaults()} in production, milliseconds in tests.
 *
 * @param replayWindow   how far before the stored cursor a (re)connect asks to resume (default 10 s):
 *                       frames near the cursor are delivered again and recognised by their commit rev
 * @param initialBackoff first reconnect delay (default 1 s), doubling per failed attempt, with jitter
 * @param maxBackoff     reconnect delay ceiling (default 5 min)
 * @param stableAfter    a connection up this long (or that delivered a frame) resets the backoff (30 s)
 * @param pingInterval   the client pings this often and drops a connection that does not answer
 *                       (Java-WebSocket's lost-connection check; default 30 s)
 * @param connectTimeout TCP connect plus WebSocket handshake limit (default 30 s)
 * @param closeTimeout   how long {@code close()} waits for the processing thread (default 10 s)
 * @param queueCapacity  frames buffered between the socket and the processing thread (default 64)
 * @param maxFrameBytes  frames above this are not buffered: the library closes the connection (default 1 MiB)
 */
public record JetstreamOptions(Duration replayWindow, Duration initialBackoff, Duration maxBackoff,
                               Duration stableAfter, Duration pingInterval, Duration connectTimeout,
                               Duration closeTimeout, int queueCapacity, int maxFrameBytes) {
    public JetstreamOptions {
        Objects.requireNonNull(replayWindow, "replayWindow");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        Objects.requireNonNull(stableAfter, "stableAfter");
        Objects.requireNonNull(pingInterval, "pingInterval");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        if (replayWindow.isNegative()) throw new IllegalArgumentException("replayWindow must not be negative");
        if (initialBackoff.isNegative() || initialBackoff.isZero()) throw new IllegalArgumentException("initialBackoff must be positive");
        if (maxBackoff.compareTo(initialBackoff) < 0) throw new IllegalArgumentException("maxBackoff is below initialBackoff");
        if (pingInterval.toSeconds() < 1) throw new IllegalArgumentException("pingInterval must be at least 1 s");
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be at least 1");
        if (maxFrameBytes < 1024) throw new IllegalArgumentException("maxFrameBytes must be at least 1024");
    }

    public static JetstreamOptions defaults() {
        return new JetstreamOptions(Duration.ofSeconds(10), Duration.ofSeconds(1), Duration.ofMinutes(5),
                Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(30), Duration.ofSeconds(10), 64,
                1024 * 1024);
    }

    public JetstreamOptions withReplayWindow(Duration d) {
        return new JetstreamOptions(d, initialBackoff, maxBackoff, stableAfter, pingInterval, connectTimeout,
                closeTimeout, queueCapacity, maxFrameBytes);
    }

    public JetstreamOptions withBackoff(Duration initial, Duration max) {
        return new JetstreamOptions(replayWindow, initial, max, stableAfter, pingInterval, connectTimeout,
                closeTimeout, queueCapacity, maxFrameBytes);
    }

    public JetstreamOptions withConnectTimeout(Duration d) {
        return new JetstreamOptions(replayWindow, initialBackoff, maxBackoff, stableAfter, pingInterval, d,
                closeTimeout, queueCapacity, maxFrameBytes);
    }
}
