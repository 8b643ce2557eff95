package dev.weft.server;

import java.util.Objects;

/**
 * What {@code GET /healthz} reports: 200 with {@code "status":"ok"} when {@code ok}, else 503 with
 * {@code "status":"unhealthy"}.
 *
 * @param ok          whether the spindle can do its job
 * @param version     weft's version string
 * @param storeStatus a short word or sentence about the store ({@code "ok"}, or what is wrong)
 * @param instance    this instance's name ({@code WEFT_INSTANCE_ID}), or null when not reported
 * @param leases      the leases this instance holds now (knots, Jetstream, publisher, builds)
 * @param failingNotifiers notifiers whose last deliveries failed, with how many in a row. Reported,
 *                    but they do not make the spindle unhealthy: a load balancer taking weft out
 *                    because Slack is down would stop CI, which is worse than a missed message.
 */
public record Health(boolean ok, String version, String storeStatus, String instance, java.util.Set<String> leases,
                     java.util.Map<String, Integer> failingNotifiers) {
    public Health {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(storeStatus, "storeStatus");
        leases = leases == null ? java.util.Set.of() : java.util.Set.copyOf(new java.util.TreeSet<>(leases));
        failingNotifiers = failingNotifiers == null ? java.util.Map.of()
                : java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(failingNotifiers));
    }

    public Health(boolean ok, String version, String storeStatus, String instance, java.util.Set<String> leases) {
        this(ok, version, storeStatus, instance, leases, null);
    }

    public Health(boolean ok, String version, String storeStatus) {
        this(ok, version, storeStatus, null, null, null);
    }
}
