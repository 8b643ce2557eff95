package dev.weft.wire;

import dev.weft.model.LogLine;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GoJsonTest {

    private static String bytes(byte... b) {
        WireBuffer out = new WireBuffer();
        GoJson.string(out, b, 0, b.length);
        return out.toString();
    }

    private static String java(String s) {
        WireBuffer out = new WireBuffer();
        GoJson.string(out, s);
        return out.toString();
    }

    private static byte[] b(int... v) {
        byte[] r = new byte[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (byte) v[i];
        return r;
    }

    private static String time(long sec, long nanos, long offset) {
        WireBuffer out = new WireBuffer();
        GoJson.time(out, sec, nanos, offset);
        return out.toString();
    }

    static Stream<Arguments> invalidUtf8() {
        return Stream.of(
                Arguments.of("lone continuation byte", b(0x80), "\"\\ufffd\""),
                Arguments.of("C0 and C1 overlong leads", b(0xC0, 0x80, 0xC1, 0xBF), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
                Arguments.of("E0 overlong (second byte below A0)", b(0xE0, 0x9F, 0xBF), "\"\\ufffd\\ufffd\\ufffd\""),
                Arguments.of("ED surrogate (second byte above 9F)", b(0xED, 0xA0, 0x80), "\"\\ufffd\\ufffd\\ufffd\""),
                Arguments.of("F0 overlong (second byte below 90)", b(0xF0, 0x8F, 0xBF, 0xBF), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
                Arguments.of("F4 above U+10FFFF", b(0xF4, 0x90, 0x80, 0x80), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""),
                Arguments.of("F5..FF never valid", b(0xF5, 0xFF, 0xFE), "\"\\ufffd\\ufffd\\ufffd\""),
                Arguments.of("truncated three-byte sequence at the end", b('a', 0xE2, 0x82), "\"a\\ufffd\\ufffd\""),
                Arguments.of("truncated sequence then ASCII", b(0xE2, 0x82, 'x'), "\"\\ufffd\\ufffdx\""),
                Arguments.of("truncated four-byte sequence", b(0xF0, 0x9F, 0x9A), "\"\\ufffd\\ufffd\\ufffd\""),
                Arguments.of("invalid byte before a valid rune is one byte only", b(0xFF, 0xC3, 0xA9), "\"\\ufffdé\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidUtf8")
    @DisplayName("Each byte Go's utf8.DecodeRune rejects becomes one \\ufffd")
    void invalidUtf8BecomesOneReplacementPerByte(String why, byte[] in, String expected) {
        assertEquals(expected, bytes(in));
    }

    @Test
    @DisplayName("Valid sequences at the edges of the accept ranges are written raw")
    void validEdgesAreRaw() {
        byte[][] valid = {b(0xC2, 0x80), b(0xDF, 0xBF), b(0xE0, 0xA0, 0x80), b(0xED, 0x9F, 0xBF), b(0xEE, 0x80, 0x80),
                b(0xF0, 0x90, 0x80, 0x80), b(0xF4, 0x8F, 0xBF, 0xBF), b(0xEF, 0xBF, 0xBD), b(0x7F)};
        for (byte[] v : valid) {
            WireBuffer out = new WireBuffer();
            GoJson.string(out, v, 0, v.length);
            byte[] expected = new byte[v.length + 2];
            expected[0] = '"';
            System.arraycopy(v, 0, expected, 1, v.length);
            expected[v.length + 1] = '"';
            assertArrayEquals(expected, out.toByteArray());
        }
    }

    @Test
    @DisplayName("HTML characters, controls and short escapes follow Go >= 1.22")
    void asciiEscapes() {
        String expected = "\"\\u003c\\u003e\\u0026 \\\" \\\\ \\n\\r\\t\\b\\f \\u0000\\u0001\\u001b\\u001f \u007f /\"";
        assertEquals(expected, java("<>& \" \\ \n\r\t\b\f \u0000\u0001\u001b\u001f \u007f /"));
        assertEquals(expected, bytes("<>& \" \\ \n\r\t\b\f \u0000\u0001\u001b\u001f \u007f /".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    @DisplayName("U+2028 and U+2029 are escaped from both bytes and Java strings, their neighbours are not")
    void lineAndParagraphSeparators() {
        assertEquals("\"a\\u2028b\\u2029c\u2027\u202a\"", java("a\u2028b\u2029c\u2027\u202a"));
        assertEquals("\"a\\u2028b\\u2029c\u2027\u202a\"",
                bytes("a\u2028b\u2029c\u2027\u202a".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    @DisplayName("An unpaired surrogate in a Java string is U+FFFD written raw, as Go writes a decoded U+FFFD")
    void loneSurrogateInJavaString() {
        assertEquals("\"x\uFFFDy\"", java("x\uD800y"));
        assertEquals("\"\uFFFD\"", java("\uDC00"));
        assertEquals("\"\uFFFD\"", java("\uD83D"));
        assertEquals("\"\uFFFD\uFFFD\"", java("\uDC00\uD800"));
        assertEquals("\"\uD83D\uDE80\"", java("\uD83D\uDE80"));
        assertArrayEquals(b('"', 'x', 0xEF, 0xBF, 0xBD, '"'), GoJson.utf8("\"x\uD800\""));
    }

    @Test
    @DisplayName("Strings longer than one encoding chunk, including a pair split across the chunk boundary")
    void longStrings() {
        StringBuilder s = new StringBuilder();
        s.append("a".repeat(1023)).append("\uD83D\uDE80").append("<".repeat(5000)).append("é".repeat(3000));
        String got = java(s.toString());
        String expected = "\"" + "a".repeat(1023) + "\uD83D\uDE80" + "\\u003c".repeat(5000) + "é".repeat(3000) + "\"";
        assertEquals(expected, got);
        assertEquals(expected, bytes(s.toString().getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    @DisplayName("Times are RFC 3339 with trimmed nanoseconds and Z only for a zero offset")
    void timeFormat() {
        assertEquals("\"2023-11-14T22:13:20Z\"", time(1700000000, 0, 0));
        assertEquals("\"2023-11-14T22:13:20.12Z\"", time(1700000000, 120000000, 0));
        assertEquals("\"2023-11-14T22:13:20.000000001Z\"", time(1700000000, 1, 0));
        assertEquals("\"2023-11-15T03:43:20.5+05:30\"", time(1700000000, 500000000, 19800));
        assertEquals("\"2023-11-14T12:43:20.999-09:30\"", time(1700000000, 999000000, -34200));
        assertEquals("\"0000-01-01T00:00:00Z\"", time(LocalDate.of(0, 1, 1).toEpochDay() * 86400, 0, 0));
        assertEquals("\"9999-12-31T23:59:59.999999999Z\"", time(253402300799L, 999999999, 0));
    }

    @Test
    @DisplayName("Offsets that are not whole minutes are written as Go truncates them")
    void oddOffsets() {
        // The clock shifts by the full offset, but the zone shows offset/60 minutes, truncated toward 0.
        assertEquals("\"1970-01-01T00:00:29+00:00\"", time(59, 0, -30));
        assertEquals("\"1970-01-01T00:00:30+00:00\"", time(0, 0, 30));
        assertEquals("\"1970-01-01T00:00:59+00:00\"", time(0, 0, 59));
        assertEquals("\"1970-01-01T00:00:00-00:01\"", time(61, 0, -61));
        assertEquals("\"1970-01-01T01:00:01+01:00\"", time(0, 0, 3601));
        assertEquals("\"1970-01-01T00:45:00+00:45\"", time(0, 0, 2700));
        assertEquals("\"1970-01-01T23:59:00+23:59\"", time(0, 0, 86340));
    }

    @Test
    @DisplayName("Nanoseconds outside [0, 1e9) are carried into the seconds like time.Unix")
    void nanosNormalisedLikeGo() {
        assertEquals("\"1969-12-31T23:59:59.999999999Z\"", time(-1, 999999999, 0));
        assertEquals("\"1969-12-31T23:59:59.999999999Z\"", time(0, -1, 0));
        assertEquals("\"1970-01-01T00:00:01.5Z\"", time(0, 1500000000, 0));
        assertEquals("\"1969-12-31T23:59:58.499999999Z\"", time(0, -1500000001, 0));
        assertEquals("\"1970-01-01T00:00:01Z\"", time(0, 1000000000, 0));
    }

    @Test
    @DisplayName("Year 10000, a negative year and a zone of 24 hours fail with Go's messages")
    void unmarshallableTimes() {
        long year10000 = LocalDate.of(10000, 1, 1).toEpochDay() * 86400;
        var e = assertThrows(WireEncodingException.class, () -> time(year10000, 0, 0));
        assertEquals("json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: year outside of range [0,9999]",
                e.getMessage());
        assertThrows(WireEncodingException.class, () -> time(-62167219201L, 0, 0));
        // In range in UTC, out of range in its own zone: Go checks the local year.
        assertEquals(GoJson.YEAR_OUT_OF_RANGE, GoJson.timeError(253402300799L, 0, 60));
        assertEquals(GoJson.YEAR_OUT_OF_RANGE, GoJson.timeError(Long.MIN_VALUE, Long.MIN_VALUE, 0));
        assertEquals(GoJson.ZONE_OUT_OF_RANGE, GoJson.timeError(0, 0, 86400));
        assertEquals(GoJson.ZONE_OUT_OF_RANGE, GoJson.timeError(0, 0, -86400));
        assertNull(GoJson.timeError(0, 0, 86399));
    }

    @Test
    @DisplayName("A LogLine whose time fails leaves a caller's buffer untouched")
    void failedEncodeAppendsNothing() {
        WireBuffer out = new WireBuffer();
        out.append("prefix".getBytes(StandardCharsets.US_ASCII));
        var t = OffsetDateTime.of(10000, 1, 1, 0, 0, 0, 0, ZoneOffset.UTC);
        assertThrows(WireEncodingException.class,
                () -> GoJson.logLine(out, LogLine.data(0, LogLine.Stream.STDOUT, "x", t)));
        assertEquals("prefix", out.toString());
        var year10000 = assertThrows(WireEncodingException.class,
                () -> GoJson.logLine(LogLine.data(0, null, "x", t)));
        assertEquals(GoJson.YEAR_OUT_OF_RANGE, year10000.getMessage());
    }

    @Test
    @DisplayName("LogLine fields come in struct order with omitempty applied")
    void logLineFields() {
        var t = OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 600_000_000, ZoneOffset.ofHoursMinutes(-7, 0));
        assertEquals("{\"kind\":\"data\",\"content\":\"hello \\u003cworld\\u003e\",\"time\":\"2026-01-02T03:04:05.6-07:00\","
                        + "\"step_id\":2,\"stream\":\"stderr\"}",
                new String(GoJson.logLine(LogLine.data(2, LogLine.Stream.STDERR, "hello <world>", t)), StandardCharsets.UTF_8));
        assertEquals("{\"kind\":\"control\",\"content\":\"Build\",\"time\":\"2026-01-02T03:04:05.6-07:00\",\"step_id\":4,"
                        + "\"step_status\":\"start\",\"step_kind\":1,\"step_command\":\"make \\u0026\\u0026 make test\"}",
                new String(GoJson.logLine(LogLine.control(4, LogLine.StepStatus.START, "Build", LogLine.StepKind.USER,
                        "make && make test", t)), StandardCharsets.UTF_8));
        assertEquals("{\"kind\":\"control\",\"content\":\"clone\",\"time\":\"2026-01-02T03:04:05.6-07:00\",\"step_id\":0,"
                        + "\"step_status\":\"end\"}",
                new String(GoJson.logLine(LogLine.control(0, LogLine.StepStatus.END, "clone", LogLine.StepKind.SYSTEM,
                        "", t)), StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("The raw entry takes invalid UTF-8 and Go-level time values")
    void rawLogLine() {
        byte[] got = GoJson.rawLogLine("data", b('o', 'k', 0xFF), 0, -1, -30, -3, "", "", 0, new byte[0]);
        assertEquals("{\"kind\":\"data\",\"content\":\"ok\\ufffd\",\"time\":\"1969-12-31T23:59:29.999999999+00:00\","
                + "\"step_id\":-3}", new String(got, StandardCharsets.UTF_8));
        byte[] control = GoJson.rawLogLine("control", b('s'), 0, 0, 0, 1, null, "end", 7, b(0xE2, 0x80, 0xA8));
        assertEquals("{\"kind\":\"control\",\"content\":\"s\",\"time\":\"1970-01-01T00:00:00Z\",\"step_id\":1,"
                + "\"step_status\":\"end\",\"step_kind\":7,\"step_command\":\"\\u2028\"}", new String(control, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("Integers are written like strconv.AppendInt, including the int64 extremes")
    void numbers() {
        for (long v : new long[]{0, 1, -1, 9, 10, -10, 1234567890123L, Long.MAX_VALUE, Long.MIN_VALUE}) {
            WireBuffer out = new WireBuffer(1);
            GoJson.number(out, v);
            assertEquals(Long.toString(v), out.toString());
        }
    }

    @Test
    @DisplayName("Status records keep present-but-empty error and exitCode 0, and omit null ones")
    void statusRecordPresence() {
        assertEquals("{\"$type\":\"\",\"createdAt\":\"c\",\"error\":\"\",\"exitCode\":0,\"pipeline\":\"p\",\"status\":\"failed\","
                        + "\"workflow\":\"w\"}",
                new String(GoJson.statusRecord(new StatusRecord("", "c", "", 0L, "p", "failed", "w")), StandardCharsets.UTF_8));
        assertEquals("{\"$type\":\"\",\"createdAt\":\"\",\"pipeline\":\"\",\"status\":\"\",\"workflow\":\"\"}",
                new String(GoJson.statusRecord(new StatusRecord(null, null, null, null, null, null, null)),
                        StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("The envelope sorts its keys like a Go map and copies the event verbatim")
    void envelope() {
        byte[] got = GoJson.envelope("{\"a\":1}".getBytes(StandardCharsets.US_ASCII), "x.y.z", "3k<");
        assertEquals("{\"event\":{\"a\":1},\"nsid\":\"x.y.z\",\"rkey\":\"3k\\u003c\"}", new String(got, StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("createdAt is UTC at second precision, as upstream's time.RFC3339 Format writes it")
    void rfc3339Seconds() {
        WireBuffer out = new WireBuffer();
        GoJson.rfc3339Seconds(out, Instant.parse("2026-11-22T10:00:00.987654321Z"));
        assertEquals("\"2026-11-22T10:00:00Z\"", out.toString());
        out.reset();
        GoJson.rfc3339Seconds(out, Instant.parse("1969-12-31T23:59:59.5Z"));
        assertEquals("\"1969-12-31T23:59:59Z\"", out.toString());
    }

    @Test
    @DisplayName("The byte[] entry points do not share their result arrays between calls")
    void resultsAreCopies() {
        var t = OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);
        byte[] first = GoJson.logLine(LogLine.data(0, null, "first", t));
        byte[] big = GoJson.logLine(LogLine.data(0, null, "x".repeat(200_000), t));
        byte[] again = GoJson.logLine(LogLine.data(0, null, "first", t));
        assertArrayEquals(first, again);
        assertEquals(200_000 + 70, big.length);
    }
}
