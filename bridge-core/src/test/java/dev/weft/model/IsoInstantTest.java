package dev.weft.model;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class IsoInstantTest {
    @Test
    @DisplayName("format writes what Instant.toString writes and parse reads it back, over random instants and every fraction width")
    void sameAsTheJdk() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 200_000; i++) {
            long s = r.nextLong(-100_000_000_000L, 300_000_000_000L);
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> r.nextInt(1000) * 1_000_000;
                case 2 -> r.nextInt(1_000_000) * 1000;
                default -> r.nextInt(1_000_000_000);
            };
            Instant t = Instant.ofEpochSecond(s, nano);
            String text = t.toString();
            assertEquals(text, IsoInstant.format(t));
            assertEquals(t, IsoInstant.parse(text));
        }
        for (String edge : List.of("1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2024-02-29T12:00:00.5Z",
                "2026-12-05T17:46:09.1234Z", "+10000-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2026-12-05T17:46:09.000Z")) {
            assertEquals(Instant.parse(edge), IsoInstant.parse(edge), edge);
        }
    }

    @Test
    @DisplayName("odd and malformed texts: parse gives the JDK's instant, or throws the JDK's exception")
    void oddTextsAsTheJdk() {
        for (String odd : List.of("", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-12-05T24:00:00Z",
                "2026-12-05T17:60:09Z", "2026-12-05T17:46:09.Z", "2026-12-05T17:46:09.1234567891Z", "2026-12-05 17:46:09Z",
                "2026-12-05T1x:46:09Z", "abcd-12-05T17:46:09Z", "2026-12-05T17:46:09", "2026-12-05T17:46:09+01:00",
                "2016-12-31T23:59:60Z", "2026-12-05t17:46:09z", "2026-12-05T17:46Z", "-2026-12-05T17:46:09Z")) {
            Object jdk;
            try {
                jdk = Instant.parse(odd);
            } catch (DateTimeParseException e) {
                jdk = e.getClass();
            }
            Object ours;
            try {
                ours = IsoInstant.parse(odd);
            } catch (DateTimeParseException e) {
                ours = e.getClass();
            }
            assertEquals(jdk, ours, odd);
        }
        assertThrows(DateTimeParseException.class, () -> IsoInstant.parse("2026-02-30T00:00:00Z"));
    }
}
