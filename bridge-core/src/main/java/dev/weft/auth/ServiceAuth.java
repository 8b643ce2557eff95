package dev.weft.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import dev.weft.net.Deadline;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.Provider;
import java.security.interfaces.ECPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Verifies atproto service-auth tokens ({@code Authorization: Bearer <jwt>}), as the appview sends
 * them to a spindle's XRPC methods (spec section 7):
 * <ul>
 *   <li>a JWS signed {@code ES256} (P-256) or {@code ES256K} (secp256k1); {@code alg: none} and
 *       every other algorithm are refused;</li>
 *   <li>{@code aud} is {@code did:web:<hostname>}: the hostname verbatim, or with its port colon
 *       written {@code %3A} (as the rewritten appview's {@code serviceauth.DidWeb} does), either
 *       bare or with the {@code #tangled_spindle} fragment (what a PDS proxying with
 *       {@code atproto-proxy: did:web:<host>#tangled_spindle} asks for; spec tangled-ci 3.0);</li>
 *   <li>{@code exp} is present and not more than {@link #LEEWAY} in the past; {@code iat}, when
 *       present, not more than {@link #LEEWAY} in the future;</li>
 *   <li>{@code lxm}, when present, is the method being called (or one of its names);</li>
 *   <li>the signature verifies with the {@code #atproto} key of the {@code iss} DID's document
 *       (resolved through {@link DidResolver}; a failure with a cached document retries once with a
 *       fresh one, for key rotations).</li>
 * </ul>
 * Signature arithmetic is Nimbus JOSE+JWT's, with BouncyCastle for secp256k1. Thread-safe.
 */
public final class ServiceAuth {
    private static final Logger log = LoggerFactory.getLogger(ServiceAuth.class);
    public static final Duration LEEWAY = Duration.ofSeconds(5);
    /** The service id of the spindle in its DID document, which a proxied token's audience may name. */
    public static final String SERVICE_FRAGMENT = "#tangled_spindle";
    private static final Provider BC = new BouncyCastleProvider();
    private static final int MAX_TOKEN = 8 * 1024;

    private final List<String> audiences;
    private final DidResolver resolver;
    private final Clock clock;

    public ServiceAuth(String hostname, DidResolver resolver, Clock clock) {
        Objects.requireNonNull(hostname, "hostname");
        this.audiences = hostname.contains(":")
                ? List.of("did:web:" + hostname, "did:web:" + hostname.replace(":", "%3A"))
                : List.of("did:web:" + hostname);
        this.resolver = Objects.requireNonNull(resolver, "resolver");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The audience tokens must carry. */
    public String audience() {
        return audiences.get(0);
    }

    /**
     * Verifies the {@code Authorization} header of a call to {@code method}.
     *
     * @return the caller's DID (the {@code iss}, without a {@code #fragment})
     * @throws AuthException for anything wrong with the token, with a message safe to return
     */
    public String verify(Optional<String> authorization, String method) throws AuthException {
        return verify(authorization, method, Deadline.none());
    }

    /**
     * {@link #verify(Optional, String)}, resolving the issuer only until {@code deadline}: the
     * issuer's host is chosen by an unauthenticated caller, and the request it arrived on has a
     * budget of its own.
     */
    public String verify(Optional<String> authorization, String method, Deadline deadline) throws AuthException {
        return verify(authorization, List.of(method), deadline);
    }

    /**
     * {@link #verify(Optional, String, Deadline)} for a method served under several NSIDs (a
     * renamed method and its pre-rename alias, spec tangled-ci 3.0): {@code lxm}, when present, may
     * name any of {@code methods}, the first being the one called.
     */
    public String verify(Optional<String> authorization, List<String> methods, Deadline deadline) throws AuthException {
        if (methods.isEmpty()) throw new IllegalArgumentException("no method");
        String header = authorization.orElseThrow(() -> new AuthException("missing Authorization header"));
        if (header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new AuthException("Authorization must be a Bearer token");
        }
        String token = header.substring(7).strip();
        if (token.isEmpty() || token.length() > MAX_TOKEN) throw new AuthException("malformed token");
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw new AuthException("malformed token: " + e.getMessage());
        }
        if (!(jwt instanceof SignedJWT signed)) throw new AuthException("unsigned token (alg none) refused");
        JWSAlgorithm alg = signed.getHeader().getAlgorithm();
        if (!JWSAlgorithm.ES256.equals(alg) && !JWSAlgorithm.ES256K.equals(alg)) {
            throw new AuthException("token algorithm " + alg + " refused (ES256 or ES256K)");
        }
        JWTClaimsSet claims;
        String iss;
        try {
            claims = signed.getJWTClaimsSet();
            iss = claims.getIssuer();
            checkClaims(claims, methods);
        } catch (ParseException e) {
            throw new AuthException("malformed token claims: " + e.getMessage());
        }
        if (iss == null || !iss.startsWith("did:")) throw new AuthException("token iss must be a DID");
        String did = iss.contains("#") ? iss.substring(0, iss.indexOf('#')) : iss;
        DidResolver.Resolved resolved;
        try {
            resolved = resolver.resolve(did, deadline);
        } catch (DidResolver.ResolutionException e) {
            throw new AuthException("cannot resolve issuer: " + e.getMessage());
        }
        if (verifies(signed, alg, resolved.doc())) return did;
        if (resolved.cached()) {
            try {
                if (verifies(signed, alg, resolver.resolveFresh(did, deadline))) return did;
            } catch (DidResolver.ResolutionException e) {
                throw new AuthException("cannot resolve issuer: " + e.getMessage());
            }
        }
        throw new AuthException("signature verification failed for " + did);
    }

    private void checkClaims(JWTClaimsSet claims, List<String> methods) throws ParseException, AuthException {
        Instant now = clock.instant();
        List<String> aud = claims.getAudience();
        if (aud == null || aud.size() != 1 || !isAudience(aud.get(0))) {
            throw new AuthException("token audience " + (aud == null ? "missing" : aud) + " is not " + audience());
        }
        Date exp = claims.getExpirationTime();
        if (exp == null) throw new AuthException("token has no exp");
        if (now.isAfter(exp.toInstant().plus(LEEWAY))) throw new AuthException("token expired");
        Date iat = claims.getIssueTime();
        if (iat != null && iat.toInstant().isAfter(now.plus(LEEWAY))) throw new AuthException("token issued in the future");
        Object lxm = claims.getClaim("lxm");
        if (lxm != null && !methods.contains(lxm)) {
            throw new AuthException("token is for method " + lxm + ", not " + methods.get(0));
        }
    }

    /**
     * Whether {@code aud} names this spindle. Percent-encoding is case-insensitive (RFC 3986), so
     * {@code %3a} is {@code %3A}; a hostname holds no other {@code %}.
     */
    private boolean isAudience(String aud) {
        String bare = aud.endsWith(SERVICE_FRAGMENT) ? aud.substring(0, aud.length() - SERVICE_FRAGMENT.length()) : aud;
        return audiences.contains(bare.replace("%3a", "%3A"));
    }

    private static boolean verifies(SignedJWT jwt, JWSAlgorithm alg, DidDocument doc) throws AuthException {
        Multikey.PublicKey key;
        try {
            key = doc.atprotoKey();
        } catch (Multikey.KeyFormatException e) {
            throw new AuthException("issuer key unusable: " + e.getMessage());
        }
        if (!key.type().jwsAlg().equals(alg.getName())) return false;
        try {
            ECPublicKey pub = key.jwk().toECPublicKey(BC);
            ECDSAVerifier v = new ECDSAVerifier(pub);
            v.getJCAContext().setProvider(BC);
            return jwt.verify(v);
        } catch (JOSEException | IllegalStateException e) {
            log.debug("signature check of a token from {} failed: {}", doc.did(), e.toString());
            return false;
        }
    }

    /** A token that does not authenticate; the message says why and may be returned to the caller. */
    public static final class AuthException extends Exception {
        public AuthException(String message) {
            super(message);
        }
    }
}
