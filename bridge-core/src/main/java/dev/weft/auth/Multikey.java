package dev.weft.auth;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.util.Base64URL;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.math.ec.ECPoint;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * Decodes atproto public keys: {@code publicKeyMultibase} values of DID documents. A "Multikey" is
 * {@code z} (multibase base58btc) followed by the base58 of a multicodec varint and the key bytes:
 * {@code 0x80 0x24} (p256-pub, 0x1200) or {@code 0xe7 0x01} (secp256k1-pub, 0xe7), then a compressed
 * SEC1 point (33 bytes; 65-byte uncompressed points are accepted too). Legacy verification methods
 * ({@code EcdsaSecp256r1VerificationKey2019}, {@code EcdsaSecp256k1VerificationKey2019}) carry the
 * point without the multicodec prefix; {@link #decodeLegacy} reads those.
 *
 * <p>Every point is checked to lie on its curve (BouncyCastle's decoder does that), so a hostile
 * document cannot hand the verifier an invalid-curve key.
 */
public final class Multikey {
    private Multikey() {
    }

    /** The two key types atproto uses, with their JOSE curve and JWS algorithm name. */
    public enum KeyType {
        P256("secp256r1", Curve.P_256, "ES256", new byte[]{(byte) 0x80, 0x24}),
        K256("secp256k1", Curve.SECP256K1, "ES256K", new byte[]{(byte) 0xe7, 0x01});

        final String bcName;
        final Curve curve;
        final String jwsAlg;
        final byte[] prefix;

        KeyType(String bcName, Curve curve, String jwsAlg, byte[] prefix) {
            this.bcName = bcName;
            this.curve = curve;
            this.jwsAlg = jwsAlg;
            this.prefix = prefix;
        }

        /** The JWS {@code alg} that signs with this key type. */
        public String jwsAlg() {
            return jwsAlg;
        }
    }

    /** A decoded public key. */
    public record PublicKey(KeyType type, ECKey jwk) {
    }

    /** Decodes a Multikey {@code publicKeyMultibase}. */
    public static PublicKey decode(String multibase) throws KeyFormatException {
        byte[] raw = multibaseBytes(multibase);
        for (KeyType t : KeyType.values()) {
            if (raw.length > 2 && raw[0] == t.prefix[0] && raw[1] == t.prefix[1]) {
                return point(t, Arrays.copyOfRange(raw, 2, raw.length));
            }
        }
        throw new KeyFormatException(raw.length < 2 ? "key too short"
                : String.format("unsupported multicodec prefix 0x%02x%02x (want p256-pub or secp256k1-pub)", raw[0], raw[1]));
    }

    /** Decodes a legacy verification method's {@code publicKeyMultibase}: the point, no multicodec. */
    public static PublicKey decodeLegacy(KeyType type, String multibase) throws KeyFormatException {
        return point(type, multibaseBytes(multibase));
    }

    private static byte[] multibaseBytes(String multibase) throws KeyFormatException {
        if (multibase == null || multibase.length() < 2) throw new KeyFormatException("empty publicKeyMultibase");
        if (multibase.charAt(0) != 'z') {
            throw new KeyFormatException("publicKeyMultibase must be base58btc ('z' prefix), got '" + multibase.charAt(0) + "'");
        }
        return Base58.decode(multibase.substring(1));
    }

    private static PublicKey point(KeyType type, byte[] encoded) throws KeyFormatException {
        if (encoded.length != 33 && encoded.length != 65) {
            throw new KeyFormatException(type + " point must be 33 (compressed) or 65 bytes, got " + encoded.length);
        }
        X9ECParameters params = CustomNamedCurves.getByName(type.bcName);
        ECPoint p;
        try {
            p = params.getCurve().decodePoint(encoded).normalize();
        } catch (IllegalArgumentException e) {
            throw new KeyFormatException("not a point on " + type.bcName + ": " + e.getMessage());
        }
        if (p.isInfinity() || !p.isValid()) throw new KeyFormatException("not a valid point on " + type.bcName);
        ECKey jwk = new ECKey.Builder(type.curve, coordinate(p.getAffineXCoord().toBigInteger()),
                coordinate(p.getAffineYCoord().toBigInteger())).build();
        return new PublicKey(type, jwk);
    }

    private static Base64URL coordinate(BigInteger v) {
        byte[] b = v.toByteArray();
        byte[] out = new byte[32];
        if (b.length > 32) {
            System.arraycopy(b, b.length - 32, out, 0, 32); // strip the sign byte
        } else {
            System.arraycopy(b, 0, out, 32 - b.length, b.length);
        }
        return Base64URL.encode(out);
    }

    /** Encodes a compressed point as a Multikey (for tests and tooling). */
    public static String encode(KeyType type, byte[] compressedPoint) {
        byte[] raw = new byte[2 + compressedPoint.length];
        raw[0] = type.prefix[0];
        raw[1] = type.prefix[1];
        System.arraycopy(compressedPoint, 0, raw, 2, compressedPoint.length);
        return "z" + Base58.encode(raw);
    }

    /** Thrown for a key that cannot be decoded. */
    public static final class KeyFormatException extends Exception {
        public KeyFormatException(String message) {
            super(message);
        }
    }
}
