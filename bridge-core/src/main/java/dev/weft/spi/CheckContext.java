package dev.weft.spi;

import java.time.Duration;

/**
 * What {@code weft doctor} hands {@link ProviderFactory#checks}: the same configuration
 * {@code weft serve} would give the provider, and the time one network call may take.
 */
public interface CheckContext {

    /** The engine being checked. */
    String engine();

    /** The provider's configuration, exactly as {@link ProviderContext#config()} would be. */
    ProviderConfig config();

    /**
     * The longest one network call may take (connect and answer together). The doctor gives all
     * of a provider's checks a few of these in total, then interrupts the thread and reports the
     * provider's checks as failed for want of an answer: bound every call (an HTTP client's call
     * timeout) rather than rely on the interrupt.
     */
    Duration timeout();

    /** This spindle's hostname identity, as configured. */
    String hostname();
}
