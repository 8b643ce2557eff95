package dev.weft.spi;

import io.micrometer.core.instrument.MeterRegistry;

import java.time.Clock;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What the runtime hands a provider at creation. Every object here is thread-safe and lives as long
 * as the provider.
 */
public interface ProviderContext {

    /** The engine this provider serves. */
    String engine();

    /** This provider's configuration: {@code WEFT_<ENGINE>_*} and aliases. */
    ProviderConfig config();

    /** The clock to stamp log lines and schedule polls with; tests control it. */
    Clock clock();

    /** Where to register the provider's own meters; prefix their names with {@code weft.<engine>.}. */
    MeterRegistry meterRegistry();

    /** Mount webhook routes on weft's HTTP server. */
    Webhooks webhooks();

    /** Look runs up by the external id the provider attached to them. */
    RunDirectory runs();

    /**
     * A scheduler owned by the runtime for polling and delayed work; tasks run on virtual threads.
     * Exceptions a task throws are logged and do not cancel other tasks. Do not shut it down.
     */
    ScheduledExecutorService scheduler();

    /** This spindle's hostname identity, as configured. */
    String hostname();
}
