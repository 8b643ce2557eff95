package dev.weft.wire;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import dev.weft.model.LogLine;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Runs a file of golden wire vectors (one JSON object per line:
 * {@code {"case", "shape": "logline"|"status", "input", "expected"}} or
 * {@code {"case", "shape": "ci_log", "input", "expected_hex"}}, mixed in any order) through
 * {@link GoJson} and {@link CiLogFrames} and reports every case whose bytes differ from what Go wrote:
 * the JSON of {@code encoding/json}, or the DAG-CBOR {@code subscribePipelineLogs} message whose
 * bytes {@code expected_hex} spells (either case).
 *
 * <p>Why it exists: byte-for-byte agreement with Go is the whole contract of the wire package, and
 * the only trustworthy oracle is output Go itself produced. The checker is lenient where the format
 * or Go is lenient and never lets one bad line stop the run, so a vector file written by someone
 * else (with edge cases weft has not thought of) still yields a complete report.
 *
 * <p>Inputs are read the way Go's {@code json.Unmarshal} would read them into the generator's
 * structs: unknown keys are ignored; a key matches a field exactly or else case-insensitively; a
 * later duplicate wins; {@code null} leaves a plain field at its zero value but makes a pointer
 * field ({@code error}, {@code exitCode}) absent; integers must be integer literals within int64;
 * each byte of invalid UTF-8 in the file reads as U+FFFD. When encoding fails (a year outside
 * 0..9999), the Go error message is the output compared with {@code expected}. A {@code ci_log}
 * input is a {@code logline} input plus {@code workflow}; its {@code kind} must be {@code data} or
 * {@code control}, the only kinds spec 4.2 maps to a frame.
 */
public final class WireCheck {
    /**
     * Outcome of a run; the caller turns {@code failed > 0} into a non-zero exit.
     *
     * @param passed vectors whose encoding equals {@code expected}
     * @param failed mismatches plus lines that could not be checked
     */
    public record Result(int passed, int failed) {
    }

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE / 2)
                    .maxNameLength(Integer.MAX_VALUE / 2)
                    .maxNestingDepth(10_000) // Go's own limit
                    .build())
            .build();

    private static final String[] STATUS_FIELDS =
            {"$type", "createdAt", "error", "exitCode", "pipeline", "status", "workflow"};
    private static final String[] LOGLINE_FIELDS =
            {"kind", "content_b64", "time", "step_id", "stream", "step_status", "step_kind", "step_command_b64"};
    private static final String[] CI_LOG_FIELDS =
            {"kind", "content_b64", "time", "step_id", "stream", "step_status", "step_kind", "step_command_b64",
                    "workflow"};
    private static final String CI_LOG = "ci_log";
    private static final HexFormat HEX = HexFormat.of();
    private static final String[] TIME_FIELDS = {"unix_seconds", "nanos", "offset_seconds"};

    private WireCheck() {
    }

    /**
     * Checks every vector in {@code file}, printing {@code FAIL <case>: expected <e> got <g>} per
     * mismatch (both as lower-case hex for {@code ci_log}), {@code FAIL line <n> ...: <why>} per
     * line that cannot be checked, and finally {@code N passed, M failed}. Lines are written as
     * UTF-8 bytes whatever the console charset, so the printed JSON is the JSON compared. A file that cannot be read counts as one failure.
     */
    public static Result run(Path file, PrintStream out) {
        int passed = 0;
        int failed = 0;
        try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            LineReader lines = new LineReader(in);
            int lineNo = 0;
            while (lines.next()) {
                lineNo++;
                String text = goText(lines.buf, 0, lines.len, lineNo == 1);
                if (isBlank(text)) continue;
                String failure = check(lineNo, text);
                if (failure == null) {
                    passed++;
                } else {
                    failed++;
                    print(out, failure);
                }
            }
        } catch (IOException e) {
            failed++;
            print(out, "FAIL " + file + ": cannot read: " + e);
        }
        print(out, passed + " passed, " + failed + " failed");
        return new Result(passed, failed);
    }

    /** Null when the vector passes, else the whole FAIL line. */
    private static String check(int lineNo, String text) {
        Vector v = new Vector();
        try {
            parseVector(text, v);
            String label = v.name != null ? v.name : "line " + lineNo;
            if (v.shape == null) throw new Problem("missing \"shape\" string");
            boolean binary = switch (v.shape) {
                case "logline", "status" -> false;
                case CI_LOG -> true;
                default -> throw new Problem("unknown shape \"" + v.shape
                        + "\" (want \"logline\", \"status\" or \"ci_log\")");
            };
            if (binary && v.expectedHex == null) throw new Problem("missing \"expected_hex\" string");
            if (!binary && v.expected == null) throw new Problem("missing \"expected\" string");
            if (v.inputStart < 0) throw new Problem("missing \"input\" object");
            byte[] expected = binary ? hex(v.expectedHex) : GoJson.utf8(v.expected);
            String input = text.substring(v.inputStart, v.inputEnd);
            byte[] got;
            try {
                got = switch (v.shape) {
                    case "logline" -> encodeLogLine(decodeLogInput(input, LOGLINE_FIELDS));
                    case "status" -> GoJson.statusRecord(decodeStatus(input));
                    default -> encodeCiLog(decodeLogInput(input, CI_LOG_FIELDS));
                };
            } catch (WireEncodingException e) {
                got = GoJson.utf8(e.getMessage());
            }
            if (Arrays.equals(expected, got)) return null;
            if (binary) return "FAIL " + label + ": expected " + HEX.formatHex(expected) + " got " + HEX.formatHex(got);
            return "FAIL " + label + ": expected " + v.expected + " got " + new String(got, StandardCharsets.UTF_8);
        } catch (Problem p) {
            return "FAIL line " + lineNo + (v.name != null ? " (" + v.name + ")" : "") + ": " + p.getMessage();
        } catch (RuntimeException e) {
            return "FAIL line " + lineNo + (v.name != null ? " (" + v.name + ")" : "") + ": internal error: " + e;
        }
    }

    // ---------------------------------------------------------------- the vector line

    private static final class Vector {
        String name;
        String shape;
        String expected;
        String expectedHex;
        int inputStart = -1;
        int inputEnd = -1;
    }

    private static void parseVector(String text, Vector v) throws Problem {
        try (JsonParser p = JSON.createParser(text)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new Problem("not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken t = p.nextToken();
                switch (key) {
                    case "case" -> v.name = t == JsonToken.VALUE_STRING ? p.getText() : v.name;
                    case "shape" -> {
                        if (t != JsonToken.VALUE_STRING) throw new Problem("\"shape\" is " + kind(t) + ", not a string");
                        v.shape = p.getText();
                    }
                    case "expected" -> {
                        if (t != JsonToken.VALUE_STRING) throw new Problem("\"expected\" is " + kind(t) + ", not a string");
                        v.expected = p.getText();
                    }
                    case "expected_hex" -> {
                        if (t != JsonToken.VALUE_STRING) {
                            throw new Problem("\"expected_hex\" is " + kind(t) + ", not a string");
                        }
                        v.expectedHex = p.getText();
                    }
                    case "input" -> {
                        if (t != JsonToken.START_OBJECT) throw new Problem("\"input\" is " + kind(t) + ", not an object");
                        long start = p.currentTokenLocation().getCharOffset();
                        p.skipChildren();
                        long end = p.currentTokenLocation().getCharOffset() + 1;
                        if (start < 0 || end > text.length() || text.charAt((int) start) != '{'
                                || text.charAt((int) end - 1) != '}') {
                            throw new IllegalStateException("parser offsets do not frame the input object");
                        }
                        v.inputStart = (int) start;
                        v.inputEnd = (int) end;
                    }
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) throw new Problem("malformed JSON: data after the object");
        } catch (JsonProcessingException e) {
            throw new Problem("malformed JSON: " + describe(e));
        } catch (IOException e) {
            throw new Problem("cannot parse: " + e);
        }
    }

    // ---------------------------------------------------------------- inputs, as Go would unmarshal them

    private static StatusRecord decodeStatus(String input) throws Problem {
        String type = "", createdAt = "", error = null, pipeline = "", status = "", workflow = "";
        Long exitCode = null;
        try (JsonParser p = JSON.createParser(input)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken t = p.nextToken();
                switch (field(key, STATUS_FIELDS)) {
                    case 0 -> type = goString(p, t, type, "$type");
                    case 1 -> createdAt = goString(p, t, createdAt, "createdAt");
                    case 2 -> error = t == JsonToken.VALUE_NULL ? null : goString(p, t, error, "error");
                    case 3 -> exitCode = t == JsonToken.VALUE_NULL ? null : goInt(p, t, 0, "exitCode");
                    case 4 -> pipeline = goString(p, t, pipeline, "pipeline");
                    case 5 -> status = goString(p, t, status, "status");
                    case 6 -> workflow = goString(p, t, workflow, "workflow");
                    default -> p.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            throw new Problem("malformed JSON in input: " + describe(e));
        } catch (IOException e) {
            throw new Problem("cannot parse input: " + e);
        }
        return new StatusRecord(type, createdAt, error, exitCode, pipeline, status, workflow);
    }

    /** A {@code logline} or {@code ci_log} input as the generator's Go struct holds it. */
    private static final class LogInput {
        String kind = "", content = "", stream = "", stepStatus = "", command = "", workflow = "";
        long stepId, stepKind;
        final long[] time = new long[3]; // unix_seconds, nanos, offset_seconds
    }

    /** {@code fields} is {@link #LOGLINE_FIELDS} or {@link #CI_LOG_FIELDS}; other keys are ignored. */
    private static LogInput decodeLogInput(String input, String[] fields) throws Problem {
        LogInput in = new LogInput();
        try (JsonParser p = JSON.createParser(input)) {
            p.nextToken();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                JsonToken t = p.nextToken();
                switch (field(key, fields)) {
                    case 0 -> in.kind = goString(p, t, in.kind, "kind");
                    case 1 -> in.content = goString(p, t, in.content, "content_b64");
                    case 2 -> decodeTime(p, t, in.time);
                    case 3 -> in.stepId = goInt(p, t, in.stepId, "step_id");
                    case 4 -> in.stream = goString(p, t, in.stream, "stream");
                    case 5 -> in.stepStatus = goString(p, t, in.stepStatus, "step_status");
                    case 6 -> in.stepKind = goInt(p, t, in.stepKind, "step_kind");
                    case 7 -> in.command = goString(p, t, in.command, "step_command_b64");
                    case 8 -> in.workflow = goString(p, t, in.workflow, "workflow");
                    default -> p.skipChildren();
                }
            }
        } catch (JsonProcessingException e) {
            throw new Problem("malformed JSON in input: " + describe(e));
        } catch (IOException e) {
            throw new Problem("cannot parse input: " + e);
        }
        return in;
    }

    private static byte[] encodeLogLine(LogInput in) throws Problem {
        return GoJson.rawLogLine(in.kind, base64(in.content, "content_b64"), in.time[0], in.time[1], in.time[2],
                in.stepId, in.stream, in.stepStatus, in.stepKind, base64(in.command, "step_command_b64"));
    }

    /** Spec 4.2 maps only data and control lines; any other kind has no frame to compare. */
    private static byte[] encodeCiLog(LogInput in) throws Problem {
        LogLine.Kind kind = switch (in.kind) {
            case "data" -> LogLine.Kind.DATA;
            case "control" -> LogLine.Kind.CONTROL;
            default -> throw new Problem("input.kind: \"" + in.kind
                    + "\" has no ci_log frame (want \"data\" or \"control\")");
        };
        return CiLogFrames.rawLogLine(kind, base64(in.content, "content_b64"), in.time[0], in.time[1], in.time[2],
                in.stepId, in.stream, in.stepStatus, in.stepKind, base64(in.command, "step_command_b64"), in.workflow);
    }

    /** Go's {@code hex.DecodeString}: an even number of hex digits, either case. */
    private static byte[] hex(String s) throws Problem {
        if (s.length() % 2 != 0) throw new Problem("\"expected_hex\" has an odd number of digits (" + s.length() + ")");
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < s.length(); i++) {
            int d = hexDigit(s.charAt(i));
            if (d < 0) throw new Problem("\"expected_hex\" is not hex: " + quoteChar(s.charAt(i)) + " at offset " + i);
            out[i / 2] |= (byte) (i % 2 == 0 ? d << 4 : d);
        }
        return out;
    }

    private static int hexDigit(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    private static String quoteChar(char c) {
        return c >= 0x20 && c < 0x7F ? "'" + c + "'" : String.format("U+%04X", (int) c);
    }

    /** Go decodes into the existing struct, so fields of an earlier {@code time} object survive. */
    private static void decodeTime(JsonParser p, JsonToken t, long[] time) throws IOException, Problem {
        if (t == JsonToken.VALUE_NULL) return;
        if (t != JsonToken.START_OBJECT) throw typeError(p, t, "time", "struct");
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken v = p.nextToken();
            int f = field(key, TIME_FIELDS);
            if (f < 0) p.skipChildren();
            else time[f] = goInt(p, v, time[f], "time." + TIME_FIELDS[f]);
        }
    }

    private static String goString(JsonParser p, JsonToken t, String current, String path)
            throws IOException, Problem {
        if (t == JsonToken.VALUE_STRING) return p.getText();
        if (t == JsonToken.VALUE_NULL) return current;
        throw typeError(p, t, path, "string");
    }

    private static long goInt(JsonParser p, JsonToken t, long current, String path) throws IOException, Problem {
        if (t == JsonToken.VALUE_NULL) return current;
        if (t == JsonToken.VALUE_NUMBER_INT) {
            String literal = p.getText();
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException e) {
                throw new Problem("input." + path + ": cannot unmarshal number " + literal + " into Go value of type int64");
            }
        }
        if (t == JsonToken.VALUE_NUMBER_FLOAT) {
            throw new Problem("input." + path + ": cannot unmarshal number " + p.getText()
                    + " into Go value of type int64");
        }
        throw typeError(p, t, path, "int64");
    }

    private static Problem typeError(JsonParser p, JsonToken t, String path, String goType) throws IOException {
        p.skipChildren();
        return new Problem("input." + path + ": cannot unmarshal " + kind(t) + " into Go value of type " + goType);
    }

    /** Go's {@code base64.StdEncoding}, which skips line breaks. */
    private static byte[] base64(String s, String path) throws Problem {
        if (s.isEmpty()) return new byte[0];
        try {
            return Base64.getDecoder().decode(s.replace("\r", "").replace("\n", ""));
        } catch (IllegalArgumentException e) {
            throw new Problem("input." + path + ": illegal base64 data: " + e.getMessage());
        }
    }

    /**
     * Go's field lookup: an exact match first, else a case-insensitive one under Unicode simple
     * folding, in which {@code ſ} (U+017F) is an {@code s} and the Kelvin sign an {@code k}.
     */
    static int field(String key, String[] names) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(key)) return i;
        }
        String folded = fold(key);
        for (int i = 0; i < names.length; i++) {
            if (fold(names[i]).equals(folded)) return i;
        }
        return -1;
    }

    private static String fold(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            i += Character.charCount(cp);
            if (cp >= 'a' && cp <= 'z') cp -= 'a' - 'A';
            else if (cp == 0x017F) cp = 'S';
            else if (cp == 0x212A) cp = 'K';
            b.appendCodePoint(cp);
        }
        return b.toString();
    }

    private static String kind(JsonToken t) {
        if (t == null) return "nothing";
        return switch (t) {
            case VALUE_STRING -> "string";
            case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number";
            case VALUE_TRUE, VALUE_FALSE -> "bool";
            case VALUE_NULL -> "null";
            case START_ARRAY -> "array";
            case START_OBJECT -> "object";
            default -> t.toString();
        };
    }

    private static String describe(JsonProcessingException e) {
        var loc = e.getLocation();
        return e.getOriginalMessage().replace('\n', ' ')
                + (loc != null && loc.getColumnNr() > 0 ? " (column " + loc.getColumnNr() + ")" : "");
    }

    // ---------------------------------------------------------------- bytes and lines

    /**
     * The line as text, with each byte of invalid UTF-8 read as U+FFFD (Go's rule, where the JDK
     * would swallow whole sequences), a trailing CR dropped and, on the first line, a BOM skipped.
     */
    static String goText(byte[] b, int off, int len, boolean first) {
        if (len > 0 && b[off + len - 1] == '\r') len--;
        if (first && len >= 3 && b[off] == (byte) 0xEF && b[off + 1] == (byte) 0xBB && b[off + 2] == (byte) 0xBF) {
            off += 3;
            len -= 3;
        }
        int end = off + len;
        boolean valid = true;
        for (int i = off; i < end; i++) {
            if (b[i] < 0) {
                int size = GoJson.runeSize(b, i, end);
                if (size == 0) {
                    valid = false;
                    break;
                }
                i += size - 1;
            }
        }
        if (valid) return new String(b, off, len, StandardCharsets.UTF_8);
        StringBuilder s = new StringBuilder(len);
        for (int i = off; i < end; ) {
            if (b[i] >= 0) {
                s.append((char) b[i++]);
                continue;
            }
            int size = GoJson.runeSize(b, i, end);
            if (size == 0) {
                s.append('\uFFFD');
                i++;
            } else {
                s.append(new String(b, i, size, StandardCharsets.UTF_8));
                i += size;
            }
        }
        return s.toString();
    }

    private static boolean isBlank(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != ' ' && c != '\t' && c != '\r' && c != '\n') return false;
        }
        return true;
    }

    private static void print(PrintStream out, String line) {
        byte[] b = GoJson.utf8(line + "\n");
        out.write(b, 0, b.length);
        out.flush();
    }

    /** Splits a stream on {@code \n} without decoding, so invalid UTF-8 survives until {@link #goText}. */
    private static final class LineReader {
        private final InputStream in;
        byte[] buf = new byte[8192];
        int len;

        LineReader(InputStream in) {
            this.in = in;
        }

        boolean next() throws IOException {
            len = 0;
            int c;
            boolean any = false;
            while ((c = in.read()) >= 0) {
                any = true;
                if (c == '\n') return true;
                if (len == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
                buf[len++] = (byte) c;
            }
            return any;
        }
    }

    /** A line that cannot be checked, with the reason for its FAIL line. */
    private static final class Problem extends Exception {
        private static final long serialVersionUID = 1L;

        Problem(String message) {
            super(message, null, false, false);
        }
    }
}
