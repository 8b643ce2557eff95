package dev.weft.cmd.bench;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A crowd of WebSocket clients of one stream, each counting its data frames (text, or binary for a
 * binary crowd; frames of the other kind are counted apart and make the client wrong) and noting
 * when its second and last frames arrived and how the server closed it. Each client's slot is written only
 * on its own event loop; {@link #awaitClosed} gives the reading thread a happens-before edge.
 */
final class Viewers {
    final int size;
    final long[] frames;
    final long[] bytes;
    final long[] secondAt;
    final long[] lastAt;
    final int[] closeCode;
    /** Data frames of the kind this crowd does not expect (binary in a text crowd, or text in a binary one). */
    final long[] misfits;
    /** When each client received its {@link #mark}th frame. */
    final long[] markAt;
    private final long mark;
    private final boolean binary;
    private final CountDownLatch closed;
    private final CountDownLatch marked;
    private final List<Channel> channels = new ArrayList<>();

    /** A crowd of text-frame clients. */
    Viewers(int size) {
        this(size, Long.MAX_VALUE, false);
    }

    /** A crowd of clients of binary frames when {@code binary}, else of text frames. */
    Viewers(int size, boolean binary) {
        this(size, Long.MAX_VALUE, binary);
    }

    /** A crowd that also notes when each client has received {@code mark} frames. */
    Viewers(int size, long mark, boolean binary) {
        this.size = size;
        this.mark = mark;
        this.binary = binary;
        this.misfits = new long[size];
        this.frames = new long[size];
        this.bytes = new long[size];
        this.secondAt = new long[size];
        this.lastAt = new long[size];
        this.markAt = new long[size];
        this.closeCode = new int[size];
        this.closed = new CountDownLatch(size);
        this.marked = new CountDownLatch(size);
    }

    /**
     * Connects every client, at most 200 handshakes in flight at once; returns when all are open.
     *
     * @throws TimeoutException when they are not all open within {@code limitSeconds}
     */
    void connect(WsClients clients, URI uri, int limitSeconds) throws Exception {
        Semaphore inFlight = new Semaphore(200);
        List<CompletableFuture<Channel>> all = new ArrayList<>(size);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(limitSeconds);
        for (int i = 0; i < size; i++) {
            if (!inFlight.tryAcquire(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                long failed = all.stream().filter(CompletableFuture::isCompletedExceptionally).count();
                long open = all.stream().filter(f -> f.isDone() && !f.isCompletedExceptionally()).count();
                throw new TimeoutException("connecting " + size + " clients to " + uri + ": " + open + " open, "
                        + failed + " failed, " + (all.size() - open - failed) + " pending after " + limitSeconds + " s");
            }
            int v = i;
            CompletableFuture<Channel> f = clients.connect(uri, new WsClients.Listener() {
                @Override
                public void onText(ByteBuf content, long nanos) {
                    if (binary) misfits[v]++;
                    else onData(content, nanos);
                }

                @Override
                public void onBinary(ByteBuf content, long nanos) {
                    if (binary) onData(content, nanos);
                    else misfits[v]++;
                }

                private void onData(ByteBuf content, long nanos) {
                    long n = ++frames[v];
                    bytes[v] += content.readableBytes();
                    if (n == 2) secondAt[v] = nanos;
                    if (n == mark) {
                        markAt[v] = nanos;
                        marked.countDown();
                    }
                    lastAt[v] = nanos;
                }

                @Override
                public void onClose(int code, long nanos) {
                    closeCode[v] = code;
                    closed.countDown();
                }
            });
            f.whenComplete((c, e) -> inFlight.release());
            all.add(f);
        }
        for (CompletableFuture<Channel> f : all) {
            try {
                channels.add(f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (ExecutionException e) {
                throw new IllegalStateException("a client could not connect to " + uri + ": " + e.getCause(), e.getCause());
            }
        }
    }

    /** Waits until every client was closed; false when the limit passed first. */
    boolean awaitClosed(long limitSeconds) throws InterruptedException {
        return closed.await(limitSeconds, TimeUnit.SECONDS);
    }

    /** Waits until every client has received {@code mark} frames; false when the limit passed first. */
    boolean awaitMarked(long limitSeconds) throws InterruptedException {
        return marked.await(limitSeconds, TimeUnit.SECONDS);
    }

    long latestMark() {
        long m = Long.MIN_VALUE;
        for (long s : markAt) m = Math.max(m, s);
        return m;
    }

    long openCount() {
        return closed.getCount();
    }

    /** Closes whatever is still open (after a failed run). */
    void closeAll() {
        for (Channel c : channels) c.close();
    }

    long totalFrames() {
        long t = 0;
        for (long f : frames) t += f;
        return t;
    }

    long earliestSecond() {
        long m = Long.MAX_VALUE;
        for (long s : secondAt) if (s != 0) m = Math.min(m, s);
        return m;
    }

    long latestLast() {
        long m = Long.MIN_VALUE;
        for (long s : lastAt) m = Math.max(m, s);
        return m;
    }

    /** Clients that did not receive exactly {@code expected} frames and a close 1000. */
    int wrong(long expected) {
        return wrong(expected, -1);
    }

    /**
     * Clients that did not receive exactly {@code expected} frames of their kind, of
     * {@code expectedBytes} bytes in all (unless negative), nothing of the other kind, and a close 1000.
     */
    int wrong(long expected, long expectedBytes) {
        int w = 0;
        for (int i = 0; i < size; i++) if (isWrong(i, expected, expectedBytes)) w++;
        return w;
    }

    /** One client that went wrong, for the report. */
    String firstWrong(long expected) {
        return firstWrong(expected, -1);
    }

    /** One client that went wrong, for the report. */
    String firstWrong(long expected, long expectedBytes) {
        for (int i = 0; i < size; i++) {
            if (isWrong(i, expected, expectedBytes)) {
                return "client " + i + ": " + frames[i] + " frames of " + bytes[i] + " bytes"
                        + (expectedBytes < 0 ? "" : " (expected " + expected + " of " + expectedBytes + ")")
                        + (misfits[i] == 0 ? "" : ", " + misfits[i] + " " + (binary ? "text" : "binary") + " frames")
                        + ", close " + closeCode[i];
            }
        }
        return "none";
    }

    private boolean isWrong(int i, long expected, long expectedBytes) {
        return frames[i] != expected || closeCode[i] != 1000 || misfits[i] != 0
                || (expectedBytes >= 0 && bytes[i] != expectedBytes);
    }
}
