package dev.weft.store.jdbc;

import dev.weft.store.StoreException;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** Waiting for a write that runs on another thread, the same way for every database. */
public final class Uninterruptible {
    private Uninterruptible() {
    }

    /**
     * Waits for the commit without giving up on interrupt: the write goes on and commits either
     * way, and a caller that returned early would not know whether its write happened. Writes take
     * milliseconds, so the interrupt is only delayed, then restored.
     */
    public static <T> T await(CompletableFuture<T> done) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return done.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof StoreException se) throw se;
                    if (c instanceof RuntimeException re) throw re;
                    if (c instanceof Error err) throw err;
                    throw new StoreException("database: " + c.getMessage(), c);
                }
            }
        } finally {
            if (interrupted) Thread.currentThread().interrupt();
        }
    }
}
