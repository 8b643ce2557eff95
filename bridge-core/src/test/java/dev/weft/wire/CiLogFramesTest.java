package dev.weft.wire;

import dev.weft.model.LogLine;
import dev.weft.model.LogLine.Kind;
import dev.weft.model.LogLine.StepKind;
import dev.weft.model.LogLine.StepStatus;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CiLogFramesTest {

    private static final HexFormat HEX = HexFormat.of();
    private static final OffsetDateTime T0 = OffsetDateTime.parse("2026-05-01T10:00:00Z");

    private static final String DATA_HEADER = "a26174652364617461626f7001";
    private static final String CONTROL_HEADER = "a261746823636f6e74726f6c626f7001";
    /** "time": "2026-05-01T10:00:00Z". */
    private static final String TIME_T0 = "6474696d6574323032362d30352d30315431303a30303a30305a";
    private static final String WORKFLOW_CI = "68776f726b666c6f776663692e796d6c";

    private static String hex(byte[] b) {
        return HEX.formatHex(b);
    }

    private static String text(String s) {
        WireBuffer b = new WireBuffer();
        DagCbor.text(b, s);
        return hex(b.toByteArray());
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("The worked #data example of spec 4.3, byte for byte")
    void specDataExample() {
        String expected = DATA_HEADER
                + "a5" + "6473746570" + "02"
                + TIME_T0
                + "6673747265616d" + "667374646f7574"
                + "67636f6e74656e74" + "6668656c6c6f0a"
                + WORKFLOW_CI;
        assertEquals(expected, hex(CiLogFrames.logLine(LogLine.data(2, LogLine.Stream.STDOUT, "hello", T0), "ci.yml")));
    }

    @Test
    @DisplayName("The worked #control example of spec 4.3, byte for byte")
    void specControlExample() {
        String expected = CONTROL_HEADER
                + "a7" + "646b696e64" + "6475736572"
                + "6473746570" + "02"
                + TIME_T0
                + "66737461747573" + "657374617274"
                + "67636f6d6d616e64" + "696d616b652074657374"
                + "67636f6e74656e74" + "6952756e207465737473"
                + WORKFLOW_CI;
        LogLine line = LogLine.control(2, StepStatus.START, "Run tests", StepKind.USER, "make test", T0);
        assertEquals(expected, hex(CiLogFrames.logLine(line, "ci.yml")));
    }

    @Test
    @DisplayName("A system control line without status or command is a map of 5: kind system, step, time, content, workflow")
    void minimalControl() {
        LogLine line = new LogLine(Kind.CONTROL, "Clone", T0, 0, LogLine.Stream.STDERR, null, StepKind.SYSTEM, "");
        String expected = CONTROL_HEADER + "a5" + "646b696e64" + "6673797374656d" + "6473746570" + "00" + TIME_T0
                + "67636f6e74656e74" + text("Clone") + WORKFLOW_CI;
        assertEquals(expected, hex(CiLogFrames.logLine(line, "ci.yml")));
    }

    @Test
    @DisplayName("stderr stays stderr; a data line without a stream is stdout; a negative step is a negative int")
    void dataVariants() {
        String err = hex(CiLogFrames.logLine(LogLine.data(-25, LogLine.Stream.STDERR, "", T0), "w"));
        assertEquals(DATA_HEADER + "a5" + "6473746570" + "3818" + TIME_T0 + "6673747265616d" + "66737464657272"
                + "67636f6e74656e74" + "610a" + "68776f726b666c6f77" + "6177", err);
        String none = hex(CiLogFrames.logLine(new LogLine(Kind.DATA, "x", T0, 1, null, StepStatus.END, StepKind.USER,
                "ignored"), "w"));
        assertEquals(DATA_HEADER + "a5" + "6473746570" + "01" + TIME_T0 + "6673747265616d" + "667374646f7574"
                + "67636f6e74656e74" + "62780a" + "68776f726b666c6f77" + "6177", none);
    }

    @Test
    @DisplayName("The LogLine path and the raw path write the same bytes")
    void modelMatchesRaw() {
        OffsetDateTime t = OffsetDateTime.ofInstant(Instant.ofEpochSecond(1_700_000_000L, 999_000_000), ZoneOffset.ofHoursMinutes(-9, -30));
        String content = "é \uD83D\uDE80 lone \uD800 <&>";
        LogLine data = LogLine.data(65_536, LogLine.Stream.STDERR, content, t);
        assertArrayEquals(CiLogFrames.rawLogLine(Kind.DATA, GoJson.utf8(content), 1_700_000_000L, 999_000_000L, -34_200,
                        65_536, "stderr", null, 0, null, "ビルド.yml"),
                CiLogFrames.logLine(data, "ビルド.yml"));
        LogLine control = LogLine.control(3, StepStatus.END, content, StepKind.USER, "go test ./...", t);
        assertArrayEquals(CiLogFrames.rawLogLine(Kind.CONTROL, GoJson.utf8(content), 1_700_000_000L, 999_000_000L,
                        -34_200, 3, "", "end", 1, utf8("go test ./..."), "ci.yml"),
                CiLogFrames.logLine(control, "ci.yml"));
        LogLine bare = LogLine.control(3, null, "", StepKind.SYSTEM, null, t);
        assertArrayEquals(CiLogFrames.rawLogLine(Kind.CONTROL, new byte[0], 1_700_000_000L, 999_000_000L, -34_200, 3,
                        null, null, 0, new byte[0], ""),
                CiLogFrames.logLine(bare, ""));
    }

    @Test
    @DisplayName("Raw content and command keep invalid UTF-8 byte for byte")
    void rawBytesKept() {
        byte[] content = {'a', (byte) 0xFF, (byte) 0xFE};
        String data = hex(CiLogFrames.rawLogLine(Kind.DATA, content, 0, 0, 0, 0, "stdout", "", 0, null, "w"));
        assertTrue(data.endsWith("67636f6e74656e74" + "6461fffe0a" + "68776f726b666c6f77" + "6177"), data);
        String control = hex(CiLogFrames.rawLogLine(Kind.CONTROL, content, 0, 0, 0, 0, null, null, 2,
                new byte[]{(byte) 0xC0, (byte) 0xAF}, "w"));
        assertTrue(control.contains("67636f6d6d616e64" + "62c0af" + "67636f6e74656e74" + "6361fffe"), control);
        assertTrue(control.startsWith(CONTROL_HEADER + "a6646b696e646475736572"), control);
        assertThrows(NullPointerException.class,
                () -> CiLogFrames.rawLogLine(null, content, 0, 0, 0, 0, null, null, 0, null, "w"));
    }

    private static String timeText(long sec, long nanos, long offset) {
        byte[] buf = new byte[GoJson.MAX_TIME_TEXT];
        int end = GoJson.timeText(buf, 0, sec, nanos, offset, false);
        return new String(buf, 0, end, StandardCharsets.US_ASCII);
    }

    @Test
    @DisplayName("Time is Go's Format with 2006-01-02T15:04:05Z07:00: truncated seconds, the line's offset, never an error")
    void timeFormat() {
        assertEquals("2026-12-31T23:59:59Z", timeText(1_798_761_599L, 999_999_999L, 0));
        assertEquals("1969-12-31T23:59:59Z", timeText(0, -1, 0));
        assertEquals("1970-01-01T00:00:02Z", timeText(0, 2_500_000_000L, 0));
        assertEquals("2023-11-15T03:43:20+05:30", timeText(1_700_000_000L, 500_000_000L, 19_800));
        assertEquals("2023-11-14T12:43:20-09:30", timeText(1_700_000_000L, 0, -34_200));
        assertEquals("1970-01-01T00:00:00+00:00", timeText(30, 0, -30));
        assertEquals("1969-12-31T23:58:30-00:01", timeText(0, 0, -90));
        // Where MarshalJSON refuses, Format writes: a fifth year digit, a sign, a three-digit zone hour.
        assertEquals("10000-01-01T00:00:00Z", timeText(253_402_300_800L, 0, 0));
        assertEquals("-0001-12-31T23:59:59Z", timeText(-62_167_219_201L, 0, 0));
        assertEquals("1970-01-05T04:00:00+100:00", timeText(0, 0, 360_000));
        assertTrue(timeText(Long.MIN_VALUE, Long.MIN_VALUE, Long.MIN_VALUE).length() <= GoJson.MAX_TIME_TEXT);
        assertTrue(timeText(Long.MAX_VALUE, Long.MAX_VALUE, Long.MAX_VALUE).length() <= GoJson.MAX_TIME_TEXT);
    }

    @Test
    @DisplayName("A time of 24 bytes or more gets the two-byte text head")
    void longTimeHead() {
        String withOffset = hex(CiLogFrames.rawLogLine(Kind.DATA, null, 1_700_000_000L, 0, 19_800, 0, null, null, 0,
                null, "w"));
        // "2023-11-15T03:43:20+05:30" is 25 bytes: 78 19.
        assertTrue(withOffset.contains("6474696d65" + "7819" + hex(utf8("2023-11-15T03:43:20+05:30"))), withOffset);
        String z = hex(CiLogFrames.rawLogLine(Kind.DATA, null, 1_700_000_000L, 0, 0, 0, null, null, 0, null, "w"));
        assertTrue(z.contains("6474696d65" + "74" + hex(utf8("2023-11-14T22:13:20Z"))), z);
        String year10k = hex(CiLogFrames.rawLogLine(Kind.DATA, null, 253_402_300_800L, 0, 3_600, 0, null, null, 0,
                null, "w"));
        assertTrue(year10k.contains("6474696d65" + "781a" + hex(utf8("10000-01-01T01:00:00+01:00"))), year10k);
    }

    @Test
    @DisplayName("The WireBuffer variant appends; the byte[] variant returns a fresh array each time")
    void bufferVariants() {
        LogLine line = LogLine.data(2, LogLine.Stream.STDOUT, "hello", T0);
        byte[] one = CiLogFrames.logLine(line, "ci.yml");
        byte[] two = CiLogFrames.logLine(line, "ci.yml");
        assertNotSame(one, two);
        assertArrayEquals(one, two);
        WireBuffer b = new WireBuffer(4);
        b.append(new byte[]{1, 2});
        CiLogFrames.logLine(b, line, "ci.yml");
        assertEquals("0102" + hex(one), hex(b.toByteArray()));
    }

    @Test
    @DisplayName("Encoding into a warm WireBuffer allocates nothing per line")
    void noAllocationPerLine() {
        if (!(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean mx)
                || !mx.isThreadAllocatedMemorySupported()) {
            return;
        }
        mx.setThreadAllocatedMemoryEnabled(true);
        OffsetDateTime t = OffsetDateTime.parse("2026-05-01T10:00:00+05:30");
        LogLine data = LogLine.data(7, LogLine.Stream.STDERR, "compiling weft é \uD83D\uDE80", t);
        LogLine control = LogLine.control(7, StepStatus.END, "Build", StepKind.USER, "mvn -q verify", t);
        WireBuffer b = new WireBuffer(1024);
        for (int i = 0; i < 20_000; i++) {
            b.reset();
            CiLogFrames.logLine(b, data, "ci.yml");
            CiLogFrames.logLine(b, control, "ci.yml");
        }
        long thread = Thread.currentThread().threadId();
        long before = mx.getThreadAllocatedBytes(thread);
        for (int i = 0; i < 10_000; i++) {
            b.reset();
            CiLogFrames.logLine(b, data, "ci.yml");
            CiLogFrames.logLine(b, control, "ci.yml");
        }
        long allocated = mx.getThreadAllocatedBytes(thread) - before;
        // 20,000 frames: anything per frame would be hundreds of kilobytes; allow for the probe itself.
        assertTrue(allocated < 20_000, "allocated " + allocated + " bytes for 20,000 frames");
    }

    @Test
    @DisplayName("a stored /logs frame converts to exactly the message of the line it encodes")
    void storedFrames() {
        Instant now = Instant.parse("2030-01-01T00:00:00Z");
        OffsetDateTime odd = OffsetDateTime.of(2026, 5, 1, 12, 30, 45, 123_456_789, ZoneOffset.ofHoursMinutes(5, 30));
        java.util.List<LogLine> lines = java.util.List.of(
                LogLine.data(2, LogLine.Stream.STDOUT, "hello <&> caf\u00e9 \u2028", T0),
                LogLine.data(-1, LogLine.Stream.STDERR, "", odd),
                LogLine.control(2, StepStatus.START, "Run tests", StepKind.USER, "make test", T0),
                LogLine.control(0, StepStatus.END, "clone", StepKind.SYSTEM, "", odd),
                LogLine.control(3, null, "weird", StepKind.USER, "", T0));
        for (LogLine l : lines) {
            assertEquals(hex(CiLogFrames.logLine(l, "ci.yml")), hex(CiLogFrames.stored(GoJson.logLine(l), "ci.yml", now)),
                    l.toString());
        }
    }

    @Test
    @DisplayName("a stored line that is not JSON is shown as data of step 0 on stdout, at the current time")
    void storedNotJson() {
        Instant now = Instant.parse("2026-05-01T10:00:00Z");
        byte[] raw = "not json {".getBytes(StandardCharsets.UTF_8);
        assertEquals(hex(CiLogFrames.logLine(LogLine.data(0, LogLine.Stream.STDOUT, "not json {", T0), "ci.yml")),
                hex(CiLogFrames.stored(raw, "ci.yml", now)));
        assertEquals(hex(CiLogFrames.logLine(LogLine.data(0, LogLine.Stream.STDOUT, "x", T0), "ci.yml")),
                hex(CiLogFrames.stored("{\"kind\":\"data\",\"content\":\"x\",\"time\":\"0001-01-01T00:00:00Z\"}"
                        .getBytes(StandardCharsets.UTF_8), "ci.yml", now)), "Go's zero time is the current time");
    }

    @Test
    @DisplayName("the error frame is indigo's: {t:'',op:-1} then {error, message}")
    void errorFrame() {
        assertEquals("a2617460626f7020" + "a2" + "656572726f72" + text("InternalError") + "676d657373616765" + text("gone"),
                hex(CiLogFrames.error("InternalError", "gone")));
    }
}
