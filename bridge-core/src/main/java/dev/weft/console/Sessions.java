package dev.weft.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The console's operator sessions, in memory: the operator token ({@code WEFT_ADMIN_TOKEN_FILE})
 * is exchanged once for a random session id, which is all the cookie holds; each session has its
 * own CSRF token and an absolute expiry. At most {@link #MAX} sessions live at once (the oldest is
 * dropped first), so repeated logins cannot grow memory. A restart logs everyone out, which for an
 * operator's console is a fair price for keeping no session secret on disk. Thread-safe.
 */
final class Sessions {
    static final String COOKIE = "weft_session";
    static final int MAX = 256;

    /**
     * One operator session.
     *
     * @param id   the cookie value: 32 random bytes, base64url
     * @param csrf the token every action of this session carries: 32 other random bytes
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
    /** Insertion order is age order: the eldest is the first to go when full. */
    private final Map<String, Session> byId = new LinkedHashMap<>();

    /** @param token the operator token, or null: nobody can log in (the console is read-only) */
    Sessions(String token, Duration lifetime, Clock clock) {
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.lifetime = lifetime;
        this.clock = clock;
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
        Session s = new Session(randomToken(), randomToken(), clock.instant().plus(lifetime));
        synchronized (byId) {
            expire();
            while (byId.size() >= MAX) {
                Iterator<String> eldest = byId.keySet().iterator();
                eldest.next();
                eldest.remove();
            }
            byId.put(s.id(), s);
        }
        return Optional.of(s);
    }

    /** The live session whose id the request's cookie holds. */
    Optional<Session> find(String cookieHeader) {
        String id = cookie(cookieHeader, COOKIE);
        if (id == null || id.isEmpty()) return Optional.empty();
        synchronized (byId) {
            Session s = byId.get(id);
            if (s == null) return Optional.empty();
            if (!clock.instant().isBefore(s.expires())) {
                byId.remove(id);
                return Optional.empty();
            }
            return Optional.of(s);
        }
    }

    void logout(Session s) {
        synchronized (byId) {
            byId.remove(s.id());
        }
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

    private void expire() {
        Instant now = clock.instant();
        byId.values().removeIf(x -> !now.isBefore(x.expires()));
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
