package dev.weft.provider.github.webhook;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/** {@code X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>}, compared in constant time. */
public final class Signature {
    private static final String PREFIX = "sha256=";

    private Signature() {
    }

    /** The header value GitHub sends for {@code body} under {@code secret}. */
    public static String sign(byte[] secret, byte[] body) {
        return PREFIX + HexFormat.of().formatHex(hmac(secret, body));
    }

    /** Whether {@code header} is the signature of {@code body}; any malformed header is a mismatch. */
    public static boolean verify(byte[] secret, byte[] body, String header) {
        if (header == null) return false;
        String h = header.trim();
        if (!h.regionMatches(true, 0, PREFIX, 0, PREFIX.length())) return false;
        byte[] given;
        try {
            given = HexFormat.of().parseHex(h.substring(PREFIX.length()));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(hmac(secret, body), given);
    }

    static byte[] hmac(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    public static byte[] secret(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
