package dev.weft.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Tunables of {@link WeftServer}. Immutable; build with {@link #builder()} starting from the
 * defaults, which are the production values.
 *
 * @param skewAllowance          {@code /events} resends from {@code cursor - skewAllowance} on a
 *                               positive cursor, because the appview's cursor is its own clock
 *                               (default 2 min)
 * @param pingIdle               a WebSocket with nothing written for this long gets a ping, as the
 *                               upstream knot and spindle do (default 30 s)
 * @param slowClientTimeout      a WebSocket whose channel stays unwritable this long is closed
 *                               (default 30 s)
 * @param maxPendingBytes        a WebSocket with more bytes than this still queued after a flush,
 *                               beyond the last stream frame, is closed at once (default 4 MiB);
 *                               streams only write while under the high-water mark, so this is a
 *                               hard stop for anything else; one huge frame alone never trips it
 * @param writeBufferHighWaterMark bytes queued on a channel before it reads as unwritable; the low
 *                               mark is half (default 256 KiB)
 * @param streamBatch            events or log lines read from a feed per call (default 100)
 * @param webhookBodyLimit       largest request body accepted, webhooks included; larger gets 413
 *                               (default 10 MiB)
 * @param callbackBodyLimit      largest body of a job callback ({@code /hooks/callback/...}); larger
 *                               gets 413 as soon as its length is known, before it is buffered
 *                               (default 1 MiB)
 * @param maxInitialLineLength   longest request line; longer gets 414 (default 8 KiB)
 * @param maxHeaderSize          largest header block; larger gets 431 (default 16 KiB)
 * @param httpIdleTimeout        an HTTP connection idle this long between requests is closed, so
 *                               half-sent requests cannot pin a connection (default 60 s)
 * @param closeHandshakeTimeout  after weft sends a WebSocket close frame, how long it waits for the
 *                               client's before dropping the connection (default 5 s)
 * @param shutdownTimeout        how long {@link WeftServer#close()} waits for in-flight requests
 *                               (default 10 s)
 */
public record ServerOptions(Duration skewAllowance, Duration pingIdle, Duration slowClientTimeout,
                            long maxPendingBytes, int writeBufferHighWaterMark, int streamBatch,
                            int webhookBodyLimit, int callbackBodyLimit, int maxInitialLineLength, int maxHeaderSize,
                            Duration httpIdleTimeout, Duration closeHandshakeTimeout,
                            Duration shutdownTimeout) {

    public ServerOptions {
        List<String> problems = new ArrayList<>();
        positive(problems, "skewAllowance", skewAllowance, true);
        positive(problems, "pingIdle", pingIdle, false);
        positive(problems, "slowClientTimeout", slowClientTimeout, false);
        positive(problems, "httpIdleTimeout", httpIdleTimeout, false);
        positive(problems, "closeHandshakeTimeout", closeHandshakeTimeout, false);
        positive(problems, "shutdownTimeout", shutdownTimeout, true);
        if (maxPendingBytes <= 0) problems.add("maxPendingBytes must be > 0, was " + maxPendingBytes);
        if (writeBufferHighWaterMark < 2) {
            problems.add("writeBufferHighWaterMark must be >= 2, was " + writeBufferHighWaterMark);
        }
        if (streamBatch <= 0) problems.add("streamBatch must be > 0, was " + streamBatch);
        if (webhookBodyLimit < 0) problems.add("webhookBodyLimit must be >= 0, was " + webhookBodyLimit);
        if (callbackBodyLimit < 0) problems.add("callbackBodyLimit must be >= 0, was " + callbackBodyLimit);
        if (maxInitialLineLength <= 0) problems.add("maxInitialLineLength must be > 0, was " + maxInitialLineLength);
        if (maxHeaderSize <= 0) problems.add("maxHeaderSize must be > 0, was " + maxHeaderSize);
        // Every problem at once, so an operator fixes the config in one go.
        if (!problems.isEmpty()) throw new IllegalArgumentException(String.join("; ", problems));
    }

    private static void positive(List<String> problems, String name, Duration d, boolean zeroOk) {
        if (d == null) {
            problems.add(name + " is required");
        } else if (d.isNegative() || (!zeroOk && d.isZero())) {
            problems.add(name + " must be " + (zeroOk ? ">= 0" : "> 0") + ", was " + d);
        }
    }

    /** The production defaults. */
    public static ServerOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.skewAllowance = skewAllowance;
        b.pingIdle = pingIdle;
        b.slowClientTimeout = slowClientTimeout;
        b.maxPendingBytes = maxPendingBytes;
        b.writeBufferHighWaterMark = writeBufferHighWaterMark;
        b.streamBatch = streamBatch;
        b.webhookBodyLimit = webhookBodyLimit;
        b.callbackBodyLimit = callbackBodyLimit;
        b.maxInitialLineLength = maxInitialLineLength;
        b.maxHeaderSize = maxHeaderSize;
        b.httpIdleTimeout = httpIdleTimeout;
        b.closeHandshakeTimeout = closeHandshakeTimeout;
        b.shutdownTimeout = shutdownTimeout;
        return b;
    }

    /** Mutable builder; not thread-safe. */
    public static final class Builder {
        private Duration skewAllowance = Duration.ofMinutes(2);
        private Duration pingIdle = Duration.ofSeconds(30);
        private Duration slowClientTimeout = Duration.ofSeconds(30);
        private long maxPendingBytes = 4L << 20;
        private int writeBufferHighWaterMark = 256 << 10;
        private int streamBatch = 100;
        private int webhookBodyLimit = 10 << 20;
        private int callbackBodyLimit = 1 << 20;
        private int maxInitialLineLength = 8 << 10;
        private int maxHeaderSize = 16 << 10;
        private Duration httpIdleTimeout = Duration.ofSeconds(60);
        private Duration closeHandshakeTimeout = Duration.ofSeconds(5);
        private Duration shutdownTimeout = Duration.ofSeconds(10);

        private Builder() {
        }

        public Builder skewAllowance(Duration d) {
            skewAllowance = Objects.requireNonNull(d);
            return this;
        }

        public Builder pingIdle(Duration d) {
            pingIdle = Objects.requireNonNull(d);
            return this;
        }

        public Builder slowClientTimeout(Duration d) {
            slowClientTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder maxPendingBytes(long n) {
            maxPendingBytes = n;
            return this;
        }

        public Builder writeBufferHighWaterMark(int n) {
            writeBufferHighWaterMark = n;
            return this;
        }

        public Builder streamBatch(int n) {
            streamBatch = n;
            return this;
        }

        public Builder webhookBodyLimit(int n) {
            webhookBodyLimit = n;
            return this;
        }

        public Builder callbackBodyLimit(int n) {
            callbackBodyLimit = n;
            return this;
        }

        public Builder maxInitialLineLength(int n) {
            maxInitialLineLength = n;
            return this;
        }

        public Builder maxHeaderSize(int n) {
            maxHeaderSize = n;
            return this;
        }

        public Builder httpIdleTimeout(Duration d) {
            httpIdleTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder closeHandshakeTimeout(Duration d) {
            closeHandshakeTimeout = Objects.requireNonNull(d);
            return this;
        }

        public Builder shutdownTimeout(Duration d) {
            shutdownTimeout = Objects.requireNonNull(d);
            return this;
        }

        /** @throws IllegalArgumentException naming every bad value at once */
        public ServerOptions build() {
            return new ServerOptions(skewAllowance, pingIdle, slowClientTimeout, maxPendingBytes,
                    writeBufferHighWaterMark, streamBatch, webhookBodyLimit, callbackBodyLimit, maxInitialLineLength,
                    maxHeaderSize, httpIdleTimeout, closeHandshakeTimeout, shutdownTimeout);
        }
    }
}
