package dev.weft.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.util.AttributeKey;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Runs work that may block on a virtual thread and continues on the channel's event loop with the
 * result. Reading from the channel is paused meanwhile, so a client cannot queue more requests
 * behind one still being answered, and the HTTP idle timer leaves the connection alone.
 * Thread-safe.
 */
final class Blocking implements AutoCloseable {
    /** Set while a request on this channel is being answered off the event loop. */
    static final AttributeKey<Boolean> IN_FLIGHT = AttributeKey.valueOf("weft.inFlight");
    /** User event fired when an off-loop answer is done, so waiting requests may go on. */
    static final Object REQUEST_DONE = new Object() {
        @Override
        public String toString() {
            return "REQUEST_DONE";
        }
    };

    private final ExecutorService executor =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("weft-http-", 0).factory());

    /**
     * Calls {@code task} on a virtual thread, then {@code then(result, null)} or
     * {@code then(null, failure)} on the event loop of {@code ctx}, after which reading resumes.
     * Call on the event loop.
     */
    <T> void run(ChannelHandlerContext ctx, Callable<T> task, BiConsumer<T, Throwable> then) {
        Channel ch = ctx.channel();
        ch.attr(IN_FLIGHT).set(Boolean.TRUE);
        ch.config().setAutoRead(false);
        Runnable job = () -> {
            T result = null;
            Throwable failure = null;
            try {
                result = task.call();
            } catch (Throwable t) {
                failure = t;
            }
            T r = result;
            Throwable f = failure;
            try {
                ctx.executor().execute(() -> finish(ctx, r, f, then));
            } catch (RejectedExecutionException e) {
                ch.close(); // the event loop is shutting down; nobody is left to answer
            }
        };
        try {
            executor.execute(job);
        } catch (RejectedExecutionException e) {
            finish(ctx, null, new ShuttingDown(), then);
        }
    }

    private static <T> void finish(ChannelHandlerContext ctx, T result, Throwable failure, BiConsumer<T, Throwable> then) {
        Channel ch = ctx.channel();
        try {
            if (ch.isActive()) then.accept(result, failure);
        } finally {
            ch.attr(IN_FLIGHT).set(null);
            // Let a pipelined request that waited start; it may go off the loop again.
            ch.pipeline().fireUserEventTriggered(REQUEST_DONE);
            if (!inFlight(ch)) ch.config().setAutoRead(true);
        }
    }

    static boolean inFlight(Channel ch) {
        return Boolean.TRUE.equals(ch.attr(IN_FLIGHT).get());
    }

    /** Stops taking work and waits up to {@code timeout} for running tasks. */
    void shutdown(Duration timeout) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS)) executor.shutdownNow();
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }

    /** The server is closing and takes no new blocking work. */
    static final class ShuttingDown extends Exception {
        ShuttingDown() {
            super("server is shutting down", null, false, false);
        }
    }
}
