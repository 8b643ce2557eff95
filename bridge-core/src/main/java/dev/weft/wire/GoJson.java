package dev.weft.wire;

import dev.weft.model.LogLine;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;

/**
 * Writes exactly the bytes Go's {@code encoding/json} writes for the upstream spindle's structs.
 *
 * <p>Why hand-written: the appview and every other peer were built against Go's output, and Go's
 * encoder differs from any Java JSON library in details a peer can observe: it HTML-escapes
 * {@code < > &}, escapes U+2028/U+2029, replaces each byte of invalid UTF-8 with <code>&#92;ufffd</code>,
 * writes {@code time.Time} as RFC 3339 with trimmed nanoseconds and refuses years outside 0..9999.
 * A generic serializer configured to approximate that would drift silently; this class is checked
 * byte for byte against vectors produced by Go itself (see {@link WireCheck}).
 *
 * <p>Why allocation-light: {@code /logs} sends one frame per log line, so the encoder is on the
 * hottest path weft has. Every method has a variant that appends to a caller-owned
 * {@link WireBuffer}; the {@code byte[]} variants encode into a per-thread scratch buffer and copy
 * the result out once. ASCII is handled by a 256-entry table lookup per byte or char.
 *
 * <p>Strings come in two forms. Raw {@code byte[]} is what a CI provider's log really is, possibly
 * invalid UTF-8, and is treated as Go treats a {@code string}'s bytes. A Java {@link String} is
 * first seen as UTF-8 with each unpaired surrogate taken as U+FFFD, which is what Go's
 * {@code json.Unmarshal} would have made of the same text, and which the JDK's own encoder would
 * instead turn into {@code '?'}.
 */
public final class GoJson {
    private static final String MARSHAL_TIME = "json: error calling MarshalJSON for type time.Time: Time.MarshalJSON: ";
    /** Go's error for a {@code time.Time} whose year has other than four digits. */
    public static final String YEAR_OUT_OF_RANGE = MARSHAL_TIME + "year outside of range [0,9999]";
    /** Go's error for a {@code time.Time} whose zone offset is 24 hours or more. */
    public static final String ZONE_OUT_OF_RANGE = MARSHAL_TIME + "timezone hour outside of range [0,23]";

    /** Unix seconds of 0000-01-01T00:00:00 and 9999-12-31T23:59:59, the range Go can marshal. */
    private static final long MIN_LOCAL_SECONDS = -62_167_219_200L;
    private static final long MAX_LOCAL_SECONDS = 253_402_300_799L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    /** Table value for bytes >= 0x80: leave the table and decode a UTF-8 sequence. */
    private static final byte MULTI = 1;
    /** Table value for bytes written as <code>&#92;u00XX</code>. */
    private static final byte UNICODE = 'u';
    /**
     * Per byte: 0 = copy as is; {@link #UNICODE}; {@link #MULTI}; otherwise the letter of a
     * two-character escape. Mirrors Go's {@code htmlSafeSet} plus its switch of short escapes.
     */
    private static final byte[] ESCAPE = new byte[256];
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    static {
        for (int b = 0; b < 0x20; b++) ESCAPE[b] = UNICODE;
        ESCAPE['<'] = UNICODE;
        ESCAPE['>'] = UNICODE;
        ESCAPE['&'] = UNICODE;
        ESCAPE['\b'] = 'b';
        ESCAPE['\f'] = 'f';
        ESCAPE['\n'] = 'n';
        ESCAPE['\r'] = 'r';
        ESCAPE['\t'] = 't';
        ESCAPE['"'] = '"';
        ESCAPE['\\'] = '\\';
        for (int b = 0x80; b < 0x100; b++) ESCAPE[b] = MULTI;
    }

    private static final byte[] KEY_KIND = ascii("{\"kind\":");
    private static final byte[] KEY_CONTENT = ascii(",\"content\":");
    private static final byte[] KEY_TIME = ascii(",\"time\":");
    private static final byte[] KEY_STEP_ID = ascii(",\"step_id\":");
    private static final byte[] KEY_STREAM = ascii(",\"stream\":");
    private static final byte[] KEY_STEP_STATUS = ascii(",\"step_status\":");
    private static final byte[] KEY_STEP_KIND = ascii(",\"step_kind\":");
    private static final byte[] KEY_STEP_COMMAND = ascii(",\"step_command\":");

    private static final byte[] KEY_TYPE = ascii("{\"$type\":");
    private static final byte[] KEY_FRAME_RKEY = ascii("{\"rkey\":");
    private static final byte[] KEY_FRAME_NSID = ascii(",\"nsid\":");
    private static final byte[] KEY_FRAME_EVENT = ascii(",\"event\":");
    private static final byte[] KEY_FRAME_CREATED = ascii(",\"created\":");
    private static final byte[] KEY_CREATED_AT = ascii(",\"createdAt\":");
    private static final byte[] KEY_ERROR = ascii(",\"error\":");
    private static final byte[] KEY_EXIT_CODE = ascii(",\"exitCode\":");
    private static final byte[] KEY_PIPELINE = ascii(",\"pipeline\":");
    private static final byte[] KEY_STATUS = ascii(",\"status\":");
    private static final byte[] KEY_WORKFLOW = ascii(",\"workflow\":");

    private static final byte[] KEY_EVENT = ascii("{\"event\":");
    private static final byte[] KEY_NSID = ascii(",\"nsid\":");
    private static final byte[] KEY_RKEY = ascii(",\"rkey\":");
    private static final byte[] UFFFD_ESCAPED = ascii("\\ufffd");

    /** Chars encoded per capacity check; each char needs at most 6 output bytes. */
    private static final int CHUNK = 1024;
    /** A scratch buffer that grew past this is dropped after use rather than kept per thread. */
    private static final int MAX_RETAINED = 1 << 16;
    private static final ThreadLocal<WireBuffer> SCRATCH = ThreadLocal.withInitial(() -> new WireBuffer(512));

    private GoJson() {
    }

    // ---------------------------------------------------------------- LogLine

    /** The {@code /logs} frame for one line: upstream's {@code LogLine} struct as Go encodes it. */
    public static byte[] logLine(LogLine line) {
        WireBuffer b = scratch();
        logLine(b, line);
        return finish(b);
    }

    /**
     * Appends {@link #logLine(LogLine)}'s bytes to {@code out}.
     *
     * @throws WireEncodingException when the time cannot be marshalled; nothing is appended then
     */
    public static void logLine(WireBuffer out, LogLine line) {
        OffsetDateTime t = line.time();
        long sec = t.toEpochSecond();
        long nanos = t.getNano();
        long offset = t.getOffset().getTotalSeconds();
        checkTime(sec, nanos, offset);
        out.append(KEY_KIND);
        string(out, line.kind().wire);
        out.append(KEY_CONTENT);
        string(out, line.content());
        out.append(KEY_TIME);
        timeUnchecked(out, sec, nanos, offset);
        out.append(KEY_STEP_ID);
        number(out, line.stepId());
        if (line.stream() != null) {
            out.append(KEY_STREAM);
            string(out, line.stream().wire);
        }
        if (line.stepStatus() != null) {
            out.append(KEY_STEP_STATUS);
            string(out, line.stepStatus().wire);
        }
        if (line.stepKind().wire != 0) {
            out.append(KEY_STEP_KIND);
            number(out, line.stepKind().wire);
        }
        if (!line.stepCommand().isEmpty()) {
            out.append(KEY_STEP_COMMAND);
            string(out, line.stepCommand());
        }
        out.put('}');
    }

    /**
     * The {@code LogLine} encoding from Go-level values: content and command as raw bytes (invalid
     * UTF-8 allowed), the time as Go's {@code time.Unix(epochSecond, nanos).In(FixedZone(offset))}.
     * Empty or null {@code stream}, {@code stepStatus}, {@code stepCommand} and a zero
     * {@code stepKind} are omitted, as the struct's {@code omitempty} tags say.
     */
    public static byte[] rawLogLine(String kind, byte[] content, long epochSecond, long nanos, long offsetSeconds,
                                    long stepId, String stream, String stepStatus, long stepKind, byte[] stepCommand) {
        WireBuffer b = scratch();
        rawLogLine(b, kind, content, epochSecond, nanos, offsetSeconds, stepId, stream, stepStatus, stepKind,
                stepCommand);
        return finish(b);
    }

    /**
     * Appends {@link #rawLogLine(String, byte[], long, long, long, long, String, String, long, byte[])}'s
     * bytes to {@code out}.
     *
     * @throws WireEncodingException when the time cannot be marshalled; nothing is appended then
     */
    public static void rawLogLine(WireBuffer out, String kind, byte[] content, long epochSecond, long nanos,
                                  long offsetSeconds, long stepId, String stream, String stepStatus, long stepKind,
                                  byte[] stepCommand) {
        checkTime(epochSecond, nanos, offsetSeconds);
        out.append(KEY_KIND);
        string(out, kind == null ? "" : kind);
        out.append(KEY_CONTENT);
        if (content == null) string(out, "");
        else string(out, content, 0, content.length);
        out.append(KEY_TIME);
        timeUnchecked(out, epochSecond, nanos, offsetSeconds);
        out.append(KEY_STEP_ID);
        number(out, stepId);
        if (stream != null && !stream.isEmpty()) {
            out.append(KEY_STREAM);
            string(out, stream);
        }
        if (stepStatus != null && !stepStatus.isEmpty()) {
            out.append(KEY_STEP_STATUS);
            string(out, stepStatus);
        }
        if (stepKind != 0) {
            out.append(KEY_STEP_KIND);
            number(out, stepKind);
        }
        if (stepCommand != null && stepCommand.length > 0) {
            out.append(KEY_STEP_COMMAND);
            string(out, stepCommand, 0, stepCommand.length);
        }
        out.put('}');
    }

    // ---------------------------------------------------------------- status record and envelope

    /** The {@code sh.tangled.pipeline.status} record as Go encodes upstream's struct. */
    public static byte[] statusRecord(StatusRecord r) {
        WireBuffer b = scratch();
        statusRecord(b, r);
        return finish(b);
    }

    public static void statusRecord(WireBuffer out, StatusRecord r) {
        Long code = r.exitCode();
        statusRecord(out, r.type(), r.createdAt(), r.error(), code != null, code == null ? 0 : code,
                r.pipeline(), r.status(), r.workflow());
    }

    /** Field order is the struct's, which is also alphabetical; error and exitCode are omitempty pointers. */
    static void statusRecord(WireBuffer out, String type, String createdAt, String error, boolean hasExitCode,
                             long exitCode, String pipeline, String status, String workflow) {
        out.append(KEY_TYPE);
        string(out, type);
        out.append(KEY_CREATED_AT);
        string(out, createdAt);
        statusRecordTail(out, error, hasExitCode, exitCode, pipeline, status, workflow);
    }

    /** The same record with {@code createdAt} formatted from an instant the way upstream formats it. */
    static void statusRecord(WireBuffer out, String type, Instant createdAt, String error, boolean hasExitCode,
                             long exitCode, String pipeline, String status, String workflow) {
        out.append(KEY_TYPE);
        string(out, type);
        out.append(KEY_CREATED_AT);
        rfc3339Seconds(out, createdAt);
        statusRecordTail(out, error, hasExitCode, exitCode, pipeline, status, workflow);
    }

    private static void statusRecordTail(WireBuffer out, String error, boolean hasExitCode, long exitCode,
                                         String pipeline, String status, String workflow) {
        if (error != null) {
            out.append(KEY_ERROR);
            string(out, error);
        }
        if (hasExitCode) {
            out.append(KEY_EXIT_CODE);
            number(out, exitCode);
        }
        out.append(KEY_PIPELINE);
        string(out, pipeline);
        out.append(KEY_STATUS);
        string(out, status);
        out.append(KEY_WORKFLOW);
        string(out, workflow);
        out.put('}');
    }

    /**
     * The event-stream envelope {@code {"event":...,"nsid":...,"rkey":...}}: upstream marshals a Go
     * map, whose keys Go sorts. {@code eventJson} must already be Go-encoded JSON and is copied verbatim.
     */
    public static byte[] envelope(byte[] eventJson, String nsid, String rkey) {
        WireBuffer b = scratch();
        envelope(b, eventJson, nsid, rkey);
        return finish(b);
    }

    public static void envelope(WireBuffer out, byte[] eventJson, String nsid, String rkey) {
        out.append(KEY_EVENT);
        out.append(eventJson);
        envelopeTail(out, nsid, rkey);
    }

    /** Everything after the event value, for writers that encode the event in place. */
    static void envelopeTail(WireBuffer out, String nsid, String rkey) {
        out.append(KEY_NSID);
        string(out, nsid);
        out.append(KEY_RKEY);
        string(out, rkey);
        out.put('}');
    }

    static void envelopeHead(WireBuffer out) {
        out.append(KEY_EVENT);
    }

    /**
     * The head of the rewritten spindle's event frame, {@code json.Marshal(eventstream.Event)}:
     * {@code {"rkey":...,"nsid":...,"event":} in struct order (spec tangled-ci 5.3); the event
     * follows, then {@link #eventTail}.
     */
    static void eventHead(WireBuffer out, String rkey, String nsid) {
        out.append(KEY_FRAME_RKEY);
        string(out, rkey);
        out.append(KEY_FRAME_NSID);
        string(out, nsid);
        out.append(KEY_FRAME_EVENT);
    }

    /** {@code ,"created":<unix ns>}} closing {@link #eventHead}'s frame. */
    static void eventTail(WireBuffer out, long created) {
        out.append(KEY_FRAME_CREATED);
        number(out, created);
        out.put('}');
    }

    // ---------------------------------------------------------------- strings

    /** Appends a Java string as a Go JSON string (unpaired surrogates count as U+FFFD). */
    public static void string(WireBuffer out, String s) {
        int n = s.length();
        out.put('"');
        int i = 0;
        while (i < n) {
            int chunkEnd = Math.min(n, i + CHUNK);
            // Reserving the worst case once per chunk lets the loop below skip bounds checks.
            out.ensure((chunkEnd - i) * 6);
            byte[] buf = out.buf;
            int p = out.len;
            while (i < chunkEnd) {
                char c = s.charAt(i++);
                if (c < 0x80) {
                    byte e = ESCAPE[c];
                    if (e == 0) {
                        buf[p++] = (byte) c;
                    } else if (e == UNICODE) {
                        buf[p++] = '\\';
                        buf[p++] = 'u';
                        buf[p++] = '0';
                        buf[p++] = '0';
                        buf[p++] = HEX[c >> 4];
                        buf[p++] = HEX[c & 0xF];
                    } else {
                        buf[p++] = '\\';
                        buf[p++] = e;
                    }
                } else if (c < 0x800) {
                    buf[p++] = (byte) (0xC0 | (c >> 6));
                    buf[p++] = (byte) (0x80 | (c & 0x3F));
                } else if (Character.isSurrogate(c)) {
                    char d;
                    if (Character.isHighSurrogate(c) && i < n && Character.isLowSurrogate(d = s.charAt(i))) {
                        i++;
                        int cp = Character.toCodePoint(c, d);
                        buf[p++] = (byte) (0xF0 | (cp >> 18));
                        buf[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                        buf[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                        buf[p++] = (byte) (0x80 | (cp & 0x3F));
                    } else {
                        // A valid U+FFFD, which Go writes raw (only invalid bytes become the escape "\\ufffd").
                        buf[p++] = (byte) 0xEF;
                        buf[p++] = (byte) 0xBF;
                        buf[p++] = (byte) 0xBD;
                    }
                } else if (c == '\u2028' || c == '\u2029') {
                    buf[p++] = '\\';
                    buf[p++] = 'u';
                    buf[p++] = '2';
                    buf[p++] = '0';
                    buf[p++] = '2';
                    buf[p++] = HEX[c & 0xF];
                } else {
                    buf[p++] = (byte) (0xE0 | (c >> 12));
                    buf[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                    buf[p++] = (byte) (0x80 | (c & 0x3F));
                }
            }
            out.len = p;
        }
        out.put('"');
    }

    /**
     * Appends raw bytes as a Go JSON string, following Go's {@code appendString}: runs of bytes that
     * need nothing are copied in one go; each byte that {@code utf8.DecodeRune} rejects becomes
     * <code>&#92;ufffd</code> on its own (an invalid sequence consumes one byte).
     */
    public static void string(WireBuffer out, byte[] src, int off, int len) {
        out.ensure(len + 2);
        out.put('"');
        int end = off + len;
        int start = off;
        int i = off;
        while (i < end) {
            int b = src[i] & 0xFF;
            byte e = ESCAPE[b];
            if (e == 0) {
                i++;
                continue;
            }
            if (e != MULTI) {
                out.append(src, start, i - start);
                if (e == UNICODE) {
                    out.ensure(6);
                    byte[] buf = out.buf;
                    int p = out.len;
                    buf[p] = '\\';
                    buf[p + 1] = 'u';
                    buf[p + 2] = '0';
                    buf[p + 3] = '0';
                    buf[p + 4] = HEX[b >> 4];
                    buf[p + 5] = HEX[b & 0xF];
                    out.len = p + 6;
                } else {
                    out.put('\\');
                    out.put(e);
                }
                start = ++i;
                continue;
            }
            int size = runeSize(src, i, end);
            if (size == 0) {
                out.append(src, start, i - start);
                out.append(UFFFD_ESCAPED);
                start = ++i;
                continue;
            }
            if (size == 3 && b == 0xE2 && src[i + 1] == (byte) 0x80 && (src[i + 2] & 0xFE) == 0xA8) {
                out.append(src, start, i - start);
                out.ensure(6);
                byte[] buf = out.buf;
                int p = out.len;
                buf[p] = '\\';
                buf[p + 1] = 'u';
                buf[p + 2] = '2';
                buf[p + 3] = '0';
                buf[p + 4] = '2';
                buf[p + 5] = HEX[src[i + 2] & 0xF];
                out.len = p + 6;
                i += 3;
                start = i;
                continue;
            }
            i += size;
        }
        out.append(src, start, end - start);
        out.put('"');
    }

    /**
     * Length of the valid UTF-8 sequence starting at {@code i} (whose first byte is >= 0x80), or 0
     * when Go's {@code utf8.DecodeRune} would return {@code RuneError, 1}: the accept ranges below
     * exclude overlongs (C0, C1, E0 80..9F, F0 80..8F), surrogates (ED A0..BF) and values above
     * U+10FFFF (F4 90.., F5..FF).
     */
    static int runeSize(byte[] s, int i, int end) {
        int b0 = s[i] & 0xFF;
        if (b0 < 0xC2) return 0;
        if (b0 < 0xE0) {
            return i + 1 < end && isCont(s[i + 1]) ? 2 : 0;
        }
        if (b0 < 0xF0) {
            if (i + 2 >= end) return 0;
            int b1 = s[i + 1] & 0xFF;
            int lo = b0 == 0xE0 ? 0xA0 : 0x80;
            int hi = b0 == 0xED ? 0x9F : 0xBF;
            return b1 >= lo && b1 <= hi && isCont(s[i + 2]) ? 3 : 0;
        }
        if (b0 < 0xF5) {
            if (i + 3 >= end) return 0;
            int b1 = s[i + 1] & 0xFF;
            int lo = b0 == 0xF0 ? 0x90 : 0x80;
            int hi = b0 == 0xF4 ? 0x8F : 0xBF;
            return b1 >= lo && b1 <= hi && isCont(s[i + 2]) && isCont(s[i + 3]) ? 4 : 0;
        }
        return 0;
    }

    private static boolean isCont(byte b) {
        return (b & 0xC0) == 0x80;
    }

    /**
     * UTF-8 of a Java string with every unpaired surrogate as U+FFFD (the JDK would write '?').
     * For comparing and printing, not for the hot path.
     */
    public static byte[] utf8(String s) {
        byte[] out = new byte[utf8Length(s)];
        utf8(out, 0, s);
        return out;
    }

    /** The length of {@link #utf8(String)}, computed without encoding. */
    public static int utf8Length(String s) {
        int n = s.length();
        long len = n;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) continue;
            if (c < 0x800) {
                len += 1;
            } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                len += 2; // two chars, four bytes
                i++;
            } else {
                len += 2; // three bytes, U+FFFD for an unpaired surrogate included
            }
        }
        if (len > Integer.MAX_VALUE - 16) throw new OutOfMemoryError("UTF-8 of the string exceeds an array");
        return (int) len;
    }

    /**
     * Writes {@link #utf8(String)}'s bytes at {@code buf[p]}, which must have {@link #utf8Length}
     * bytes of room; returns the end. For writers that put a length before the bytes.
     */
    static int utf8(byte[] buf, int p, String s) {
        int n = s.length();
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                buf[p++] = (byte) c;
            } else if (c < 0x800) {
                buf[p++] = (byte) (0xC0 | (c >> 6));
                buf[p++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) {
                char d;
                if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(d = s.charAt(i + 1))) {
                    i++;
                    int cp = Character.toCodePoint(c, d);
                    buf[p++] = (byte) (0xF0 | (cp >> 18));
                    buf[p++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
                    buf[p++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
                    buf[p++] = (byte) (0x80 | (cp & 0x3F));
                } else {
                    buf[p++] = (byte) 0xEF;
                    buf[p++] = (byte) 0xBF;
                    buf[p++] = (byte) 0xBD;
                }
            } else {
                buf[p++] = (byte) (0xE0 | (c >> 12));
                buf[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                buf[p++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        return p;
    }

    // ---------------------------------------------------------------- numbers

    /** Appends a Go {@code int}/{@code int64} as {@code strconv.AppendInt} writes it. */
    public static void number(WireBuffer out, long v) {
        out.ensure(20);
        byte[] buf = out.buf;
        int p = out.len;
        if (v < 0) {
            buf[p++] = '-';
        } else {
            v = -v;
        }
        // Digits are produced from the negative value so that Long.MIN_VALUE needs no special case.
        int digits = 1;
        for (long t = v; t <= -10; t /= 10) digits++;
        int q = p + digits;
        for (int k = q - 1; k >= p; k--) {
            buf[k] = (byte) ('0' - (v % 10));
            v /= 10;
        }
        out.len = q;
    }

    // ---------------------------------------------------------------- time

    /**
     * Appends a Go {@code time.Time} as its {@code MarshalJSON} writes it: quoted RFC 3339 with
     * nanoseconds, trailing zeros trimmed, {@code Z} for a zero offset, else {@code ±hh:mm}. The
     * instant is {@code time.Unix(epochSecond, nanos)} (nanos outside [0, 1e9) are carried into the
     * seconds, as Go does) expressed in a fixed zone of {@code offsetSeconds}.
     *
     * @throws WireEncodingException with Go's message when the local year is outside 0..9999 or the
     *                               offset is 24 hours or more; nothing is appended then
     */
    public static void time(WireBuffer out, long epochSecond, long nanos, long offsetSeconds) {
        checkTime(epochSecond, nanos, offsetSeconds);
        timeUnchecked(out, epochSecond, nanos, offsetSeconds);
    }

    /** Go's MarshalJSON error for these values, or null when they encode. */
    public static String timeError(long epochSecond, long nanos, long offsetSeconds) {
        long sec = normalizedSeconds(epochSecond, nanos);
        // Go adds the offset with wrapping int64 arithmetic, and so does Java.
        long local = sec + offsetSeconds;
        if (local < MIN_LOCAL_SECONDS || local > MAX_LOCAL_SECONDS) return YEAR_OUT_OF_RANGE;
        // Go writes zone/60 as the hour (zone = offset/60, truncated) and rejects a hour of 24 or more.
        long zoneMinutes = offsetSeconds / 60;
        if (Math.abs(zoneMinutes) / 60 >= 24) return ZONE_OUT_OF_RANGE;
        return null;
    }

    private static void checkTime(long epochSecond, long nanos, long offsetSeconds) {
        String err = timeError(epochSecond, nanos, offsetSeconds);
        if (err != null) throw new WireEncodingException(err);
    }

    /** time.Unix's normalisation: the seconds once nanos is carried into [0, 1e9). */
    private static long normalizedSeconds(long sec, long nsec) {
        if (nsec < 0 || nsec >= NANOS_PER_SECOND) {
            long n = nsec / NANOS_PER_SECOND;
            sec += n;
            nsec -= n * NANOS_PER_SECOND;
            if (nsec < 0) sec--;
        }
        return sec;
    }

    private static long normalizedNanos(long nsec) {
        if (nsec < 0 || nsec >= NANOS_PER_SECOND) {
            nsec %= NANOS_PER_SECOND;
            if (nsec < 0) nsec += NANOS_PER_SECOND;
        }
        return nsec;
    }

    private static void timeUnchecked(WireBuffer out, long epochSecond, long nanos, long offsetSeconds) {
        out.ensure(MAX_TIME_TEXT + 2);
        byte[] buf = out.buf;
        int p = out.len;
        buf[p++] = '"';
        p = timeText(buf, p, epochSecond, nanos, offsetSeconds, true);
        buf[p++] = '"';
        out.len = p;
    }

    /** An upper bound of {@link #timeText}'s length for any arguments. */
    static final int MAX_TIME_TEXT = 64;

    /**
     * Writes Go's {@code t.Format} of {@code time.Unix(epochSecond, nanos)} in a fixed zone of
     * {@code offsetSeconds} at {@code buf[p]} (which must have {@link #MAX_TIME_TEXT} bytes of room)
     * and returns the end. With {@code fraction} the layout is {@code RFC3339Nano}
     * ({@code 2006-01-02T15:04:05.999999999Z07:00}, what {@code MarshalJSON} writes), without it
     * {@code RFC3339} ({@code 2006-01-02T15:04:05Z07:00}: whole seconds, truncated). Like
     * {@code Format} it accepts every value: a year outside 0..9999 gets a sign or more digits, a
     * zone of 100 hours or more gets more hour digits. Callers that must refuse what
     * {@code MarshalJSON} refuses check {@link #timeError} first.
     */
    static int timeText(byte[] buf, int p, long epochSecond, long nanos, long offsetSeconds, boolean fraction) {
        long sec = normalizedSeconds(epochSecond, nanos);
        int nsec = (int) normalizedNanos(nanos);
        p = dateTime(buf, p, sec + offsetSeconds);
        if (fraction && nsec != 0) {
            buf[p++] = '.';
            int v = nsec;
            for (int k = p + 8; k >= p; k--) {
                buf[k] = (byte) ('0' + v % 10);
                v /= 10;
            }
            p += 9;
            while (buf[p - 1] == '0') p--;
        }
        if (offsetSeconds == 0) {
            buf[p++] = 'Z';
        } else {
            // Go: zone := offset / 60 (minutes, truncated), a sign, appendInt(zone/60, 2), ':', appendInt(zone%60, 2).
            long zone = offsetSeconds / 60;
            if (zone < 0) {
                buf[p++] = '-';
                zone = -zone;
            } else {
                buf[p++] = '+';
            }
            long h = zone / 60;
            int m = (int) (zone % 60);
            if (h < 100) {
                p = two(buf, p, (int) h);
            } else {
                String digits = Long.toString(h);
                for (int k = 0; k < digits.length(); k++) buf[p++] = (byte) digits.charAt(k);
            }
            buf[p++] = ':';
            p = two(buf, p, m);
        }
        return p;
    }

    /**
     * Appends a quoted UTC RFC 3339 timestamp at second precision, as upstream's
     * {@code time.Now().Format(time.RFC3339)} writes a record's {@code createdAt}. Like Go's
     * {@code Format} it never fails: a year outside 0..9999 is written with more digits or a sign.
     */
    public static void rfc3339Seconds(WireBuffer out, Instant t) {
        out.ensure(40);
        byte[] buf = out.buf;
        int p = out.len;
        buf[p++] = '"';
        p = dateTime(buf, p, t.getEpochSecond());
        buf[p++] = 'Z';
        buf[p++] = '"';
        out.len = p;
    }

    /** Writes {@code yyyy-mm-ddThh:mm:ss} for local seconds since 1970 (proleptic Gregorian, as Go). */
    private static int dateTime(byte[] buf, int p, long local) {
        long days = Math.floorDiv(local, 86_400L);
        int secOfDay = (int) Math.floorMod(local, 86_400L);
        // Civil-from-days (H. Hinnant): eras of 400 years starting on March 1st.
        long z = days + 719_468L;
        long era = (z >= 0 ? z : z - 146_096L) / 146_097L;
        long doe = z - era * 146_097L;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        int day = (int) (doy - (153 * mp + 2) / 5 + 1);
        int month = (int) (mp < 10 ? mp + 3 : mp - 9);
        long year = yoe + era * 400 + (month <= 2 ? 1 : 0);

        if (year >= 0 && year <= 9999) {
            int y = (int) year;
            buf[p++] = (byte) ('0' + y / 1000);
            buf[p++] = (byte) ('0' + y / 100 % 10);
            buf[p++] = (byte) ('0' + y / 10 % 10);
            buf[p++] = (byte) ('0' + y % 10);
        } else {
            // Go's appendInt(year, 4): a sign, then at least four digits.
            String digits = Long.toString(Math.abs(year));
            if (year < 0) buf[p++] = '-';
            for (int k = digits.length(); k < 4; k++) buf[p++] = '0';
            for (int k = 0; k < digits.length(); k++) buf[p++] = (byte) digits.charAt(k);
        }
        buf[p++] = '-';
        p = two(buf, p, month);
        buf[p++] = '-';
        p = two(buf, p, day);
        buf[p++] = 'T';
        p = two(buf, p, secOfDay / 3600);
        buf[p++] = ':';
        p = two(buf, p, secOfDay / 60 % 60);
        buf[p++] = ':';
        p = two(buf, p, secOfDay % 60);
        return p;
    }

    private static int two(byte[] buf, int p, int v) {
        buf[p] = (byte) ('0' + v / 10);
        buf[p + 1] = (byte) ('0' + v % 10);
        return p + 2;
    }

    // ---------------------------------------------------------------- scratch buffer

    static WireBuffer scratch() {
        return SCRATCH.get().reset();
    }

    static byte[] finish(WireBuffer b) {
        byte[] r = b.toByteArray();
        if (b.capacity() > MAX_RETAINED) SCRATCH.set(new WireBuffer(512));
        return r;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
