package dev.weft.server;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plain HTTP pages served under a prefix (the web console at {@code /console}). Thread-safe;
 * mounting may happen before or after {@link WeftServer#start()}. A prefix owns the exact path and
 * everything below it ({@code /console}, {@code /console/...}); nothing mounted answers 404 as any
 * unknown path does. Pages never see WebSocket upgrades.
 */
public final class PageRoutes {
    /** The prefixes weft reserves for pages, so that no webhook can take them. */
    static final java.util.Set<String> RESERVED = java.util.Set.of("/console");

    private final Map<String, PageHandler> mounts = new ConcurrentHashMap<>();

    PageRoutes() {
    }

    /**
     * Mounts {@code handler} for every method at {@code prefix} and below.
     *
     * @throws IllegalArgumentException if {@code prefix} is not one of {@link #RESERVED} or is
     *                                  already mounted
     */
    public void mount(String prefix, PageHandler handler) {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(handler, "handler");
        if (!RESERVED.contains(prefix)) throw new IllegalArgumentException("pages are served at " + RESERVED + ", not " + prefix);
        if (mounts.putIfAbsent(prefix, handler) != null) throw new IllegalArgumentException(prefix + " is already mounted");
    }

    static boolean isReserved(String path) {
        for (String p : RESERVED) if (path.equals(p) || path.startsWith(p + "/")) return true;
        return false;
    }

    Optional<PageHandler> find(String path) {
        for (Map.Entry<String, PageHandler> e : mounts.entrySet()) {
            String p = e.getKey();
            if (path.equals(p) || path.startsWith(p + "/")) return Optional.of(e.getValue());
        }
        return Optional.empty();
    }
}
