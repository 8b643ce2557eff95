package dev.weft.wire;

/**
 * AT-protocol timestamp identifiers, used as the {@code rkey} of every published status.
 *
 * <p>Why TIDs: the appview stores statuses with {@code insert or ignore} on (spindle, rkey), so a
 * reused rkey silently loses a status. A TID is 13 characters of base32-sortable text over a 64-bit
 * value {@code (microseconds since the Unix epoch << 10) | clockId}, top bit 0, so string order is
 * numeric order. Weft derives it from the event id (Unix nanoseconds, strictly increasing): the
 * microseconds and the sub-microsecond remainder as clock id, which keeps distinct ids distinct
 * and increasing ids increasing without any extra state.
 */
public final class Tid {
    /** Characters in a TID. */
    public static final int LENGTH = 13;
    /** The largest microsecond count whose value still fits in 63 bits after the 10-bit shift. */
    public static final long MAX_MICROS = (1L << 53) - 1;
    /** Clock ids take 10 bits. */
    public static final int MAX_CLOCK_ID = 1023;

    private static final String ALPHABET = "234567abcdefghijklmnopqrstuvwxyz";
    private static final byte[] DECODE = new byte[128];

    static {
        java.util.Arrays.fill(DECODE, (byte) -1);
        for (int i = 0; i < ALPHABET.length(); i++) DECODE[ALPHABET.charAt(i)] = (byte) i;
    }

    private Tid() {
    }

    /**
     * The TID for a microsecond timestamp and clock id.
     *
     * @throws IllegalArgumentException when micros is outside [0, {@link #MAX_MICROS}] or clockId
     *                                  outside [0, {@link #MAX_CLOCK_ID}]
     */
    public static String of(long micros, int clockId) {
        if (micros < 0 || micros > MAX_MICROS) {
            throw new IllegalArgumentException("TID micros out of range [0, 2^53): " + micros);
        }
        if (clockId < 0 || clockId > MAX_CLOCK_ID) {
            throw new IllegalArgumentException("TID clock id out of range [0, 1023]: " + clockId);
        }
        long v = (micros << 10) | clockId;
        char[] c = new char[LENGTH];
        for (int i = LENGTH - 1; i >= 0; i--) {
            c[i] = ALPHABET.charAt((int) (v & 31));
            v >>>= 5;
        }
        return new String(c);
    }

    /**
     * The TID of an event id in Unix nanoseconds: {@code of(id / 1000, id % 1000)}. The remainder is
     * below 1000, inside the 10-bit clock id, so the mapping is injective and order-preserving.
     *
     * @throws IllegalArgumentException for a negative id, or one past year 2255 (micros > 2^53 - 1)
     */
    public static String fromEventId(long nanosId) {
        if (nanosId < 0) throw new IllegalArgumentException("event id must not be negative: " + nanosId);
        return of(nanosId / 1000, (int) (nanosId % 1000));
    }

    /**
     * Whether {@code s} is a TID by the AT-protocol syntax rule: 13 alphabet characters, the first
     * one of {@code 234567abcdefghij}. That rule is what other implementations accept, so it is the
     * one applied to foreign keys; it is looser than the layout (which keeps the top bit 0 and so
     * never starts past {@code b}), and every TID made here satisfies both.
     */
    public static boolean isValid(String s) {
        if (s == null || s.length() != LENGTH) return false;
        for (int i = 0; i < LENGTH; i++) {
            char ch = s.charAt(i);
            if (ch >= 128 || DECODE[ch] < 0) return false;
        }
        // 13 characters carry 65 bits; the first character's top bit is beyond the 64-bit value.
        return DECODE[s.charAt(0)] < 16;
    }

    /** The 64-bit value of a TID. */
    public static long value(String tid) {
        if (!isValid(tid)) throw new IllegalArgumentException("not a TID: " + tid);
        long v = 0;
        for (int i = 0; i < LENGTH; i++) v = (v << 5) | DECODE[tid.charAt(i)];
        return v;
    }

    /** The microseconds since the Unix epoch a TID carries. */
    public static long micros(String tid) {
        return value(tid) >>> 10;
    }

    /** The clock id a TID carries. */
    public static int clockId(String tid) {
        return (int) (value(tid) & MAX_CLOCK_ID);
    }
}
