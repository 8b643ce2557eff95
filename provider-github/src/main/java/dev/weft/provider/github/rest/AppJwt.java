package dev.weft.provider.github.rest;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

import java.security.PrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * The GitHub App's own JWT, made with nimbus-jose-jwt: RS256, {@code iss} the app id (or client id),
 * {@code iat} a minute in the past against clock drift, {@code exp} nine minutes ahead (GitHub
 * refuses more than ten).
 */
public final class AppJwt {
    static final Duration BACKDATE = Duration.ofSeconds(60);
    static final Duration LIFETIME = Duration.ofMinutes(9);

    private final String issuer;
    private final PrivateKey key;

    public AppJwt(String issuer, PrivateKey key) {
        this.issuer = issuer;
        this.key = key;
    }

    /**
     * Parses a PEM private key as GitHub hands it out ({@code BEGIN RSA PRIVATE KEY}, PKCS#1) or as
     * PKCS#8 ({@code BEGIN PRIVATE KEY}).
     *
     * @throws IllegalArgumentException when the text holds no RSA private key
     */
    public static PrivateKey parsePrivateKey(String pem) {
        try {
            JWK jwk = JWK.parseFromPEMEncodedObjects(pem);
            if (!(jwk instanceof RSAKey rsa) || !rsa.isPrivate()) {
                throw new IllegalArgumentException("not an RSA private key");
            }
            return rsa.toPrivateKey();
        } catch (JOSEException | RuntimeException e) {
            if (e instanceof IllegalArgumentException iae && "not an RSA private key".equals(iae.getMessage())) throw iae;
            throw new IllegalArgumentException("not a PEM RSA private key (" + e.getMessage() + ")", e);
        }
    }

    /** A signed JWT valid from {@code now - 60 s} to {@code now + 9 min}. */
    public String mint(Instant now) {
        JWTClaimsSet claims = new JWTClaimsSet.Builder()
                .issuer(issuer)
                .issueTime(Date.from(now.minus(BACKDATE)))
                .expirationTime(Date.from(now.plus(LIFETIME)))
                .build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.RS256), claims);
        try {
            jwt.sign(new RSASSASigner(key));
        } catch (JOSEException e) {
            throw new IllegalStateException("cannot sign the GitHub App JWT: " + e.getMessage(), e);
        }
        return jwt.serialize();
    }
}
