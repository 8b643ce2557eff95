package dev.weft.wire;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * A growable byte buffer the wire encoders append to. It exists so that a hot path (one
 * {@code /logs} frame per log line) can encode into the same array again and again instead of
 * allocating a builder, a string and its UTF-8 copy per record; callers that keep one per
 * connection or thread pay for an allocation only when a record is larger than any before it.
 *
 * <p>Not thread-safe: one buffer belongs to one writer at a time.
 */
public final class WireBuffer {
    private static final int MAX_ARRAY = Integer.MAX_VALUE - 16;

    byte[] buf;
    int len;

    public WireBuffer() {
        this(256);
    }

    public WireBuffer(int initialCapacity) {
        if (initialCapacity < 0) throw new IllegalArgumentException("initialCapacity < 0");
        buf = new byte[Math.max(16, initialCapacity)];
    }

    /** Forgets the content but keeps the array, which is the point of reusing a buffer. */
    public WireBuffer reset() {
        len = 0;
        return this;
    }

    /** Number of bytes written since the last {@link #reset()}. */
    public int length() {
        return len;
    }

    public int capacity() {
        return buf.length;
    }

    /**
     * The backing array; bytes {@code [0, length())} are the content. Exposed so a transport can
     * write (or wrap) it without a copy; it is overwritten by the next encode after a reset, and
     * replaced when the buffer grows.
     */
    public byte[] array() {
        return buf;
    }

    /** A copy of the content, for callers that must keep the bytes past the next reuse. */
    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }

    public void writeTo(OutputStream out) throws IOException {
        out.write(buf, 0, len);
    }

    /** Drops everything after {@code newLength}; used to undo a partial write. */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > len) throw new IndexOutOfBoundsException(newLength);
        len = newLength;
    }

    /** Appends bytes verbatim (for example an already encoded JSON value). */
    public WireBuffer append(byte[] src) {
        return append(src, 0, src.length);
    }

    public WireBuffer append(byte[] src, int off, int n) {
        ensure(n);
        System.arraycopy(src, off, buf, len, n);
        len += n;
        return this;
    }

    void put(int b) {
        if (len == buf.length) grow(1);
        buf[len++] = (byte) b;
    }

    /** Makes room for {@code extra} more bytes, doubling so repeated appends stay amortised O(1). */
    void ensure(int extra) {
        if (extra > buf.length - len) grow(extra);
    }

    private void grow(int extra) {
        long need = (long) len + extra;
        if (need > MAX_ARRAY) throw new OutOfMemoryError("wire buffer would exceed " + MAX_ARRAY + " bytes");
        long cap = Math.max(need, (long) buf.length * 2);
        buf = Arrays.copyOf(buf, (int) Math.min(cap, MAX_ARRAY));
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, java.nio.charset.StandardCharsets.UTF_8);
    }
}
