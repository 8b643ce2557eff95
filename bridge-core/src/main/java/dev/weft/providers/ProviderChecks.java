package dev.weft.providers;

import dev.weft.spi.Check;
import dev.weft.spi.CheckContext;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderConfig;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.ProviderFactory;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * What {@code weft doctor} asks of each provider: its configuration, read as {@code weft serve}
 * reads it, and its own {@link ProviderFactory#checks}.
 */
public final class ProviderChecks {
    private ProviderChecks() {
    }

    /**
     * Creates the provider once on a throw-away context (webhooks mounted nowhere, a scheduler shut
     * down right after, no runs) and closes it: a {@link ProviderConfigException} is exactly what
     * {@code weft serve} would refuse to start with.
     */
    public static Check configuration(ProviderFactory factory, Map<String, String> env, String hostname) {
        String engine = factory.engine();
        String name = engine + " configuration";
        ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
                Thread.ofVirtual().name("weft-doctor-" + engine).factory());
        try {
            ProviderRegistry.Context ctx = new ProviderRegistry.Context(engine, new EnvProviderConfig(engine, env),
                    Clock.systemUTC(), new SimpleMeterRegistry(), scheduler, hostname, (path, e, handler) -> { }, null);
            Provider provider = factory.create(ctx);
            provider.close();
            return Check.ok(name, "valid (" + factory.getClass().getName() + ")");
        } catch (ProviderConfigException e) {
            return Check.fail(name, String.join("; ", e.problems()),
                    "correct the WEFT_" + engine.toUpperCase(java.util.Locale.ROOT) + "_* variables named");
        } catch (RuntimeException e) {
            return Check.fail(name, "the provider failed to start: " + e,
                    "see the provider's documentation for its WEFT_" + engine.toUpperCase(java.util.Locale.ROOT) + "_* settings");
        } finally {
            scheduler.shutdownNow();
        }
    }

    /** The context {@link ProviderFactory#checks} gets: the provider's configuration as serve reads it. */
    public static CheckContext context(String engine, Map<String, String> env, Duration timeout, String hostname) {
        ProviderConfig config = new EnvProviderConfig(engine, env);
        return new CheckContext() {
            @Override
            public String engine() {
                return engine;
            }

            @Override
            public ProviderConfig config() {
                return config;
            }

            @Override
            public Duration timeout() {
                return timeout;
            }

            @Override
            public String hostname() {
                return hostname;
            }
        };
    }
}
