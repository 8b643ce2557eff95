package dev.weft.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.SecureRandom;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Instant;
import java.util.Date;

/**
 * A fresh atproto identity for tests: a DID and a P-256 or secp256k1 key pair made now, its DID
 * document, and service-auth tokens it signs.
 */
public final class TestIdentity {
    private static final Provider BC = new BouncyCastleProvider();
    private static final SecureRandom RANDOM = new SecureRandom();

    public final String did;
    public final Multikey.KeyType type;
    private final KeyPair keys;

    private TestIdentity(String did, Multikey.KeyType type) {
        this.did = did;
        this.type = type;
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC", BC);
            g.initialize(new ECGenParameterSpec(type == Multikey.KeyType.P256 ? "secp256r1" : "secp256k1"), RANDOM);
            this.keys = g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A random did:plc with a new key. */
    public static TestIdentity plc(Multikey.KeyType type) {
        String alphabet = "abcdefghijklmnopqrstuvwxyz234567";
        StringBuilder b = new StringBuilder("did:plc:");
        for (int i = 0; i < 24; i++) b.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
        return new TestIdentity(b.toString(), type);
    }

    /** {@code did:web:<host>} ({@code host:port} written with %3A) with a new key. */
    public static TestIdentity web(String hostAndPort, Multikey.KeyType type) {
        return new TestIdentity("did:web:" + hostAndPort.replace(":", "%3A"), type);
    }

    /** The same DID with a new key (a rotation). */
    public TestIdentity rotated() {
        return new TestIdentity(did, type);
    }

    public byte[] compressedPublicKey() {
        return ((org.bouncycastle.jce.interfaces.ECPublicKey) keys.getPublic()).getQ().getEncoded(true);
    }

    public String multikey() {
        return Multikey.encode(type, compressedPublicKey());
    }

    /** The DID document: a Multikey {@code #atproto} method and, when given, a PDS. */
    public String document(String pds) {
        return "{\"@context\":[\"https://www.w3.org/ns/did/v1\",\"https://w3id.org/security/multikey/v1\"],"
                + "\"id\":\"" + did + "\",\"alsoKnownAs\":[\"at://test.example\"],"
                + "\"verificationMethod\":[{\"id\":\"" + did + "#atproto\",\"type\":\"Multikey\",\"controller\":\"" + did
                + "\",\"publicKeyMultibase\":\"" + multikey() + "\"}]"
                + (pds == null ? "" : ",\"service\":[{\"id\":\"#atproto_pds\",\"type\":\"AtprotoPersonalDataServer\","
                + "\"serviceEndpoint\":\"" + pds + "\"}]") + "}";
    }

    /** A service-auth token as the appview gets one: aud, lxm, iat now, exp in a minute. */
    public String token(String aud, String lxm) {
        Instant now = Instant.now();
        return token(claims(aud, lxm, now, now.plusSeconds(60)));
    }

    public static JWTClaimsSet.Builder claims(String iss, String aud, String lxm, Instant iat, Instant exp) {
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().issuer(iss).audience(aud).jwtID(Long.toHexString(RANDOM.nextLong()));
        if (iat != null) b.issueTime(Date.from(iat));
        if (exp != null) b.expirationTime(Date.from(exp));
        if (lxm != null) b.claim("lxm", lxm);
        return b;
    }

    public JWTClaimsSet.Builder claims(String aud, String lxm, Instant iat, Instant exp) {
        return claims(did, aud, lxm, iat, exp);
    }

    /** Signs claims with this identity's key and its algorithm. */
    public String token(JWTClaimsSet.Builder claims) {
        return sign(claims.build(), type == Multikey.KeyType.P256 ? JWSAlgorithm.ES256 : JWSAlgorithm.ES256K);
    }

    public String sign(JWTClaimsSet claims, JWSAlgorithm alg) {
        try {
            ECDSASigner signer = new ECDSASigner((ECPrivateKey) keys.getPrivate(),
                    type == Multikey.KeyType.P256 ? com.nimbusds.jose.jwk.Curve.P_256 : com.nimbusds.jose.jwk.Curve.SECP256K1);
            signer.getJCAContext().setProvider(BC);
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(alg).type(JOSEObjectType.JWT).build(), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
