package dev.weft.auth;

import java.math.BigInteger;
import java.util.Arrays;

/** Base58 with the Bitcoin alphabet (multibase {@code base58btc}). */
final class Base58 {
    static final String ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    private static final int[] INDEX = new int[128];
    private static final BigInteger BASE = BigInteger.valueOf(58);

    static {
        Arrays.fill(INDEX, -1);
        for (int i = 0; i < ALPHABET.length(); i++) INDEX[ALPHABET.charAt(i)] = i;
    }

    private Base58() {
    }

    static byte[] decode(String s) throws Multikey.KeyFormatException {
        if (s.isEmpty()) return new byte[0];
        if (s.length() > 512) throw new Multikey.KeyFormatException("base58 text too long");
        BigInteger n = BigInteger.ZERO;
        int zeros = 0;
        boolean leading = true;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int d = c < 128 ? INDEX[c] : -1;
            if (d < 0) throw new Multikey.KeyFormatException("not base58btc: character '" + c + "' at " + i);
            if (leading && d == 0) {
                zeros++;
            } else {
                leading = false;
            }
            n = n.multiply(BASE).add(BigInteger.valueOf(d));
        }
        byte[] body = n.signum() == 0 ? new byte[0] : n.toByteArray();
        if (body.length > 1 && body[0] == 0) body = Arrays.copyOfRange(body, 1, body.length); // sign byte
        byte[] out = new byte[zeros + body.length];
        System.arraycopy(body, 0, out, zeros, body.length);
        return out;
    }

    static String encode(byte[] bytes) {
        int zeros = 0;
        while (zeros < bytes.length && bytes[zeros] == 0) zeros++;
        BigInteger n = new BigInteger(1, bytes);
        StringBuilder b = new StringBuilder();
        while (n.signum() > 0) {
            BigInteger[] qr = n.divideAndRemainder(BASE);
            b.append(ALPHABET.charAt(qr[1].intValue()));
            n = qr[0];
        }
        b.append("1".repeat(zeros));
        return b.reverse().toString();
    }
}
