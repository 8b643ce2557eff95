package dev.weft.provider.github.secrets;

import org.bouncycastle.crypto.digests.Blake2bDigest;
import org.bouncycastle.crypto.engines.Salsa20Engine;
import org.bouncycastle.crypto.engines.XSalsa20Engine;
import org.bouncycastle.crypto.macs.Poly1305;
import org.bouncycastle.crypto.params.KeyParameter;
import org.bouncycastle.crypto.params.ParametersWithIV;
import org.bouncycastle.math.ec.rfc7748.X25519;

import javax.crypto.AEADBadTagException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;

/**
 * libsodium's anonymous sealed box ({@code crypto_box_seal}), which GitHub's secrets API requires:
 * a fresh X25519 key pair per message, nonce = BLAKE2b-192(ephemeral public key || recipient public
 * key), then NaCl's {@code crypto_box} (X25519, HSalsa20, XSalsa20-Poly1305); the output is the
 * ephemeral public key followed by the Poly1305 tag and the ciphertext (48 bytes longer than the
 * message).
 *
 * <p>Composed from BouncyCastle's primitives: {@link X25519}, {@link Blake2bDigest},
 * {@link XSalsa20Engine}, {@link Poly1305}, and {@link Salsa20Engine#salsaCore} for HSalsa20 (as
 * BouncyCastle's own XSalsa20 derives its subkey). Checked against libsodium's output in
 * {@code SealedBoxTest}. {@link #open} exists to test {@link #seal}; weft never needs to decrypt.
 * Stateless and thread-safe.
 */
public final class SealedBox {
    public static final int PUBLIC_KEY_BYTES = X25519.POINT_SIZE;
    public static final int SECRET_KEY_BYTES = X25519.SCALAR_SIZE;
    /** What sealing adds to a message: the ephemeral public key and the tag. */
    public static final int OVERHEAD = PUBLIC_KEY_BYTES + 16;
    private static final int MAC_BYTES = 16;
    private static final int NONCE_BYTES = 24;
    private static final byte[] SIGMA = "expand 32-byte k".getBytes(StandardCharsets.US_ASCII);
    private static final SecureRandom RANDOM = new SecureRandom();

    private SealedBox() {
    }

    /** Seals {@code message} for the holder of {@code recipientPublicKey} (32 bytes). */
    public static byte[] seal(byte[] message, byte[] recipientPublicKey) {
        byte[] esk = new byte[SECRET_KEY_BYTES];
        X25519.generatePrivateKey(RANDOM, esk);
        try {
            return seal(message, recipientPublicKey, esk);
        } finally {
            Arrays.fill(esk, (byte) 0);
        }
    }

    /** {@link #seal} with a given ephemeral secret key: deterministic, for test vectors only. */
    static byte[] seal(byte[] message, byte[] recipientPublicKey, byte[] ephemeralSecretKey) {
        requireLength(recipientPublicKey, PUBLIC_KEY_BYTES, "recipient public key");
        requireLength(ephemeralSecretKey, SECRET_KEY_BYTES, "ephemeral secret key");
        byte[] epk = new byte[PUBLIC_KEY_BYTES];
        X25519.generatePublicKey(ephemeralSecretKey, 0, epk, 0);
        byte[] k = beforenm(recipientPublicKey, ephemeralSecretKey);
        try {
            byte[] out = new byte[OVERHEAD + message.length];
            System.arraycopy(epk, 0, out, 0, PUBLIC_KEY_BYTES);
            byte[] nonce = nonce(epk, recipientPublicKey);
            XSalsa20Engine stream = stream(k, nonce);
            byte[] macKey = macKey(stream);
            stream.processBytes(message, 0, message.length, out, OVERHEAD);
            tag(macKey, out, OVERHEAD, message.length, out, PUBLIC_KEY_BYTES);
            return out;
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    /**
     * Opens a sealed box ({@code crypto_box_seal_open}).
     *
     * @throws AEADBadTagException the box was not sealed for this key pair, or was altered
     */
    public static byte[] open(byte[] sealed, byte[] recipientPublicKey, byte[] recipientSecretKey)
            throws AEADBadTagException {
        requireLength(recipientPublicKey, PUBLIC_KEY_BYTES, "recipient public key");
        requireLength(recipientSecretKey, SECRET_KEY_BYTES, "recipient secret key");
        if (sealed.length < OVERHEAD) throw new AEADBadTagException("sealed box shorter than " + OVERHEAD + " bytes");
        byte[] epk = Arrays.copyOfRange(sealed, 0, PUBLIC_KEY_BYTES);
        byte[] k;
        try {
            k = beforenm(epk, recipientSecretKey);
        } catch (IllegalArgumentException e) {
            throw new AEADBadTagException(e.getMessage());
        }
        try {
            XSalsa20Engine stream = stream(k, nonce(epk, recipientPublicKey));
            byte[] macKey = macKey(stream);
            int n = sealed.length - OVERHEAD;
            byte[] expected = new byte[MAC_BYTES];
            tag(macKey, sealed, OVERHEAD, n, expected, 0);
            if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(sealed, PUBLIC_KEY_BYTES, OVERHEAD))) {
                throw new AEADBadTagException("sealed box does not authenticate");
            }
            byte[] plain = new byte[n];
            stream.processBytes(sealed, OVERHEAD, n, plain, 0);
            return plain;
        } finally {
            Arrays.fill(k, (byte) 0);
        }
    }

    /** The public key of an X25519 secret key (for tests that play the recipient). */
    public static byte[] publicKey(byte[] secretKey) {
        requireLength(secretKey, SECRET_KEY_BYTES, "secret key");
        byte[] pk = new byte[PUBLIC_KEY_BYTES];
        X25519.generatePublicKey(secretKey, 0, pk, 0);
        return pk;
    }

    /** A fresh X25519 secret key. */
    public static byte[] newSecretKey() {
        byte[] sk = new byte[SECRET_KEY_BYTES];
        X25519.generatePrivateKey(RANDOM, sk);
        return sk;
    }

    /** {@code crypto_box_beforenm}: HSalsa20 of the X25519 shared secret with a zero input. */
    private static byte[] beforenm(byte[] publicKey, byte[] secretKey) {
        byte[] shared = new byte[X25519.POINT_SIZE];
        try {
            if (!X25519.calculateAgreement(secretKey, 0, publicKey, 0, shared, 0)) {
                throw new IllegalArgumentException("public key of low order");
            }
            return hsalsa20(shared, new byte[16]);
        } finally {
            Arrays.fill(shared, (byte) 0);
        }
    }

    /**
     * HSalsa20: the Salsa20 rounds over (sigma, key, input) without the final addition, words 0, 5,
     * 10, 15, 6, 7, 8, 9. {@link Salsa20Engine#salsaCore} adds the input back, so it is subtracted.
     */
    static byte[] hsalsa20(byte[] key, byte[] input) {
        int[] state = new int[16];
        state[0] = le(SIGMA, 0);
        state[5] = le(SIGMA, 4);
        state[10] = le(SIGMA, 8);
        state[15] = le(SIGMA, 12);
        for (int i = 0; i < 4; i++) {
            state[1 + i] = le(key, 4 * i);
            state[11 + i] = le(key, 16 + 4 * i);
            state[6 + i] = le(input, 4 * i);
        }
        int[] x = new int[16];
        Salsa20Engine.salsaCore(20, state, x);
        int[] words = {0, 5, 10, 15, 6, 7, 8, 9};
        byte[] out = new byte[32];
        for (int i = 0; i < words.length; i++) {
            int w = x[words[i]] - state[words[i]];
            out[4 * i] = (byte) w;
            out[4 * i + 1] = (byte) (w >>> 8);
            out[4 * i + 2] = (byte) (w >>> 16);
            out[4 * i + 3] = (byte) (w >>> 24);
        }
        Arrays.fill(state, 0);
        Arrays.fill(x, 0);
        return out;
    }

    /** {@code crypto_generichash(epk || pk, 24)}: unkeyed BLAKE2b with a 24-byte output. */
    private static byte[] nonce(byte[] epk, byte[] recipientPublicKey) {
        Blake2bDigest d = new Blake2bDigest(NONCE_BYTES * 8);
        d.update(epk, 0, epk.length);
        d.update(recipientPublicKey, 0, recipientPublicKey.length);
        byte[] nonce = new byte[NONCE_BYTES];
        d.doFinal(nonce, 0);
        return nonce;
    }

    private static XSalsa20Engine stream(byte[] key, byte[] nonce) {
        XSalsa20Engine e = new XSalsa20Engine();
        e.init(true, new ParametersWithIV(new KeyParameter(key), nonce));
        return e;
    }

    /** The first 32 bytes of the XSalsa20 stream are the one-time Poly1305 key (NaCl's secretbox). */
    private static byte[] macKey(XSalsa20Engine stream) {
        byte[] key = new byte[32];
        stream.processBytes(new byte[32], 0, 32, key, 0);
        return key;
    }

    private static void tag(byte[] macKey, byte[] data, int off, int len, byte[] out, int outOff) {
        Poly1305 mac = new Poly1305();
        mac.init(new KeyParameter(macKey));
        mac.update(data, off, len);
        mac.doFinal(out, outOff);
        Arrays.fill(macKey, (byte) 0);
    }

    private static int le(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static void requireLength(byte[] b, int n, String what) {
        if (b == null || b.length != n) {
            throw new IllegalArgumentException(what + " must be " + n + " bytes, not " + (b == null ? "null" : b.length));
        }
    }
}
