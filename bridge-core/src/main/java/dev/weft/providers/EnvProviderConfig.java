package dev.weft.providers;

import dev.weft.spi.GoDuration;
import dev.weft.spi.ProviderConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** {@link ProviderConfig} over an environment map ({@code WEFT_<ENGINE>_<KEY>} plus aliases). */
final class EnvProviderConfig implements ProviderConfig {
    private static final Logger log = LoggerFactory.getLogger(EnvProviderConfig.class);

    private final String prefix;
    private final Map<String, String> env;
    private final List<String> problems = new ArrayList<>();
    private final Set<String> aliasesLogged = ConcurrentHashMap.newKeySet();

    EnvProviderConfig(String engine, Map<String, String> env) {
        this.prefix = "WEFT_" + engine.toUpperCase(Locale.ROOT).replace('-', '_') + "_";
        this.env = Map.copyOf(env);
    }

    @Override
    public Optional<String> get(String key) {
        return value(variable(key));
    }

    @Override
    public Optional<String> get(String key, String... aliasVariables) {
        Optional<String> own = get(key);
        if (own.isPresent()) return own;
        for (String alias : aliasVariables) {
            Optional<String> v = value(alias);
            if (v.isPresent()) {
                if (aliasesLogged.add(alias)) {
                    log.info("configuration: {} read from its alias {}", variable(key), alias);
                }
                return v;
            }
        }
        return Optional.empty();
    }

    private Optional<String> value(String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) return Optional.empty();
        return Optional.of(v.strip());
    }

    @Override
    public Duration duration(String key, Duration defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) return defaultValue;
        try {
            Duration d = GoDuration.parse(v.get());
            if (d.isNegative()) {
                problem(key, "must not be negative, got " + v.get());
                return defaultValue;
            }
            return d;
        } catch (IllegalArgumentException e) {
            problem(key, e.getMessage());
            return defaultValue;
        }
    }

    @Override
    public synchronized void problem(String key, String message) {
        problems.add(variable(key) + ": " + message);
    }

    @Override
    public synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    @Override
    public String variable(String key) {
        return prefix + key.toUpperCase(Locale.ROOT);
    }
}
