package dev.weft.callbacks;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

/**
 * Each run's callback token: HMAC-SHA256 over the run id with a key derived from the secrets key,
 * base64url without padding. Derived rather than stored, so nothing secret needs a table, every
 * instance sharing the key file accepts the same token, and a restart changes nothing; a token of
 * one run is useless for any other. Whether the run may still be called back is decided by its
 * state, not by the token. Thread-safe.
 */
final class CallbackTokens {
    /** The purpose the key is derived for ({@code SecretCipher#derivedKey}). */
    static final String PURPOSE = "callback-token";

    /** Initialised once and cloned per token: looking up and keying a Mac each time costs more than the HMAC. */
    private final Mac prototype;

    CallbackTokens(byte[] key) {
        if (key.length < 32) throw new IllegalArgumentException("a callback key has at least 32 bytes");
        try {
            this.prototype = Mac.getInstance("HmacSHA256");
            prototype.init(new SecretKeySpec(key.clone(), "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable: " + e, e);
        }
    }

    String tokenFor(long runId) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(mac(runId));
    }

    /** Whether {@code presented} is the token of {@code runId}, compared in constant time. */
    boolean verify(long runId, String presented) {
        byte[] want = tokenFor(runId).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(want, presented.getBytes(StandardCharsets.UTF_8));
    }

    private byte[] mac(long runId) {
        try {
            Mac mac = (Mac) prototype.clone();
            return mac.doFinal(("weft-callback-run:" + runId).getBytes(StandardCharsets.US_ASCII));
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("HmacSHA256 cannot be cloned: " + e, e);
        }
    }
}
