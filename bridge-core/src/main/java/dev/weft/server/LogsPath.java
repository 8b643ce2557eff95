package dev.weft.server;

import dev.weft.model.WorkflowId;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Parses {@code /logs/{knot}/{rkey}/{name}} strictly, before any upgrade or lookup. The segments end
 * up in log lines, store queries and provider API calls, so anything that could be read as a path
 * (an encoded slash, {@code .} or {@code ..}) or that is not printable is refused outright rather
 * than cleaned up. Stateless.
 */
final class LogsPath {
    static final String PREFIX = "/logs/";

    private LogsPath() {
    }

    /** The outcome: a workflow id or the reason the path was refused. */
    sealed interface Result {
        record Ok(WorkflowId workflow) implements Result {
        }

        record Bad(String reason) implements Result {
        }
    }

    /** @param rawPath the request path as sent (still percent-encoded), without the query */
    static Result parse(String rawPath) {
        if (!rawPath.startsWith(PREFIX)) return new Result.Bad("expected /logs/{knot}/{rkey}/{name}");
        // Split the raw text: an encoded %2F stays inside its segment and is refused after decoding.
        String[] raw = rawPath.substring(PREFIX.length()).split("/", -1);
        if (raw.length != 3) return new Result.Bad("expected /logs/{knot}/{rkey}/{name}");
        String[] seg = new String[3];
        String[] names = {"knot", "rkey", "name"};
        for (int i = 0; i < 3; i++) {
            if (raw[i].isEmpty()) return new Result.Bad("empty " + names[i]);
            String s = decode(raw[i]);
            if (s == null) return new Result.Bad("malformed percent-encoding in " + names[i]);
            String problem = problem(s);
            if (problem != null) return new Result.Bad(problem + " in " + names[i]);
            seg[i] = s;
        }
        return new Result.Ok(new WorkflowId(seg[0], seg[1], seg[2]));
    }

    private static String problem(String s) {
        if (s.isEmpty()) return "empty segment";
        if (s.equals(".") || s.equals("..")) return "dot segment";
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/') return "encoded slash";
            if (Character.isISOControl(c)) return "control character";
        }
        return null;
    }

    /**
     * Percent-decodes a path segment as UTF-8; {@code +} stays {@code +} (it means space only in
     * query strings). Null when an escape is malformed or the bytes are not UTF-8.
     */
    static String decode(String s) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) return null;
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) return null;
                out.write(hi << 4 | lo);
                i += 2;
            } else if (c <= 0xFF) {
                // Netty maps each request-line byte to one char, so raw UTF-8 arrives byte by byte.
                out.write(c);
            } else {
                byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                out.write(b, 0, b.length);
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out.toByteArray())).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}
