package dev.weft.wire;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TidTest {

    @Test
    @DisplayName("Known values encode as the AT-protocol reference implementations do")
    void knownValues() {
        assertEquals("2222222222222", Tid.of(0, 0));
        assertEquals("2222222222223", Tid.of(0, 1));
        assertEquals("222222222222x", Tid.of(0, 29));
        assertEquals("222222222222z", Tid.of(0, 31));
        assertEquals("2222222222232", Tid.of(0, 32));
        // The largest value: 63 one bits, so the first character carries 0b0111 ('b').
        assertEquals("bzzzzzzzzzzzz", Tid.of(Tid.MAX_MICROS, Tid.MAX_CLOCK_ID));
    }

    @Test
    @DisplayName("A TID round-trips its microseconds and clock id")
    void roundTrip() {
        Random r = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            long micros = r.nextLong(Tid.MAX_MICROS + 1);
            int clock = r.nextInt(Tid.MAX_CLOCK_ID + 1);
            String tid = Tid.of(micros, clock);
            assertEquals(13, tid.length());
            assertTrue(Tid.isValid(tid), tid);
            assertEquals(micros, Tid.micros(tid));
            assertEquals(clock, Tid.clockId(tid));
        }
    }

    @Test
    @DisplayName("Strictly increasing event ids give strictly increasing, unique TIDs")
    void eventIdsOrderAndUniqueness() {
        Random r = new Random(11);
        long id = 1_763_805_600_000_000_000L; // 2025-11-22 in Unix nanoseconds
        String previous = Tid.fromEventId(id);
        Set<String> seen = new HashSet<>();
        seen.add(previous);
        for (int i = 0; i < 200_000; i++) {
            // Mostly +1 (the max(now, last+1) rule under load), sometimes bigger jumps across microseconds.
            id += r.nextInt(4) == 0 ? 1 + r.nextInt(5_000_000) : 1;
            String tid = Tid.fromEventId(id);
            assertTrue(tid.compareTo(previous) > 0, previous + " !< " + tid);
            assertTrue(seen.add(tid), "duplicate " + tid);
            previous = tid;
        }
    }

    @Test
    @DisplayName("An event id keeps its microseconds and its sub-microsecond rest as clock id")
    void fromEventIdParts() {
        String tid = Tid.fromEventId(1_700_000_000_123_456_789L);
        assertEquals(1_700_000_000_123_456L, Tid.micros(tid));
        assertEquals(789, Tid.clockId(tid));
        assertEquals(Tid.of(1_700_000_000_123_456L, 789), tid);
    }

    @Test
    @DisplayName("Validation rejects wrong lengths, foreign characters and a set top bit")
    void validation() {
        assertTrue(Tid.isValid("3jzfcijpj2z2a"));
        assertFalse(Tid.isValid(null));
        assertFalse(Tid.isValid(""));
        assertFalse(Tid.isValid("3jzfcijpj2z2"));
        assertFalse(Tid.isValid("3jzfcijpj2z2aa"));
        assertFalse(Tid.isValid("3jzfcijpj2z21")); // '1' is not in the alphabet
        assertFalse(Tid.isValid("3jzfcijpj2z2A")); // upper case is not either
        assertFalse(Tid.isValid("kzzzzzzzzzzzz")); // first char above 'j' would need a 65th bit
        assertTrue(Tid.isValid("jzzzzzzzzzzzz")); // the syntax rule allows up to 'j'
        assertFalse(Tid.isValid("3jzfcijpj2z2\u00e9"));
        assertThrows(IllegalArgumentException.class, () -> Tid.micros("nope"));
    }

    @Test
    @DisplayName("Values that do not fit a TID are refused rather than wrapped")
    void outOfRange() {
        assertThrows(IllegalArgumentException.class, () -> Tid.of(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> Tid.of(Tid.MAX_MICROS + 1, 0));
        assertThrows(IllegalArgumentException.class, () -> Tid.of(0, 1024));
        assertThrows(IllegalArgumentException.class, () -> Tid.of(0, -1));
        assertThrows(IllegalArgumentException.class, () -> Tid.fromEventId(-1));
        assertThrows(IllegalArgumentException.class, () -> Tid.fromEventId(Long.MAX_VALUE));
    }
}
