package dev.weft.wire;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DagCborTest {

    private static String hex(Consumer<WireBuffer> write) {
        WireBuffer b = new WireBuffer(4);
        write.accept(b);
        return HexFormat.of().formatHex(b.toByteArray());
    }

    @Test
    @DisplayName("Unsigned integers take the shortest head at the 23/24, 255/256, 65535/65536 and 2^32 boundaries")
    void unsignedBoundaries() {
        assertEquals("00", hex(b -> DagCbor.integer(b, 0)));
        assertEquals("17", hex(b -> DagCbor.integer(b, 23)));
        assertEquals("1818", hex(b -> DagCbor.integer(b, 24)));
        assertEquals("18ff", hex(b -> DagCbor.integer(b, 255)));
        assertEquals("190100", hex(b -> DagCbor.integer(b, 256)));
        assertEquals("19ffff", hex(b -> DagCbor.integer(b, 65_535)));
        assertEquals("1a00010000", hex(b -> DagCbor.integer(b, 65_536)));
        assertEquals("1affffffff", hex(b -> DagCbor.integer(b, 0xFFFF_FFFFL)));
        assertEquals("1b0000000100000000", hex(b -> DagCbor.integer(b, 0x1_0000_0000L)));
        assertEquals("1b7fffffffffffffff", hex(b -> DagCbor.integer(b, Long.MAX_VALUE)));
    }

    @Test
    @DisplayName("Negative integers are major type 1 with argument -1-n, shortest form, Long.MIN_VALUE included")
    void negativeIntegers() {
        assertEquals("20", hex(b -> DagCbor.integer(b, -1)));
        assertEquals("37", hex(b -> DagCbor.integer(b, -24)));
        assertEquals("3818", hex(b -> DagCbor.integer(b, -25)));
        assertEquals("38ff", hex(b -> DagCbor.integer(b, -256)));
        assertEquals("390100", hex(b -> DagCbor.integer(b, -257)));
        assertEquals("39ffff", hex(b -> DagCbor.integer(b, -65_536)));
        assertEquals("3a00010000", hex(b -> DagCbor.integer(b, -65_537)));
        assertEquals("3b0000000100000000", hex(b -> DagCbor.integer(b, -4_294_967_297L)));
        assertEquals("3b7fffffffffffffff", hex(b -> DagCbor.integer(b, Long.MIN_VALUE)));
    }

    @Test
    @DisplayName("A head's argument is unsigned 64 bits, so -1 is 2^64-1 in eight bytes")
    void headIsUnsigned() {
        assertEquals("1bffffffffffffffff", hex(b -> DagCbor.head(b, 0, -1L)));
        assertEquals("bb8000000000000000", hex(b -> DagCbor.head(b, 5, Long.MIN_VALUE)));
        assertThrows(IllegalArgumentException.class, () -> DagCbor.head(new WireBuffer(), 8, 0));
    }

    @Test
    @DisplayName("Text and map heads carry their length in the same shortest forms")
    void textAndMapHeads() {
        int[] lengths = {0, 23, 24, 255, 256, 65_535, 65_536};
        String[] heads = {"60", "77", "7818", "78ff", "790100", "79ffff", "7a00010000"};
        for (int i = 0; i < lengths.length; i++) {
            byte[] s = "x".repeat(lengths[i]).getBytes(StandardCharsets.US_ASCII);
            WireBuffer b = new WireBuffer(8);
            DagCbor.text(b, s);
            String h = heads[i];
            assertEquals(h, HexFormat.of().formatHex(b.toByteArray(), 0, h.length() / 2), "length " + lengths[i]);
            assertEquals(h.length() / 2 + lengths[i], b.length(), "length " + lengths[i]);
        }
        assertEquals("a0", hex(b -> DagCbor.mapHead(b, 0)));
        assertEquals("b7", hex(b -> DagCbor.mapHead(b, 23)));
        assertEquals("b818", hex(b -> DagCbor.mapHead(b, 24)));
        assertEquals("b90100", hex(b -> DagCbor.mapHead(b, 256)));
        assertThrows(IllegalArgumentException.class, () -> DagCbor.mapHead(new WireBuffer(), -1));
    }

    @Test
    @DisplayName("Invalid UTF-8 is written as it is; a Java string's unpaired surrogate becomes U+FFFD")
    void textBytes() {
        byte[] invalid = {'a', (byte) 0xFF, (byte) 0xFE, (byte) 0xED, (byte) 0xA0, (byte) 0x80, (byte) 0xC0, (byte) 0xAF,
                (byte) 0xE2, (byte) 0x82};
        assertEquals("6a61fffeeda080c0afe282", hex(b -> DagCbor.text(b, invalid)));
        assertEquals("63fffe00", hex(b -> DagCbor.text(b, new byte[]{0, (byte) 0xFF, (byte) 0xFE, 0, 0}, 1, 3)));
        assertEquals("63efbfbd", hex(b -> DagCbor.text(b, "\uD800")));
        assertEquals("6761efbfbd62c3a9", hex(b -> DagCbor.text(b, "a\uDC00b\u00E9")));
        assertEquals("64f09f9a80", hex(b -> DagCbor.text(b, "\uD83D\uDE80")));
        assertEquals("60", hex(b -> DagCbor.text(b, "")));
        // A long string whose UTF-8 length crosses the one-byte head: 12 two-byte chars = 24 bytes.
        assertEquals("7818" + "c3a9".repeat(12), hex(b -> DagCbor.text(b, "\u00E9".repeat(12))));
    }

    @Test
    @DisplayName("Keys order shorter first, then bytewise with bytes unsigned")
    void keyOrder() {
        List<String> names = new ArrayList<>(List.of("workflow", "content", "é", "op", "t", "step", "kind", "time",
                "command", "status", "stream", "z", "a", "~~"));
        List<byte[]> keys = new ArrayList<>();
        for (String n : names) keys.add(DagCbor.key(n));
        keys.sort(DagCbor::compareKeys);
        List<String> sorted = new ArrayList<>();
        for (byte[] k : keys) sorted.add(new String(k, 1, k.length - 1, StandardCharsets.UTF_8));
        // "é" is two bytes (c3 a9), so it sorts with "op" and after "~~" (7e 7e) by its unsigned first byte.
        assertEquals(List.of("a", "t", "z", "op", "~~", "é", "kind", "step", "time", "status", "stream", "command",
                "content", "workflow"), sorted);
    }

    @Test
    @DisplayName("requireCanonicalOrder accepts a sorted list and names the first pair out of order or repeated")
    void requireCanonicalOrder() {
        DagCbor.requireCanonicalOrder(DagCbor.key("t"), DagCbor.key("op"));
        DagCbor.requireCanonicalOrder();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> DagCbor.requireCanonicalOrder(DagCbor.key("op"), DagCbor.key("t")));
        assertTrue(e.getMessage().contains("626f70 before 6174"), e.getMessage());
        assertThrows(IllegalStateException.class,
                () -> DagCbor.requireCanonicalOrder(DagCbor.key("step"), DagCbor.key("step")));
    }

    @Test
    @DisplayName("key() is the encoded text: head then UTF-8")
    void keyBytes() {
        assertArrayEquals(new byte[]{0x61, 't'}, DagCbor.key("t"));
        assertArrayEquals(HexFormat.of().parseHex("68776f726b666c6f77"), DagCbor.key("workflow"));
    }
}
