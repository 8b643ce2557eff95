package dev.weft.provider.github;

import java.time.Duration;

/**
 * Monotonic time and waiting for the provider's loops (commit wait, correlation), separate from the
 * wall clock so deadlines hold whatever the clock does; tests substitute a fake.
 */
interface Waits {
    Waits REAL = new Waits() {
        @Override
        public long nanoTime() {
            return System.nanoTime();
        }

        @Override
        public boolean await(Signal signal, Duration d) throws InterruptedException {
            return signal.await(d);
        }
    };

    long nanoTime();

    /** Waits {@code d} or until {@code signal} fires; true when it fired. */
    boolean await(Signal signal, Duration d) throws InterruptedException;
}
