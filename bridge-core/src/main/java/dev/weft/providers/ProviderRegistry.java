package dev.weft.providers;

import dev.weft.runs.RunManager;
import dev.weft.spi.Provider;
import dev.weft.spi.ProviderConfigException;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.ProviderFactory;
import dev.weft.spi.Run;
import dev.weft.spi.RunDirectory;
import dev.weft.spi.WebhookHandler;
import dev.weft.spi.Webhooks;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The engines weft can dispatch to: one provider per engine name, created from the factories
 * {@link Plugins} found (built in and in plugin jars) or given explicitly, in tests. Creation
 * problems of every provider, and two factories claiming one engine, are gathered and reported
 * together, each factory named with where it came from.
 */
public final class ProviderRegistry implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProviderRegistry.class);

    private final Map<String, Provider> providers;

    private ProviderRegistry(Map<String, Provider> providers) {
        this.providers = providers;
    }

    /** How a provider's webhook routes reach the server: (path, engine, handler). */
    @FunctionalInterface
    public interface HookMounter {
        void mount(String path, String engine, WebhookHandler handler);
    }

    /**
     * Creates every provider.
     *
     * @throws ProviderConfigException naming every problem of every provider, and duplicate engines
     */
    /** The engine name no provider may have: {@code /hooks/callback} is weft's own (job callbacks). */
    public static final String RESERVED_ENGINE = "callback";

    public static ProviderRegistry create(List<ProviderFactory> factories, Map<String, String> env, Clock clock,
                                          MeterRegistry meters, ScheduledExecutorService scheduler, String hostname,
                                          HookMounter hooks, RunManager runs) throws ProviderConfigException {
        Map<String, Provider> made = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        Map<String, ProviderFactory> claimed = new LinkedHashMap<>();
        for (ProviderFactory f : factories) {
            String engine;
            try {
                engine = f.engine();
            } catch (RuntimeException | LinkageError e) {
                problems.add(describe(f) + ": engine() failed: " + e);
                continue;
            }
            if (engine == null || engine.isBlank() || !engine.equals(engine.toLowerCase(Locale.ROOT))) {
                problems.add(describe(f) + ": engine name must be non-empty lower case, got " + engine);
                continue;
            }
            if (engine.equals(RESERVED_ENGINE) || engine.startsWith(RESERVED_ENGINE + "/")) {
                // /hooks/callback/<run id> is where jobs report progress: no provider's webhook may take it.
                problems.add(describe(f) + ": engine name \"" + engine + "\" is reserved for job callbacks"
                        + " (/hooks/callback)");
                continue;
            }
            ProviderFactory first = claimed.putIfAbsent(engine, f);
            if (first != null) {
                problems.add("two providers claim engine \"" + engine + "\": " + describe(first)
                        + " and " + describe(f));
                continue;
            }
            EnvProviderConfig config = new EnvProviderConfig(engine, env);
            ProviderContext ctx = new Context(engine, config, clock, meters, scheduler, hostname, hooks, runs);
            try {
                made.put(engine, f.create(ctx));
                log.info("provider ready: engine {} ({})", engine, describe(f));
            } catch (ProviderConfigException e) {
                problems.addAll(e.problems());
            } catch (RuntimeException | LinkageError e) {
                // A plugin built against another SPI fails here with a LinkageError: its problem, not weft's.
                problems.add("engine " + engine + " (" + describe(f) + "): " + e);
            }
        }
        if (!problems.isEmpty()) {
            problems.forEach(p -> log.error("provider set-up: {}", p));
            made.values().forEach(ProviderRegistry::closeQuietly);
            throw new ProviderConfigException(problems);
        }
        return new ProviderRegistry(Map.copyOf(made));
    }

    private static String describe(ProviderFactory f) {
        return f.getClass().getName() + ", " + Plugins.origin(f.getClass());
    }

    public Optional<Provider> get(String engine) {
        return Optional.ofNullable(providers.get(engine));
    }

    public java.util.Set<String> engines() {
        return providers.keySet();
    }

    @Override
    public void close() {
        providers.values().forEach(ProviderRegistry::closeQuietly);
    }

    private static void closeQuietly(Provider p) {
        try {
            p.close();
        } catch (RuntimeException e) {
            log.warn("closing provider {} failed: {}", p.getClass().getName(), e.toString());
        }
    }

    record Context(String engine, EnvProviderConfig config, Clock clock, MeterRegistry meterRegistry,
                           ScheduledExecutorService scheduler, String hostname, HookMounter hooks, RunManager manager)
            implements ProviderContext {

        @Override
        public Webhooks webhooks() {
            return new Webhooks() {
                @Override
                public void mount(WebhookHandler handler) {
                    hooks.mount("/hooks/" + engine, engine, handler);
                }

                @Override
                public void mountAlias(String path, WebhookHandler handler) {
                    if (!path.startsWith("/")) throw new IllegalArgumentException("webhook path must start with /: " + path);
                    hooks.mount(path, engine, handler);
                    log.info("webhook alias {} mounted for engine {}", path, engine);
                }
            };
        }

        @Override
        public RunDirectory runs() {
            return new RunDirectory() {
                @Override
                public Optional<Run> byExternalId(String externalId) {
                    return manager.byExternalId(engine, externalId);
                }

                @Override
                public Optional<Run> byId(long runId) {
                    return manager.byId(runId).filter(r -> r.workflow().engine().equals(engine));
                }

                @Override
                public List<Run> active() {
                    return manager.active(engine);
                }
            };
        }
    }
}
