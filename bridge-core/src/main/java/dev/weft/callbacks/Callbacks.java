package dev.weft.callbacks;

import dev.weft.server.WebhookRoutes;
import dev.weft.spi.RunLog;
import dev.weft.spi.Variables;
import dev.weft.store.RunStore;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongFunction;

/**
 * Job callbacks, assembled: each run's {@value Variables#CALLBACK_URL} and
 * {@value Variables#CALLBACK_TOKEN} (for the run runtime to add to its variables) and the handler of
 * {@code POST /hooks/callback/<run id>} (for the server). Thread-safe.
 */
public final class Callbacks {
    /** How long after a run ended its callbacks are still acknowledged (then 410). */
    public static final Duration GRACE = Duration.ofSeconds(60);
    /** The variables whose values are credentials, masked in the run's log. */
    public static final Set<String> CREDENTIALS = Set.of(Variables.CALLBACK_TOKEN);

    private final String publicUrl;
    private final CallbackTokens tokens;
    private final CallbackReceiver receiver;

    /**
     * @param publicUrl where jobs reach this weft ({@code WEFT_PUBLIC_URL}), without a trailing slash
     * @param key       at least 32 secret bytes, the same on every instance
     *                  ({@code SecretCipher#derivedKey("callback-token")})
     * @param runs      the runs' states and their last accepted seq
     * @param logs      a run's log as the job writes it ({@code RunManager#callbackLog})
     * @param drivenHere whether this instance drives a run ({@code RunManager#drives}; always true
     *                  alone on a database): bodies for runs driven elsewhere are parked in the store
     */
    public Callbacks(String publicUrl, byte[] key, RunStore runs, LongFunction<Optional<RunLog>> logs, Clock clock,
                     java.util.function.LongPredicate drivenHere) {
        Objects.requireNonNull(publicUrl, "publicUrl");
        this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
        this.tokens = new CallbackTokens(key);
        this.receiver = new CallbackReceiver(tokens, runs, logs, clock, GRACE, drivenHere);
    }

    /** What {@code SecretCipher#derivedKey} derives the token key for. */
    public static String keyPurpose() {
        return CallbackTokens.PURPOSE;
    }

    /** The callback URL and token of a run, as its variables. */
    public Map<String, String> variables(long runId) {
        Map<String, String> v = new LinkedHashMap<>();
        v.put(Variables.CALLBACK_URL, publicUrl + WebhookRoutes.CALLBACK_PREFIX + runId);
        v.put(Variables.CALLBACK_TOKEN, tokens.tokenFor(runId));
        return v;
    }

    /**
     * Applies the callback bodies other instances parked for runs this one drives (several
     * instances on one database); called periodically by the daemon.
     */
    public void applyQueued() {
        receiver.applyQueued();
    }

    /** Mounts the receiver at {@code /hooks/callback/}. */
    public void mount(WebhookRoutes routes) {
        routes.mountCallbacks(receiver);
    }
}
