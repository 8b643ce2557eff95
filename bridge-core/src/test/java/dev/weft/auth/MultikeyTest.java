package dev.weft.auth;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.Arrays;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MultikeyTest {

    @Test
    @DisplayName("base58btc round-trips, leading zero bytes included")
    void base58() throws Exception {
        byte[][] samples = {new byte[0], {0}, {0, 0, 1}, {(byte) 0xff}, HexFormat.of().parseHex("00010203fffefd"),
                "hello world".getBytes()};
        for (byte[] b : samples) assertArrayEquals(b, Base58.decode(Base58.encode(b)), Arrays.toString(b));
        assertEquals("StV1DL6CwTryKyV", Base58.encode("hello world".getBytes()));
        assertEquals("1112", Base58.encode(new byte[]{0, 0, 0, 1}));
        assertThrows(Multikey.KeyFormatException.class, () -> Base58.decode("0OIl"));
    }

    @Test
    @DisplayName("the atproto documentation's example keys decode to their curves")
    void knownKeys() throws Exception {
        // did:key examples from the atproto cryptography documentation
        assertEquals(Multikey.KeyType.P256, Multikey.decode("zDnaembgSGUhZULN2Caob4HLJPaxBh92N7rtH21TErzqf8HQo").type());
        assertEquals(Multikey.KeyType.K256, Multikey.decode("zQ3shqwJEJyMBsBXCWyCBpUBMqxcon9oHB7mCvx4sSpMdLJwc").type());
    }

    @ParameterizedTest
    @EnumSource(Multikey.KeyType.class)
    @DisplayName("a fresh key's compressed point survives encode and decode with the right multicodec prefix")
    void roundTrip(Multikey.KeyType type) throws Exception {
        TestIdentity id = TestIdentity.plc(type);
        String mk = id.multikey();
        assertTrue(mk.startsWith(type == Multikey.KeyType.P256 ? "zDn" : "zQ3s"), mk);
        Multikey.PublicKey k = Multikey.decode(mk);
        assertEquals(type, k.type());
        byte[] raw = Base58.decode(mk.substring(1));
        assertEquals(35, raw.length);
        assertArrayEquals(type == Multikey.KeyType.P256 ? new byte[]{(byte) 0x80, 0x24} : new byte[]{(byte) 0xe7, 0x01},
                Arrays.copyOf(raw, 2));
        // the legacy form: the bare point
        assertEquals(k.jwk().getX(), Multikey.decodeLegacy(type, "z" + Base58.encode(id.compressedPublicKey())).jwk().getX());
    }

    @Test
    @DisplayName("refuses other multibases, unknown codecs, wrong lengths and points off the curve")
    void refusals() {
        TestIdentity id = TestIdentity.plc(Multikey.KeyType.P256);
        String mk = id.multikey();
        assertThrows(Multikey.KeyFormatException.class, () -> Multikey.decode("m" + mk.substring(1)));
        assertThrows(Multikey.KeyFormatException.class, () -> Multikey.decode("z" + Base58.encode(new byte[]{(byte) 0xed, 0x01, 1, 2})));
        assertThrows(Multikey.KeyFormatException.class, () -> Multikey.decode(mk.substring(0, mk.length() - 3)));
        byte[] point = id.compressedPublicKey();
        byte[] bad = point.clone();
        bad[0] = 0x05; // not a SEC1 point tag
        assertThrows(Multikey.KeyFormatException.class, () -> Multikey.decode(Multikey.encode(Multikey.KeyType.P256, bad)));
        // an x with no point on the curve: try x values until one is not on P-256
        byte[] off = new byte[33];
        off[0] = 0x02;
        boolean refused = false;
        for (int x = 1; x < 50 && !refused; x++) {
            off[32] = (byte) x;
            try {
                Multikey.decode(Multikey.encode(Multikey.KeyType.P256, off));
            } catch (Multikey.KeyFormatException e) {
                refused = true;
            }
        }
        assertTrue(refused, "some x has no point on the curve and must be refused");
    }
}
