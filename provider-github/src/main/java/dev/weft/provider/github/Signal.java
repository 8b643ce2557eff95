package dev.weft.provider.github;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/** A wake-up call for a waiting loop: any number of {@link #fire()}s before a wait wake it once. */
final class Signal {
    private final Semaphore permits = new Semaphore(0);

    void fire() {
        synchronized (permits) {
            if (permits.availablePermits() == 0) permits.release();
        }
    }

    /** Waits up to {@code timeout}; true when woken by {@link #fire()}. */
    boolean await(Duration timeout) throws InterruptedException {
        boolean woken = permits.tryAcquire(Math.max(0, timeout.toNanos()), TimeUnit.NANOSECONDS);
        permits.drainPermits();
        return woken;
    }
}
