package dev.weft.wire;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.model.LogLine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * The binary WebSocket messages of {@code sh.tangled.ci.subscribePipelineLogs}: one stored
 * {@link LogLine} as a DAG-CBOR header map followed by a DAG-CBOR body map (tangled-ci.md 4.2 and
 * 4.3), byte for byte what upstream's {@code CiSubscribePipelineLogs_Event.Serialize} writes.
 *
 * <ul>
 * <li>data line: header {@code {"t":"#data","op":1}}; body {@code step, time, stream, content,
 *     workflow}, where {@code stream} is {@code stderr} only for exactly {@code stderr} (anything
 *     else, absent included, is {@code stdout}) and {@code content} is the text plus {@code "\n"}.</li>
 * <li>control line: header {@code {"t":"#control","op":1}}; body {@code kind, step, time, status?,
 *     command?, content, workflow}, where {@code kind} is {@code system} for step kind 0 and
 *     {@code user} for any other, {@code status} and {@code command} are left out when empty, and
 *     {@code content} is the step name without a newline.</li>
 * </ul>
 * {@code step} is the step id (a negative integer when below 0), {@code time} Go's
 * {@code 2006-01-02T15:04:05Z07:00} in the line's own offset, whole seconds truncated, {@code Z}
 * for offset 0; {@code workflow} is the name the client asked for. Fields that belong to the other
 * kind (a data line's step status, a control line's stream) are not sent, as upstream sends none.
 *
 * <p>Why byte-exact and allocation-light: the appview decodes with cbor-gen, and this runs once per
 * log line per viewer. The key order is fixed here and verified at class initialisation, the
 * headers and keys are constants, strings are encoded straight into the caller's
 * {@link WireBuffer}; the {@code byte[]} variants copy out of a per-thread scratch buffer once.
 * Unlike {@link GoJson}, nothing here can fail on a time: Go's {@code Format} never does.
 *
 * <p>Stateless and safe from any thread; a {@link WireBuffer} belongs to one writer at a time.
 */
public final class CiLogFrames {
    private static final byte[] K_T = DagCbor.key("t");
    private static final byte[] K_OP = DagCbor.key("op");
    private static final byte[] K_KIND = DagCbor.key("kind");
    private static final byte[] K_STEP = DagCbor.key("step");
    private static final byte[] K_TIME = DagCbor.key("time");
    private static final byte[] K_STREAM = DagCbor.key("stream");
    private static final byte[] K_STATUS = DagCbor.key("status");
    private static final byte[] K_COMMAND = DagCbor.key("command");
    private static final byte[] K_CONTENT = DagCbor.key("content");
    private static final byte[] K_WORKFLOW = DagCbor.key("workflow");

    private static final byte[] V_STDOUT = DagCbor.key("stdout");
    private static final byte[] V_STDERR = DagCbor.key("stderr");
    private static final byte[] V_SYSTEM = DagCbor.key("system");
    private static final byte[] V_USER = DagCbor.key("user");
    private static final byte[] EMPTY = new byte[0];
    private static final byte[] K_ERROR = DagCbor.key("error");
    private static final byte[] K_MESSAGE = DagCbor.key("message");
    /** Go's zero {@code time.Time} as {@code MarshalJSON} writes it; upstream sends the current time for it. */
    private static final String GO_ZERO_TIME = "0001-01-01T00:00:00Z";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code {"t":"#data","op":1}}. */
    private static final byte[] DATA_HEADER = header("#data");
    /** {@code {"t":"#control","op":1}}. */
    private static final byte[] CONTROL_HEADER = header("#control");
    /** {@code {"t":"","op":-1}}: indigo's error frame header. */
    private static final byte[] ERROR_HEADER = errorHeader();

    static {
        DagCbor.requireCanonicalOrder(K_T, K_OP);
        DagCbor.requireCanonicalOrder(K_STEP, K_TIME, K_STREAM, K_CONTENT, K_WORKFLOW);
        DagCbor.requireCanonicalOrder(K_KIND, K_STEP, K_TIME, K_STATUS, K_COMMAND, K_CONTENT, K_WORKFLOW);
        DagCbor.requireCanonicalOrder(K_ERROR, K_MESSAGE);
    }

    private CiLogFrames() {
    }

    private static byte[] header(String t) {
        WireBuffer b = new WireBuffer(16);
        DagCbor.mapHead(b, 2);
        b.append(K_T);
        DagCbor.text(b, t);
        b.append(K_OP);
        DagCbor.integer(b, 1);
        return b.toByteArray();
    }

    private static byte[] errorHeader() {
        WireBuffer b = new WireBuffer(16);
        DagCbor.mapHead(b, 2);
        b.append(K_T);
        DagCbor.text(b, "");
        b.append(K_OP);
        DagCbor.integer(b, -1);
        return b.toByteArray();
    }

    /**
     * The error frame (tangled-ci.md 4.3, indigo's {@code events.ErrorFrame}): header
     * {@code {"t":"","op":-1}}, body {@code {"error":..., "message":...}}, both always present.
     * weft sends it last, before closing a subscription that cannot continue.
     */
    public static byte[] error(String error, String message) {
        WireBuffer b = new WireBuffer(32 + message.length() * 3);
        b.append(ERROR_HEADER);
        DagCbor.mapHead(b, 2);
        b.append(K_ERROR);
        DagCbor.text(b, Objects.requireNonNull(error, "error"));
        b.append(K_MESSAGE);
        DagCbor.text(b, Objects.requireNonNull(message, "message"));
        return b.toByteArray();
    }

    // ---------------------------------------------------------------- from a stored /logs frame

    /**
     * The message for one line as weft stores it (the {@code /logs} frame, Go-compatible
     * {@code LogLine} JSON), decoded the way upstream's subscription decodes its JSONL file: a
     * line that is not a JSON object becomes a {@code #data} line of step 0 on stdout carrying
     * the raw text; a missing, unparsable or zero time becomes {@code now}. Never fails: a line
     * weft cannot read is still shown rather than silently dropped.
     */
    public static byte[] stored(byte[] frame, String workflow, Instant now) {
        JsonNode n;
        try {
            n = JSON.readTree(frame);
        } catch (JsonProcessingException e) {
            n = null;
        } catch (IOException e) {
            throw new IllegalStateException("reading a byte array cannot fail with I/O", e);
        }
        long nowSec = now.getEpochSecond();
        if (n == null || !n.isObject()) {
            return rawLogLine(LogLine.Kind.DATA, frame, nowSec, 0, 0, 0, "stdout", null, 0, null, workflow);
        }
        LogLine.Kind kind = "control".equals(n.path("kind").asText()) ? LogLine.Kind.CONTROL : LogLine.Kind.DATA;
        OffsetDateTime t = time(n.path("time").asText(""));
        long sec = t == null ? nowSec : t.toEpochSecond();
        long nanos = t == null ? 0 : t.getNano();
        long offset = t == null ? 0 : t.getOffset().getTotalSeconds();
        return rawLogLine(kind, utf8(n.path("content")), sec, nanos, offset, n.path("step_id").asLong(0),
                n.path("stream").asText(""), n.path("step_status").asText(""), n.path("step_kind").asLong(0),
                utf8(n.path("step_command")), workflow);
    }

    private static OffsetDateTime time(String text) {
        if (text.isEmpty() || text.equals(GO_ZERO_TIME)) return null;
        try {
            return OffsetDateTime.parse(text);
        } catch (DateTimeParseException e) {
            return null; // an offset Java cannot hold (18 h or more); shown at the current time
        }
    }

    private static byte[] utf8(JsonNode n) {
        return n.isTextual() ? n.textValue().getBytes(StandardCharsets.UTF_8) : EMPTY;
    }

    // ---------------------------------------------------------------- from the model

    /** The whole message (header and body) for one stored line of workflow {@code workflow}. */
    public static byte[] logLine(LogLine line, String workflow) {
        WireBuffer b = GoJson.scratch();
        logLine(b, line, workflow);
        return GoJson.finish(b);
    }

    /** Appends {@link #logLine(LogLine, String)}'s bytes to {@code out}. */
    public static void logLine(WireBuffer out, LogLine line, String workflow) {
        OffsetDateTime t = line.time();
        long sec = t.toEpochSecond();
        long nanos = t.getNano();
        long offset = t.getOffset().getTotalSeconds();
        if (line.kind() == LogLine.Kind.DATA) {
            dataHead(out, line.stepId(), sec, nanos, offset, line.stream() == LogLine.Stream.STDERR);
            String content = line.content();
            int n = GoJson.utf8Length(content);
            DagCbor.head(out, DagCbor.TEXT, n + 1L);
            out.ensure(n + 1);
            out.len = GoJson.utf8(out.buf, out.len, content);
            out.put('\n');
        } else {
            String status = line.stepStatus() == null ? "" : line.stepStatus().wire;
            String command = line.stepCommand();
            controlHead(out, line.stepKind().wire, line.stepId(), sec, nanos, offset, status, !command.isEmpty());
            if (!command.isEmpty()) {
                out.append(K_COMMAND);
                DagCbor.text(out, command);
            }
            out.append(K_CONTENT);
            DagCbor.text(out, line.content());
        }
        out.append(K_WORKFLOW);
        DagCbor.text(out, workflow);
    }

    // ---------------------------------------------------------------- from Go-level values

    /**
     * The message from Go-level values: content and command as raw bytes (invalid UTF-8 kept as
     * it is), the time as Go's {@code time.Unix(epochSecond, nanos).In(FixedZone(offsetSeconds))}.
     * A null or empty {@code stepStatus} or {@code stepCommand} is left out of a control body; a
     * null {@code stream}, like any value but {@code "stderr"}, is {@code stdout}. Strings are
     * sent as their UTF-8, an unpaired surrogate as U+FFFD.
     */
    public static byte[] rawLogLine(LogLine.Kind kind, byte[] content, long epochSecond, long nanos,
                                    long offsetSeconds, long stepId, String stream, String stepStatus, long stepKind,
                                    byte[] stepCommand, String workflow) {
        WireBuffer b = GoJson.scratch();
        rawLogLine(b, kind, content, epochSecond, nanos, offsetSeconds, stepId, stream, stepStatus, stepKind,
                stepCommand, workflow);
        return GoJson.finish(b);
    }

    /**
     * Appends {@link #rawLogLine(LogLine.Kind, byte[], long, long, long, long, String, String, long,
     * byte[], String)}'s bytes to {@code out}.
     */
    public static void rawLogLine(WireBuffer out, LogLine.Kind kind, byte[] content, long epochSecond, long nanos,
                                  long offsetSeconds, long stepId, String stream, String stepStatus, long stepKind,
                                  byte[] stepCommand, String workflow) {
        Objects.requireNonNull(kind, "kind");
        byte[] text = content == null ? EMPTY : content;
        if (kind == LogLine.Kind.DATA) {
            dataHead(out, stepId, epochSecond, nanos, offsetSeconds, "stderr".equals(stream));
            DagCbor.head(out, DagCbor.TEXT, text.length + 1L);
            out.append(text);
            out.put('\n');
        } else {
            byte[] command = stepCommand == null ? EMPTY : stepCommand;
            controlHead(out, stepKind, stepId, epochSecond, nanos, offsetSeconds, stepStatus, command.length > 0);
            if (command.length > 0) {
                out.append(K_COMMAND);
                DagCbor.text(out, command);
            }
            out.append(K_CONTENT);
            DagCbor.text(out, text);
        }
        out.append(K_WORKFLOW);
        DagCbor.text(out, workflow == null ? "" : workflow);
    }

    // ---------------------------------------------------------------- shared parts

    /** Header, body map head, {@code step}, {@code time}, {@code stream} and the {@code content} key. */
    private static void dataHead(WireBuffer out, long stepId, long sec, long nanos, long offset, boolean stderr) {
        out.append(DATA_HEADER);
        DagCbor.mapHead(out, 5);
        out.append(K_STEP);
        DagCbor.integer(out, stepId);
        out.append(K_TIME);
        time(out, sec, nanos, offset);
        out.append(K_STREAM);
        out.append(stderr ? V_STDERR : V_STDOUT);
        out.append(K_CONTENT);
    }

    /**
     * Header, body map head, {@code kind}, {@code step}, {@code time} and {@code status} unless it
     * is null or empty; {@code hasCommand} only counts the {@code command} entry the caller writes next.
     */
    private static void controlHead(WireBuffer out, long stepKind, long stepId, long sec, long nanos, long offset,
                                    String status, boolean hasCommand) {
        boolean hasStatus = status != null && !status.isEmpty();
        out.append(CONTROL_HEADER);
        DagCbor.mapHead(out, 5 + (hasStatus ? 1 : 0) + (hasCommand ? 1 : 0));
        out.append(K_KIND);
        out.append(stepKind == 0 ? V_SYSTEM : V_USER);
        out.append(K_STEP);
        DagCbor.integer(out, stepId);
        out.append(K_TIME);
        time(out, sec, nanos, offset);
        if (hasStatus) {
            out.append(K_STATUS);
            DagCbor.text(out, status);
        }
    }

    /**
     * The time as a text string. Its length is known only once written, so the text goes two bytes
     * in, leaving room for the longest head it can need, and moves back one when a one-byte head fits.
     */
    private static void time(WireBuffer out, long sec, long nanos, long offset) {
        out.ensure(GoJson.MAX_TIME_TEXT + 2);
        byte[] buf = out.buf;
        int start = out.len;
        int end = GoJson.timeText(buf, start + 2, sec, nanos, offset, false);
        int n = end - start - 2;
        if (n < 24) {
            System.arraycopy(buf, start + 2, buf, start + 1, n);
            buf[start] = (byte) (DagCbor.TEXT << 5 | n);
            out.len = start + 1 + n;
        } else {
            buf[start] = (byte) (DagCbor.TEXT << 5 | 24);
            buf[start + 1] = (byte) n;
            out.len = end;
        }
    }
}
