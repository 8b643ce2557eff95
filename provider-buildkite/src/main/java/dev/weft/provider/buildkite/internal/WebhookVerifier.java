package dev.weft.provider.buildkite.internal;

import dev.weft.provider.buildkite.internal.BuildkiteConfig.WebhookMode;
import dev.weft.spi.WebhookRequest;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Authenticates a Buildkite webhook delivery. {@code X-Buildkite-Signature:
 * timestamp=<unix s>,signature=<hex>} carries HMAC-SHA256(secret, {@code <timestamp>.<raw body>});
 * {@code X-Buildkite-Token} carries the secret itself. Both compare in constant time. A signature
 * whose timestamp is more than the tolerance (5 min) away from now is stale, and a signature seen
 * before within the tolerance is a replay: Buildkite sends each delivery once, so a second copy
 * is somebody else's. Thread-safe.
 */
public final class WebhookVerifier {

    /** The verdict; everything but {@link #OK} answers 401. */
    public enum Outcome { OK, NO_SECRET, MISSING, MALFORMED, FORGED, STALE, REPLAYED, WRONG_MODE }

    private static final int MAX_REMEMBERED = 100_000;

    private final byte[] secret;
    private final WebhookMode mode;
    private final Clock clock;
    private final Duration tolerance;
    /** signature hex → its timestamp (unix seconds), insertion ordered for pruning. */
    private final LinkedHashMap<String, Long> seen = new LinkedHashMap<>();

    public WebhookVerifier(Optional<String> secret, WebhookMode mode, Clock clock, Duration tolerance) {
        this.secret = secret.map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null);
        this.mode = mode;
        this.clock = clock;
        this.tolerance = tolerance;
    }

    public Outcome verify(WebhookRequest request) {
        if (secret == null) return Outcome.NO_SECRET;
        Optional<String> signature = request.header("X-Buildkite-Signature");
        Optional<String> token = request.header("X-Buildkite-Token");
        if (signature.isPresent()) {
            if (mode == WebhookMode.TOKEN) return Outcome.WRONG_MODE;
            return verifySignature(signature.get(), request.body());
        }
        if (token.isPresent()) {
            if (mode == WebhookMode.SIGNATURE) return Outcome.WRONG_MODE;
            return constantTimeEquals(token.get().strip().getBytes(StandardCharsets.UTF_8), secret)
                    ? Outcome.OK : Outcome.FORGED;
        }
        return Outcome.MISSING;
    }

    private Outcome verifySignature(String header, byte[] body) {
        String ts = null;
        String sig = null;
        for (String part : header.split(",")) {
            int eq = part.indexOf('=');
            if (eq < 0) continue;
            String k = part.substring(0, eq).strip();
            String v = part.substring(eq + 1).strip();
            if (k.equals("timestamp")) ts = v;
            else if (k.equals("signature")) sig = v;
        }
        if (ts == null || sig == null || !ts.matches("\\d{1,12}") || !sig.matches("[0-9a-fA-F]{64}")) {
            return Outcome.MALFORMED;
        }
        byte[] expected = sign(secret, ts, body);
        if (!constantTimeEquals(HexFormat.of().parseHex(sig), expected)) return Outcome.FORGED;
        long at = Long.parseLong(ts);
        long now = clock.instant().getEpochSecond();
        if (Math.abs(now - at) > tolerance.toSeconds()) return Outcome.STALE;
        synchronized (seen) {
            prune(now);
            String key = sig.toLowerCase(java.util.Locale.ROOT);
            if (seen.containsKey(key)) return Outcome.REPLAYED;
            seen.put(key, at);
        }
        return Outcome.OK;
    }

    private void prune(long now) {
        Iterator<Map.Entry<String, Long>> it = seen.entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<String, Long> e = it.next();
            if (now - e.getValue() > tolerance.toSeconds() || seen.size() >= MAX_REMEMBERED) it.remove();
            else break;
        }
    }

    /** HMAC-SHA256(secret, {@code <timestamp>.<body>}). */
    public static byte[] sign(byte[] secret, String timestamp, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update(timestamp.getBytes(StandardCharsets.US_ASCII));
            mac.update((byte) '.');
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    /** Hex of {@link #sign}: what Buildkite puts after {@code signature=}. */
    public static String signatureHex(String secret, String timestamp, byte[] body) {
        return HexFormat.of().formatHex(sign(secret.getBytes(StandardCharsets.UTF_8), timestamp, body));
    }

    /** Compares digests of both sides, so neither content nor length leaks through timing. */
    private static boolean constantTimeEquals(byte[] a, byte[] b) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] ha = d.digest(a);
            byte[] hb = d.digest(b);
            return MessageDigest.isEqual(ha, hb);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
