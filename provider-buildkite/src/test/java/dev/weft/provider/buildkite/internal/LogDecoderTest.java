package dev.weft.provider.buildkite.internal;

import dev.weft.provider.buildkite.internal.LogDecoder.Event;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LogDecoderTest {
    static final String ESC = "\u001b";
    static final String BEL = "\u0007";

    static String ts(long ms) {
        return ESC + "_bk;t=" + ms + BEL;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Feeds {@code bytes} cut at every given offset, then finishes. */
    static List<Event> feedSplit(byte[] bytes, int... cuts) {
        LogDecoder d = new LogDecoder();
        List<Event> out = new ArrayList<>();
        int from = 0;
        for (int c : cuts) {
            out.addAll(d.feed(Arrays.copyOfRange(bytes, from, c)));
            from = c;
        }
        out.addAll(d.feed(Arrays.copyOfRange(bytes, from, bytes.length)));
        out.addAll(d.finish());
        return out;
    }

    @Test
    @DisplayName("markers are stripped and give the line its time; other ANSI is kept")
    void markers() {
        byte[] log = utf8(ts(1000) + "hello " + ESC + "[31mred" + ESC + "[0m\n" + ts(2000) + "a" + ts(3000) + "b\n");
        assertEquals(List.of(
                new Event.Line("hello " + ESC + "[31mred" + ESC + "[0m", Instant.ofEpochMilli(1000)),
                new Event.Line("ab", Instant.ofEpochMilli(2000))), feedSplit(log));
    }

    @Test
    @DisplayName("a line without a marker takes the last time seen; an older agent's log has none")
    void inherit() {
        assertEquals(List.of(new Event.Line("a", Instant.ofEpochMilli(5)), new Event.Line("b", Instant.ofEpochMilli(5))),
                feedSplit(utf8(ts(5) + "a\nb\n")));
        assertEquals(List.of(new Event.Line("plain", null)), feedSplit(utf8("plain\n")));
    }

    @Test
    @DisplayName("a multi-byte UTF-8 character split across two fetches is joined, at every cut")
    void utf8Split() {
        byte[] log = utf8(ts(1) + "caf\u00e9 \u2603 \ud83d\ude00\n");
        List<Event> whole = feedSplit(log);
        assertEquals(List.of(new Event.Line("caf\u00e9 \u2603 \ud83d\ude00", Instant.ofEpochMilli(1))), whole);
        for (int cut = 1; cut < log.length; cut++) {
            assertEquals(whole, feedSplit(log, cut), "cut at " + cut);
        }
    }

    @Test
    @DisplayName("a timestamp marker split across two fetches is joined, at every cut")
    void markerSplit() {
        byte[] log = utf8("first\n" + ts(1700000000123L) + "second\r\n");
        List<Event> expected = List.of(new Event.Line("first", null),
                new Event.Line("second", Instant.ofEpochMilli(1700000000123L)));
        for (int cut = 1; cut < log.length; cut++) {
            assertEquals(expected, feedSplit(log, cut), "cut at " + cut);
        }
    }

    @Test
    @DisplayName("\\r\\n split across fetches ends one line; a lone \\r inside a line is kept")
    void crlf() {
        byte[] log = utf8("one\r\ntwo\rthree\r\n");
        List<Event> expected = List.of(new Event.Line("one", null), new Event.Line("two\rthree", null));
        assertEquals(expected, feedSplit(log, 4));
        assertEquals(expected, feedSplit(log, 3));
    }

    @Test
    @DisplayName("only complete lines are emitted before finish")
    void partial() {
        LogDecoder d = new LogDecoder();
        assertEquals(List.of(), d.feed(utf8("no newline yet")));
        assertEquals(14, d.pendingBytes());
        assertEquals(List.of(new Event.Line("no newline yet", null)), d.finish());
        assertEquals(0, d.pendingBytes());
    }

    @Test
    @DisplayName("section headers become sections; ^^^ +++ keeps the current one and is not shown")
    void sections() {
        byte[] log = utf8("pre\n" + ts(10) + "--- :package: Build\nb1\n~~~ quiet\n+++ " + ESC + "[1mTests" + ESC
                + "[0m\nt1\n^^^ +++\nt2\n---x not a header\n");
        assertEquals(List.of(
                new Event.Line("pre", null),
                new Event.Section(":package: Build", Instant.ofEpochMilli(10)),
                new Event.Line("b1", Instant.ofEpochMilli(10)),
                new Event.Section("quiet", Instant.ofEpochMilli(10)),
                new Event.Section("Tests", Instant.ofEpochMilli(10)),
                new Event.Line("t1", Instant.ofEpochMilli(10)),
                new Event.Line("t2", Instant.ofEpochMilli(10)),
                new Event.Line("---x not a header", Instant.ofEpochMilli(10))), feedSplit(log));
    }

    @Test
    @DisplayName("invalid UTF-8 becomes U+FFFD instead of failing")
    void invalid() {
        List<Event> ev = feedSplit(new byte[]{'a', (byte) 0xff, 'b', '\n'});
        assertEquals(List.of(new Event.Line("a\ufffdb", null)), ev);
    }

    @Test
    @DisplayName("an endless line is cut at a character boundary, never inside a multi-byte character")
    void longLine() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes(utf8("x"));
        while (b.size() < LogDecoder.MAX_LINE + 10) b.writeBytes(utf8("\u00e9"));
        List<Event> ev = feedSplit(b.toByteArray());
        assertTrue(ev.size() >= 2);
        for (Event e : ev) assertTrue(!((Event.Line) e).text().contains("\ufffd"));
        int total = ev.stream().mapToInt(e -> utf8(((Event.Line) e).text()).length).sum();
        assertEquals(b.size(), total);
    }
}
