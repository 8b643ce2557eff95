package dev.weft.cmd.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.wire.GoJson;
import dev.weft.wire.StatusRecord;
import dev.weft.wire.WireBuffer;
import dev.weft.wire.WireEncodingException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The inputs of a golden vector file, decoded once into the values weft's encoder takes, the way
 * {@code ../shared/bench/go-encode} decodes them into Go values: the benchmark then times encoding
 * only, on both sides. Each input also keeps its expected bytes, so a benchmark can say how many
 * of its encodings differ from the vectors (as the Go side does) instead of timing wrong output.
 */
final class Vectors {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One decoded vector. */
    sealed interface Input {
        /** A fresh array, as Go's {@code json.Marshal} returns a fresh slice. */
        byte[] encode();

        /** Appends to a reused buffer, as weft's stream writers can. */
        void encodeInto(WireBuffer out);

        String shape();

        byte[] expected();
    }

    /** A {@code logline} vector: Go-level values (raw bytes, Unix time and a fixed zone). */
    record LogLineInput(String kind, byte[] content, long seconds, long nanos, long offset, long stepId,
                        String stream, String stepStatus, long stepKind, byte[] command, byte[] expected)
            implements Input {
        @Override
        public byte[] encode() {
            return GoJson.rawLogLine(kind, content, seconds, nanos, offset, stepId, stream, stepStatus, stepKind,
                    command);
        }

        @Override
        public void encodeInto(WireBuffer out) {
            GoJson.rawLogLine(out, kind, content, seconds, nanos, offset, stepId, stream, stepStatus, stepKind,
                    command);
        }

        @Override
        public String shape() {
            return "logline";
        }
    }

    /** A {@code status} vector: the record struct. */
    record StatusInput(StatusRecord record, byte[] expected) implements Input {
        @Override
        public byte[] encode() {
            return GoJson.statusRecord(record);
        }

        @Override
        public void encodeInto(WireBuffer out) {
            GoJson.statusRecord(out, record);
        }

        @Override
        public String shape() {
            return "status";
        }
    }

    /** Every input of a file, in file order, and the two shapes apart. */
    record Inputs(Input[] all, Input[] logLines, Input[] statuses) {
        /** Inputs whose encoding (or Go's error text for it) is not the vector's expected output. */
        int mismatched() {
            int n = 0;
            for (Input in : all) {
                byte[] got;
                try {
                    got = in.encode();
                } catch (WireEncodingException e) {
                    got = GoJson.utf8(e.getMessage());
                }
                if (!Arrays.equals(got, in.expected())) n++;
            }
            return n;
        }
    }

    private Vectors() {
    }

    static Inputs load(Path file) throws IOException {
        List<Input> all = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) continue;
            try {
                all.add(parse(JSON.readTree(line)));
            } catch (IOException | RuntimeException e) {
                throw new IOException(file + " line " + lineNo + ": " + e.getMessage(), e);
            }
        }
        if (all.isEmpty()) throw new IOException(file + ": no vectors");
        return new Inputs(all.toArray(Input[]::new),
                all.stream().filter(i -> i instanceof LogLineInput).toArray(Input[]::new),
                all.stream().filter(i -> i instanceof StatusInput).toArray(Input[]::new));
    }

    /** Decodes one vector line; the public vectors use the struct's own key spellings. */
    static Input parse(JsonNode v) {
        String shape = v.path("shape").asText();
        JsonNode in = v.path("input");
        byte[] expected = GoJson.utf8(v.path("expected").asText());
        return switch (shape) {
            case "logline" -> {
                JsonNode t = in.path("time");
                yield new LogLineInput(in.path("kind").asText(""), base64(in.path("content_b64").asText("")),
                        t.path("unix_seconds").asLong(), t.path("nanos").asLong(), t.path("offset_seconds").asLong(),
                        in.path("step_id").asLong(), in.path("stream").asText(""), in.path("step_status").asText(""),
                        in.path("step_kind").asLong(), base64(in.path("step_command_b64").asText("")), expected);
            }
            case "status" -> new StatusInput(new StatusRecord(text(in, "$type"), text(in, "createdAt"),
                    in.hasNonNull("error") ? in.get("error").asText() : null,
                    in.hasNonNull("exitCode") ? in.get("exitCode").asLong() : null,
                    text(in, "pipeline"), text(in, "status"), text(in, "workflow")), expected);
            default -> throw new IllegalArgumentException("unknown shape \"" + shape + "\"");
        };
    }

    private static String text(JsonNode n, String key) {
        return n.path(key).asText("");
    }

    private static byte[] base64(String s) {
        return s.isEmpty() ? new byte[0] : Base64.getMimeDecoder().decode(s);
    }

    /** Writes the lines of {@code file} whose shape is {@code shape} to a temporary file (for Go's per-shape run). */
    static Path subset(Path file, String shape, Path dir) throws IOException {
        List<String> keep = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.isBlank()) continue;
            if (shape.equals(JSON.readTree(line).path("shape").asText())) keep.add(line);
        }
        Path out = dir.resolve(shape + ".jsonl");
        Files.write(out, keep, StandardCharsets.UTF_8);
        return out;
    }
}
