package dev.weft.provider.github.secrets;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import javax.crypto.AEADBadTagException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The sealed box against libsodium. The vectors were made once with libsodium 1.0.18 (PyNaCl):
 * {@code DET_*} is {@code crypto_box} with a fixed ephemeral key and nonce BLAKE2b-192(epk || pk),
 * which {@code crypto_box_seal_open} accepts (so it is exactly what {@code crypto_box_seal} computes
 * with that ephemeral key); {@code LIBSODIUM_*} is {@code crypto_box_seal}'s own output with a random
 * ephemeral key. Nothing here needs libsodium at build or test time.
 */
class SealedBoxTest {
    static final Base64.Decoder B64 = Base64.getDecoder();
    /** The recipient's X25519 secret key (bytes 7i+3) and its public key. */
    static final byte[] SK = B64.decode("AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dw=");
    static final byte[] PK = B64.decode("u1D/noKldM+/gg6X9g+5wUPsdBXPUU+M/Zjv9Z4FlhQ=");
    /** The fixed ephemeral secret key (bytes 0xA0+13i) of the deterministic vectors. */
    static final byte[] ESK = B64.decode("oK26x9Th7vsIFSIvPElWY3B9ipeksb7L2OXy/wwZJjM=");
    static final byte[] EPK = B64.decode("HpGxOxkugMnkKeuupcgTQhaV2HJeWaO6UlX+yHCgbGE=");

    static final byte[] SHORT = "p@ss wörd ✓".getBytes(StandardCharsets.UTF_8);
    static final String DET_SHORT =
            "HpGxOxkugMnkKeuupcgTQhaV2HJeWaO6UlX+yHCgbGFQ0750hW/uJhE7L+2tD5TLMbdoSOvezu8ppjtNhFU=";
    static final String LIBSODIUM_SHORT =
            "RKuOASUka7ctD3uao05mjNKFV0Igmh+6d+Keib95vXeAe4xizAyoOgnThy4n7tBQbJQOUBSOWcHQFD9Pr0s=";

    /** 200 bytes, so the stream runs over several 64-byte Salsa20 blocks after the 32-byte MAC key. */
    static final byte[] LONG = longMessage();
    static final String DET_LONG = "HpGxOxkugMnkKeuupcgTQhaV2HJeWaO6UlX+yHCgbGGXdRequY3FJFQQWQwFynTHYNU4H+6PKnFy6DCDNei2D9T1"
            + "rtykuTi2tzf+o9ZQHm0J/HoP8VkW6xjpoD/R4iWqxXO5e6dDycaZFa+S/lfSpAgXSam6vusWsyNe6Kv7nDSstvta+sLhPAY1bkeh3y9qsb"
            + "qx0rTe1iB2SLFQrNG4ZWtk9jzojQNO6W4V4y5xcTK1iqMYqYNQk4H4xHoxQf1kCLvNO6Bw5Pok0daDbXhM8MBOHKwpIgvDKJ1axoqm40Jo"
            + "dWIXMhP+IQtU84aUOIpxNpY8KcVauFI=";
    static final String LIBSODIUM_LONG = "epF7PWmn1EQotNlGKx4D567buzRGeWrFRgMCXA0HDBwwicHCsxIu8hzEqdnTviHXiPbziiE79"
            + "kA46glyeVNhW7QG+Qxos+zqCjk1SfKH8xhtK3xFM8pi9NQlky8mhMGRUf+bjDsgyh3aoOHmNWvJp93ZQvQsZIUlkulJeOw7BF29jjg+BNO"
            + "H9r8cbeyqyKL/62hLGyivzGa0fUMPBBGXbNCZtKNaO8TUCTjakua27tcXaPP5uzwRfahCx78LjXVw6/LdBnKHGBbswEeW4IYccIMZ3wInw"
            + "KNIKo0RHAIDSPS+ePD1yMwNp7fFB8XRehpWAsrTq8UExuY=";

    static byte[] longMessage() {
        byte[] m = new byte[200];
        for (int i = 0; i < m.length; i++) m[i] = (byte) (0x21 + i % 90);
        return m;
    }

    @Test
    @DisplayName("keys derive as libsodium derives them")
    void keys() {
        assertArrayEquals(PK, SealedBox.publicKey(SK));
        assertArrayEquals(EPK, SealedBox.publicKey(ESK));
    }

    @Test
    @DisplayName("HSalsa20 of the X25519 secret gives NaCl's crypto_box_beforenm key (NaCl's core1 vector)")
    void hsalsa20() {
        HexFormat hex = HexFormat.of();
        byte[] shared = hex.parseHex("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
        assertEquals("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389",
                hex.formatHex(SealedBox.hsalsa20(shared, new byte[16])));
    }

    @Test
    @DisplayName("with libsodium's ephemeral key, seal gives libsodium's bytes exactly")
    void deterministicVectors() {
        assertEquals(DET_SHORT, Base64.getEncoder().encodeToString(SealedBox.seal(SHORT, PK, ESK)));
        assertEquals(DET_LONG, Base64.getEncoder().encodeToString(SealedBox.seal(LONG, PK, ESK)));
    }

    @Test
    @DisplayName("open reads what libsodium's crypto_box_seal wrote")
    void opensLibsodium() throws Exception {
        assertArrayEquals(SHORT, SealedBox.open(B64.decode(LIBSODIUM_SHORT), PK, SK));
        assertArrayEquals(LONG, SealedBox.open(B64.decode(LIBSODIUM_LONG), PK, SK));
        assertArrayEquals(SHORT, SealedBox.open(B64.decode(DET_SHORT), PK, SK));
    }

    @Test
    @DisplayName("seal and open round-trip with fresh keys; every box differs; the length is the message's plus 48")
    void roundTrip() throws Exception {
        byte[] sk = SealedBox.newSecretKey();
        byte[] pk = SealedBox.publicKey(sk);
        for (byte[] m : new byte[][]{new byte[0], SHORT, LONG, new byte[16 * 1024]}) {
            byte[] a = SealedBox.seal(m, pk);
            byte[] b = SealedBox.seal(m, pk);
            assertEquals(m.length + SealedBox.OVERHEAD, a.length);
            assertFalse(java.util.Arrays.equals(a, b), "a fresh ephemeral key each time");
            assertArrayEquals(m, SealedBox.open(a, pk, sk));
            assertArrayEquals(m, SealedBox.open(b, pk, sk));
        }
    }

    @Test
    @DisplayName("a changed byte, a truncated box or another key pair does not open")
    void refuses() {
        byte[] box = SealedBox.seal(SHORT, PK);
        for (int i : new int[]{0, 31, 32, 47, 48, box.length - 1}) {
            byte[] bad = box.clone();
            bad[i] ^= 1;
            assertThrows(AEADBadTagException.class, () -> SealedBox.open(bad, PK, SK), "byte " + i);
        }
        assertThrows(AEADBadTagException.class, () -> SealedBox.open(java.util.Arrays.copyOf(box, 47), PK, SK));
        byte[] other = SealedBox.newSecretKey();
        assertThrows(AEADBadTagException.class, () -> SealedBox.open(box, SealedBox.publicKey(other), other));
        assertThrows(IllegalArgumentException.class, () -> SealedBox.seal(SHORT, new byte[31]));
    }
}
