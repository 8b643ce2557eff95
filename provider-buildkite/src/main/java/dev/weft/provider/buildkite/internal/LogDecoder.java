package dev.weft.provider.buildkite.internal;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a Buildkite job log, fed as byte chunks in order, into lines and section headers. Only
 * complete lines are decoded, so whatever a fetch boundary splits (a multi-byte UTF-8 sequence, an
 * {@code ESC _ bk;t=<ms> BEL} timestamp, a {@code \r\n}) is joined with the next chunk before it is
 * looked at. Timestamp markers are removed and the first one of a line becomes its time (a line
 * without one takes the last time seen); other escape sequences, colours included, are kept.
 * Headers {@code --- }, {@code ~~~ } and {@code +++ } start a section; {@code ^^^ +++} (re-open
 * the previous section) keeps writing to the current one and is not shown. Not thread-safe.
 */
public final class LogDecoder {

    /** What a log line turned out to be. */
    public sealed interface Event {
        /** A line of output; {@code at} is null when the log carries no time for it. */
        record Line(String text, Instant at) implements Event {
        }

        /** A section header: subsequent lines belong to a step of this name. */
        record Section(String name, Instant at) implements Event {
        }
    }

    /** A line longer than this without a newline is cut, at a character boundary. */
    static final int MAX_LINE = 1 << 20;

    private static final Pattern MARKER = Pattern.compile("\u001b_bk;t=(\\d{1,19})(?:\u0007|\u001b\\\\)");
    private static final Pattern SGR = Pattern.compile("\u001b\\[[0-9;?]*[A-Za-z]");

    private byte[] buf = new byte[8192];
    private int len;
    private Instant lastTime;

    /** Feeds the next bytes of the log; returns the events of the lines they completed. */
    public List<Event> feed(byte[] bytes, int off, int count) {
        List<Event> out = new ArrayList<>();
        int from = off;
        int end = off + count;
        for (int i = off; i < end; i++) {
            if (bytes[i] == '\n') {
                append(bytes, from, i - from);
                emit(buf, len, out);
                len = 0;
                from = i + 1;
            }
        }
        append(bytes, from, end - from);
        while (len > MAX_LINE) cutLongLine(out);
        return out;
    }

    public List<Event> feed(byte[] bytes) {
        return feed(bytes, 0, bytes.length);
    }

    /** The log is complete: a last line without a newline is emitted. */
    public List<Event> finish() {
        List<Event> out = new ArrayList<>();
        if (len > 0) {
            emit(buf, len, out);
            len = 0;
        }
        return out;
    }

    /** Bytes fed but not yet part of a complete line. */
    public int pendingBytes() {
        return len;
    }

    private void append(byte[] b, int off, int n) {
        if (n <= 0) return;
        if (len + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        System.arraycopy(b, off, buf, len, n);
        len += n;
    }

    /** Emits a prefix of an over-long line, never splitting a UTF-8 sequence or an escape. */
    private void cutLongLine(List<Event> out) {
        int cut = MAX_LINE;
        while (cut > 0 && (buf[cut] & 0xC0) == 0x80) cut--;
        for (int i = cut - 1; i >= Math.max(0, cut - 64); i--) {
            if (buf[i] == 0x1b) {
                cut = i;
                break;
            }
        }
        if (cut == 0) cut = MAX_LINE;
        emit(buf, cut, out);
        System.arraycopy(buf, cut, buf, 0, len - cut);
        len -= cut;
    }

    private void emit(byte[] b, int n, List<Event> out) {
        if (n > 0 && b[n - 1] == '\r') n--;
        String text = decode(b, n);
        Instant at = null;
        if (text.indexOf('\u001b') >= 0) {
            Matcher m = MARKER.matcher(text);
            StringBuilder sb = new StringBuilder(text.length());
            while (m.find()) {
                Instant t = millis(m.group(1));
                if (t != null) {
                    if (at == null) at = t;
                    lastTime = t;
                }
                m.appendReplacement(sb, "");
            }
            m.appendTail(sb);
            text = sb.toString();
        }
        if (at == null) at = lastTime;
        if (text.startsWith("^^^ +++")) return;
        if (text.startsWith("--- ") || text.startsWith("~~~ ") || text.startsWith("+++ ")) {
            String name = SGR.matcher(text.substring(4)).replaceAll("").strip();
            out.add(new Event.Section(name, at));
            return;
        }
        out.add(new Event.Line(text, at));
    }

    private static Instant millis(String digits) {
        try {
            return Instant.ofEpochMilli(Long.parseLong(digits));
        } catch (NumberFormatException | java.time.DateTimeException e) {
            return null;
        }
    }

    private static String decode(byte[] b, int n) {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE)
                .onUnmappableCharacter(CodingErrorAction.REPLACE);
        try {
            CharBuffer cb = d.decode(ByteBuffer.wrap(b, 0, n));
            return cb.toString();
        } catch (CharacterCodingException e) {
            return new String(b, 0, n, StandardCharsets.UTF_8);
        }
    }
}
