package dev.weft.provider.buildkite.fake;

import dev.weft.testkit.FakeRun;
import dev.weft.spi.ProviderConfig;
import dev.weft.spi.ProviderContext;
import dev.weft.spi.Run;
import dev.weft.spi.RunDirectory;
import dev.weft.spi.WebhookHandler;
import dev.weft.spi.Webhooks;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A {@link ProviderContext} over an environment map, recording mounted webhook routes. */
public final class FakeContext implements ProviderContext, AutoCloseable {
    private final Map<String, String> env;
    private final Config config = new Config();
    private final Map<String, WebhookHandler> routes = new ConcurrentHashMap<>();
    private final List<FakeRun> runs = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService scheduler =
            Executors.newScheduledThreadPool(1, Thread.ofVirtual().factory());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private volatile Clock clock = Clock.systemUTC();

    public FakeContext(Map<String, String> env) {
        this.env = Map.copyOf(env);
    }

    public void clock(Clock c) {
        clock = c;
    }

    public void addRun(FakeRun r) {
        runs.add(r);
    }

    public WebhookHandler route(String path) {
        return routes.get(path);
    }

    public SimpleMeterRegistry meters() {
        return meters;
    }

    @Override public String engine() { return "buildkite"; }
    @Override public ProviderConfig config() { return config; }
    @Override public Clock clock() { return clock; }
    @Override public MeterRegistry meterRegistry() { return meters; }
    @Override public ScheduledExecutorService scheduler() { return scheduler; }
    @Override public String hostname() { return "ci.example.com"; }

    @Override
    public Webhooks webhooks() {
        return new Webhooks() {
            @Override
            public void mount(WebhookHandler handler) {
                routes.put("/hooks/buildkite", handler);
            }

            @Override
            public void mountAlias(String path, WebhookHandler handler) {
                routes.put(path, handler);
            }
        };
    }

    @Override
    public RunDirectory runs() {
        return new RunDirectory() {
            @Override
            public Optional<Run> byExternalId(String externalId) {
                return runs.stream().filter(r -> r.externalId().filter(externalId::equals).isPresent())
                        .map(r -> (Run) r).findFirst();
            }

            @Override
            public Optional<Run> byId(long runId) {
                return runs.stream().filter(r -> r.id() == runId).map(r -> (Run) r).findFirst();
            }

            @Override
            public List<Run> active() {
                return new ArrayList<>(runs.stream().filter(r -> !r.state().isTerminal()).toList());
            }
        };
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }

    private final class Config implements ProviderConfig {
        private final List<String> problems = new CopyOnWriteArrayList<>();

        @Override
        public Optional<String> get(String key) {
            return Optional.ofNullable(env.get(variable(key))).map(String::trim).filter(s -> !s.isEmpty());
        }

        @Override
        public Optional<String> get(String key, String... aliases) {
            Optional<String> v = get(key);
            if (v.isPresent()) return v;
            for (String a : aliases) {
                Optional<String> av = Optional.ofNullable(env.get(a)).map(String::trim).filter(s -> !s.isEmpty());
                if (av.isPresent()) return av;
            }
            return Optional.empty();
        }

        @Override
        public Duration duration(String key, Duration dflt) {
            Optional<String> v = get(key);
            if (v.isEmpty()) return dflt;
            Matcher m = Pattern.compile("(\\d+)(ms|s|m|h)").matcher(v.get());
            if (!m.matches()) {
                problem(key, "is not a duration: " + v.get());
                return dflt;
            }
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        }

        @Override
        public void problem(String key, String message) {
            problems.add(variable(key) + " " + message);
        }

        @Override
        public List<String> problems() {
            return List.copyOf(problems);
        }

        @Override
        public String variable(String key) {
            return "WEFT_BUILDKITE_" + key.toUpperCase(Locale.ROOT);
        }
    }
}
