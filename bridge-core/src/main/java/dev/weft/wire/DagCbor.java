package dev.weft.wire;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * The few DAG-CBOR items weft writes, appended to a {@link WireBuffer}: unsigned and negative
 * integers, text strings and map heads. Every head is in shortest form and every length definite;
 * nothing here writes tags, floats or indefinite items.
 *
 * <p>Why hand-written: the appview decodes {@code sh.tangled.ci.subscribePipelineLogs} messages
 * with cbor-gen, and the spec (tangled-ci.md 4.3) fixes the bytes upstream writes, including the
 * length-then-bytewise key order of DAG-CBOR maps. A general CBOR library neither sorts keys nor
 * promises shortest heads, and its text writer would refuse or rewrite the invalid UTF-8 a CI log
 * can hold, which Go passes through untouched. So text strings here carry their bytes as given.
 *
 * <p>Package-private: only the frame encoders of this package need it, and keeping it out of the
 * public API leaves room to change it. Maps are written by the caller: {@link #mapHead} then its keys in canonical order. Keys are
 * constants encoded once with {@link #key(String)}, and {@link #requireCanonicalOrder} checks a
 * declared order once, at class initialisation, so the per-message path neither sorts nor allocates.
 */
final class DagCbor {
    /** Major type 0, unsigned integer. */
    static final int UNSIGNED = 0;
    /** Major type 1, negative integer {@code -1 - n}. */
    static final int NEGATIVE = 1;
    /** Major type 3, text string. */
    static final int TEXT = 3;
    /** Major type 5, map. */
    static final int MAP = 5;

    private DagCbor() {
    }

    /**
     * Appends the head of major type {@code major} with argument {@code value}, read as unsigned
     * 64 bits, in the shortest of the five forms (0..23 inside the initial byte, then 1, 2, 4 or 8
     * big-endian bytes after 24..27).
     */
    static void head(WireBuffer out, int major, long value) {
        if (major < 0 || major > 7) throw new IllegalArgumentException("major type " + major);
        out.ensure(9);
        byte[] buf = out.buf;
        int p = out.len;
        int mt = major << 5;
        if (value >= 0 && value < 24) {
            buf[p++] = (byte) (mt | (int) value);
        } else if (value >= 0 && value <= 0xFFL) {
            buf[p++] = (byte) (mt | 24);
            buf[p++] = (byte) value;
        } else if (value >= 0 && value <= 0xFFFFL) {
            buf[p++] = (byte) (mt | 25);
            buf[p++] = (byte) (value >>> 8);
            buf[p++] = (byte) value;
        } else if (value >= 0 && value <= 0xFFFF_FFFFL) {
            buf[p++] = (byte) (mt | 26);
            for (int shift = 24; shift >= 0; shift -= 8) buf[p++] = (byte) (value >>> shift);
        } else {
            buf[p++] = (byte) (mt | 27);
            for (int shift = 56; shift >= 0; shift -= 8) buf[p++] = (byte) (value >>> shift);
        }
        out.len = p;
    }

    /**
     * Appends a signed integer as cbor-gen writes an {@code int64}: major type 0 when
     * {@code v >= 0}, else major type 1 with argument {@code -1 - v} (which cannot overflow).
     */
    static void integer(WireBuffer out, long v) {
        if (v >= 0) head(out, UNSIGNED, v);
        else head(out, NEGATIVE, -1 - v);
    }

    /** Appends the head of a definite map of {@code entries} key/value pairs. */
    static void mapHead(WireBuffer out, int entries) {
        if (entries < 0) throw new IllegalArgumentException("entries < 0");
        head(out, MAP, entries);
    }

    /**
     * Appends a text string holding {@code src[off, off + len)} exactly: Go's cbor-gen writes a
     * {@code string}'s bytes without validating them, so invalid UTF-8 stays as it is.
     */
    static void text(WireBuffer out, byte[] src, int off, int len) {
        head(out, TEXT, len);
        out.append(src, off, len);
    }

    /** {@link #text(WireBuffer, byte[], int, int)} over a whole array. */
    static void text(WireBuffer out, byte[] src) {
        text(out, src, 0, src.length);
    }

    /**
     * Appends a Java string as a text string of its UTF-8, each unpaired surrogate taken as U+FFFD
     * (what Go holds after decoding the same text from JSON). Two passes, no allocation.
     */
    static void text(WireBuffer out, String s) {
        int n = GoJson.utf8Length(s);
        head(out, TEXT, n);
        out.ensure(n);
        out.len = GoJson.utf8(out.buf, out.len, s);
    }

    /** A map key (or any constant text) encoded once: its head and its UTF-8 bytes. */
    static byte[] key(String name) {
        WireBuffer b = new WireBuffer(name.length() * 3 + 9);
        text(b, name);
        return b.toByteArray();
    }

    /**
     * DAG-CBOR's map key order on encoded keys: the shorter first, then bytewise with bytes
     * unsigned. For text keys this is the order of their UTF-8 by length, then bytes, because keys
     * of equal length have equal heads.
     */
    static int compareKeys(byte[] a, byte[] b) {
        if (a.length != b.length) return Integer.compare(a.length, b.length);
        return Arrays.compareUnsigned(a, b);
    }

    /**
     * Throws unless {@code keys} (encoded with {@link #key(String)}) are strictly in canonical
     * order, meaning also no duplicates. Meant for static initialisers that hard-code a map's order.
     */
    static void requireCanonicalOrder(byte[]... keys) {
        for (int i = 1; i < keys.length; i++) {
            if (compareKeys(keys[i - 1], keys[i]) >= 0) {
                throw new IllegalStateException("map keys out of DAG-CBOR order: "
                        + HexFormat.of().formatHex(keys[i - 1]) + " before " + HexFormat.of().formatHex(keys[i]));
            }
        }
    }
}
