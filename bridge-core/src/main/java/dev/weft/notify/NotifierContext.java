package dev.weft.notify;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * What a notifier factory is given.
 *
 * @param env            the merged configuration ({@code WEFT_NOTIFY_*} and everything else)
 * @param clock          the daemon's clock
 * @param requestTimeout how long one HTTP exchange may take before it counts as failed
 */
public record NotifierContext(Map<String, String> env, Clock clock, Duration requestTimeout) {
    public NotifierContext {
        env = Map.copyOf(env);
    }

    /** A variable's value, trimmed; empty when unset or blank. */
    public Optional<String> get(String key) {
        String v = env.get(key);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }
}
