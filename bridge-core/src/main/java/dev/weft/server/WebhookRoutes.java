package dev.weft.server;

import dev.weft.spi.WebhookHandler;
import dev.weft.spi.Webhooks;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the runtime mounts provider webhook handlers on {@link WeftServer}. Thread-safe; mounting
 * may happen before or after {@link WeftServer#start()} and takes effect for the next request.
 *
 * <p>Routes match the request path exactly (no query, no trailing-slash folding) and accept POST
 * only; any other method gets 405. Each delivery runs its handler on a virtual thread, and is
 * counted under {@code weft.webhooks{engine, outcome}}.
 */
public final class WebhookRoutes {

    /** One mounted route. */
    record Mount(String path, String engine, WebhookHandler handler) {
    }

    /** Where jobs post their progress: {@code /hooks/callback/<run id>}, weft's own and reserved. */
    public static final String CALLBACK_PREFIX = "/hooks/callback/";
    /** The name callbacks are counted and logged under (no provider may take it, see {@link Router#isReserved}). */
    static final String CALLBACK_ENGINE = "callback";

    private final Map<String, Mount> mounts = new ConcurrentHashMap<>();
    private volatile WebhookHandler callbacks;

    WebhookRoutes() {
    }

    /**
     * Mounts {@code handler} at {@code path} for POST requests, attributed to {@code engine} in
     * metrics and logs.
     *
     * @throws IllegalArgumentException if the path is already mounted, is not an absolute path
     *                                  without query or fragment, or is one of weft's own routes
     *                                  ({@code /}, {@code /events}, {@code /logs/...},
     *                                  {@code /xrpc/...}, {@code /healthz}, {@code /metrics},
     *                                  {@code /hooks/callback/...})
     */
    public void mount(String path, String engine, WebhookHandler handler) {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(handler, "handler");
        if (engine.isBlank()) throw new IllegalArgumentException("engine must not be blank");
        if (!path.startsWith("/") || path.length() < 2) {
            throw new IllegalArgumentException("webhook path must start with / and name something: " + path);
        }
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '?' || c == '#' || c <= ' ' || c == 0x7f) {
                throw new IllegalArgumentException("webhook path must be a plain path: " + path);
            }
        }
        if (Router.isReserved(path)) {
            throw new IllegalArgumentException("webhook path " + path + " collides with one of weft's own routes");
        }
        Mount previous = mounts.putIfAbsent(path, new Mount(path, engine, handler));
        if (previous != null) {
            throw new IllegalArgumentException("webhook path " + path + " is already mounted (engine "
                    + previous.engine() + ")");
        }
    }

    /**
     * The provider-facing view for one engine: {@link Webhooks#mount} mounts at
     * {@code /hooks/<engine>}, {@link Webhooks#mountAlias} at the given path.
     */
    public Webhooks forEngine(String engine) {
        Objects.requireNonNull(engine, "engine");
        return new Webhooks() {
            @Override
            public void mount(WebhookHandler handler) {
                WebhookRoutes.this.mount("/hooks/" + engine, engine, handler);
            }

            @Override
            public void mountAlias(String path, WebhookHandler handler) {
                WebhookRoutes.this.mount(path, engine, handler);
            }
        };
    }

    /**
     * Mounts weft's own handler of job callbacks at every path under {@value #CALLBACK_PREFIX}
     * (POST only; bodies over {@link ServerOptions#callbackBodyLimit()} are refused with 413 before
     * they are read). The handler gets the whole path and parses the run id itself.
     *
     * @throws IllegalStateException if callbacks are already mounted
     */
    public synchronized void mountCallbacks(WebhookHandler handler) {
        Objects.requireNonNull(handler, "handler");
        if (callbacks != null) throw new IllegalStateException("callbacks are already mounted");
        callbacks = handler;
    }

    /** Whether {@code path} is a callback path ({@code /hooks/callback} itself included). */
    static boolean isCallback(String path) {
        return path.startsWith(CALLBACK_PREFIX) || path.equals(CALLBACK_PREFIX.substring(0, CALLBACK_PREFIX.length() - 1));
    }

    /** The callback route of a callback path, when callbacks are mounted. */
    Optional<Mount> findCallback(String path) {
        WebhookHandler h = callbacks;
        return h == null || !isCallback(path) ? Optional.empty() : Optional.of(new Mount(path, CALLBACK_ENGINE, h));
    }

    Optional<Mount> find(String path) {
        return Optional.ofNullable(mounts.get(path));
    }
}
