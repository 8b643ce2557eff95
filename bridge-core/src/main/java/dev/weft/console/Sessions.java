package dev.weft.console;

import dev.weft.store.OperatorSessionStore;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The console's operator sessions: the operator token ({@code WEFT_ADMIN_TOKEN_FILE}) is exchanged
 * once for a random session id, which is all the cookie holds; each session has its own CSRF token
 * and an absolute expiry. Sessions live in the database ({@link OperatorSessionStore}), known by
 * an HMAC of the id under the operator token only (see {@link #stored}), so that behind one address every instance accepts a login made on
 * another and a logout ends it on all of them; the CSRF token is derived from the id (an HMAC), so
 * any instance can check it and the database holds no secret of a session. At most {@link #MAX}
 * sessions live at once (the oldest is dropped first), so repeated logins cannot grow the table.
 * Thread-safe.
 */
final class Sessions {
    static final String COOKIE = "weft_session";
    static final int MAX = 256;

    /**
     * One operator session.
     *
     * @param id   the cookie value: 32 random bytes, base64url
     * @param csrf the token every action of this session carries, derived from the id
     */
    record Session(String id, String csrf, Instant expires) {
        /** What logs show instead of the id: the first 12 hex digits of its SHA-256. */
        String tag() {
            return sha256(id).substring(0, 12);
        }
    }

    private final SecureRandom random = new SecureRandom();
    private final byte[] token;
    private final Duration lifetime;
    private final Clock clock;
    private final OperatorSessionStore store;

    /** @param token the operator token, or null: nobody can log in (the console is read-only) */
    Sessions(String token, Duration lifetime, Clock clock, OperatorSessionStore store) {
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.lifetime = lifetime;
        this.clock = clock;
        this.store = store;
    }

    /** Whether an operator token is configured at all. */
    boolean loginPossible() {
        return token != null;
    }

    /**
     * A new session when {@code offered} is the operator token, compared in constant time (as far
     * as the lengths allow: both are hashed first so their lengths leak nothing either).
     */
    Optional<Session> login(String offered) {
        if (token == null || offered == null) return Optional.empty();
        boolean ok = MessageDigest.isEqual(digest(offered.strip().getBytes(StandardCharsets.UTF_8)), digest(token));
        if (!ok) return Optional.empty();
        String id = randomToken();
        Instant now = clock.instant();
        Instant expires = now.plus(lifetime);
        store.open(stored(id), now.toEpochMilli(), expires.toEpochMilli(), MAX, now.toEpochMilli());
        return Optional.of(new Session(id, csrfOf(id), expires));
    }

    /** The live session whose id the request's cookie holds. */
    Optional<Session> find(String cookieHeader) {
        String id = cookie(cookieHeader, COOKIE);
        if (id == null || id.isEmpty() || token == null) return Optional.empty();
        OptionalLong expires = store.expiry(stored(id), clock.millis());
        if (expires.isEmpty()) return Optional.empty();
        return Optional.of(new Session(id, csrfOf(id), Instant.ofEpochMilli(expires.getAsLong())));
    }

    void logout(Session s) {
        if (token != null) store.close(stored(s.id()));
    }

    /**
     * What the store knows a session by: an HMAC of its id under the operator token. The table
     * gives nobody a session, and a new operator token (rotated because the old one leaked) ends
     * every session opened with the old one, on every instance, since their ids no longer match.
     */
    private String stored(String id) {
        return HexFormat.of().formatHex(hmac(token, "weft console session v1:" + id));
    }

    private static byte[] hmac(byte[] key, String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e); // every JDK has HmacSHA256
        }
    }

    /**
     * A session's CSRF token: an HMAC of a fixed label under the session id. Unguessable without
     * the id (which only the cookie holds, and SameSite keeps from other sites), and the same on
     * every instance without being stored.
     */
    static String csrfOf(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                hmac(id.getBytes(StandardCharsets.UTF_8), "weft console csrf v1"));
    }

    /** Whether {@code offered} is {@code s}'s CSRF token, compared in constant time. */
    static boolean csrfMatches(Session s, String offered) {
        if (offered == null) return false;
        return MessageDigest.isEqual(digest(offered.getBytes(StandardCharsets.UTF_8)),
                digest(s.csrf().getBytes(StandardCharsets.UTF_8)));
    }

    /** The {@code Set-Cookie} value for {@code s}; {@code secure} when the console is reached over HTTPS. */
    String setCookie(Session s, boolean secure) {
        return COOKIE + "=" + s.id() + "; Path=/console; Max-Age=" + lifetime.toSeconds() + "; HttpOnly; SameSite=Strict"
                + (secure ? "; Secure" : "");
    }

    static String clearCookie(boolean secure) {
        return COOKIE + "=; Path=/console; Max-Age=0; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
    }

    private String randomToken() {
        byte[] b = new byte[32];
        random.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The value of cookie {@code name} in a {@code Cookie} header, or null. */
    static String cookie(String header, String name) {
        if (header == null) return null;
        for (String part : header.split(";")) {
            int eq = part.indexOf('=');
            if (eq > 0 && part.substring(0, eq).strip().equals(name)) return part.substring(eq + 1).strip();
        }
        return null;
    }

    private static byte[] digest(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e); // every JDK has SHA-256
        }
    }

    static String sha256(String s) {
        return HexFormat.of().formatHex(digest(s.getBytes(StandardCharsets.UTF_8)));
    }
}
