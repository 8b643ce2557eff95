package dev.weft.server;

import java.util.Objects;

/**
 * What {@code GET /healthz} reports: 200 with {@code "status":"ok"} when {@code ok}, else 503 with
 * {@code "status":"unhealthy"}.
 *
 * @param ok          whether the spindle can do its job
 * @param version     weft's version string
 * @param storeStatus a short word or sentence about the store ({@code "ok"}, or what is wrong)
 */
public record Health(boolean ok, String version, String storeStatus) {
    public Health {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(storeStatus, "storeStatus");
    }
}
