package dev.weft.wire;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class WireCheckTest {

    @TempDir
    Path dir;

    /** The shared golden vectors: {@code weft.shared} (set by surefire), else ../shared or ../../shared. */
    static Path sharedVectors() {
        return sharedFile("wire/vectors.jsonl");
    }

    /** A file under the shared directory, found as {@link #sharedVectors()} finds the vectors. */
    static Path sharedFile(String name) {
        List<Path> candidates = new ArrayList<>();
        String prop = System.getProperty("weft.shared");
        if (prop != null && !prop.isBlank()) candidates.add(Path.of(prop));
        Path cwd = Path.of("").toAbsolutePath();
        candidates.add(cwd.resolve("../shared"));
        candidates.add(cwd.resolve("../../shared"));
        for (Path c : candidates) {
            Path f = c.resolve(name).normalize();
            if (Files.isRegularFile(f)) return f;
        }
        return fail("golden vectors not found; looked for " + name + " under " + candidates);
    }

    private record Run(WireCheck.Result result, List<String> lines) {
    }

    private Run check(String content) throws IOException {
        return check(content.getBytes(StandardCharsets.UTF_8));
    }

    private Run check(byte[] content) throws IOException {
        Path f = Files.createTempFile(dir, "vectors", ".jsonl");
        Files.write(f, content);
        return run(f);
    }

    private static Run run(Path f) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        WireCheck.Result r = WireCheck.run(f, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String text = bytes.toString(StandardCharsets.UTF_8);
        return new Run(r, text.isEmpty() ? List.of() : List.of(text.split("\n", -1)).subList(0, text.split("\n", -1).length - 1));
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String logline(String name, String input, String expectedJson) {
        return "{\"case\":\"" + name + "\",\"shape\":\"logline\",\"input\":" + input + ",\"expected\":" + quote(expectedJson) + "}";
    }

    private static String status(String name, String input, String expectedJson) {
        return "{\"case\":\"" + name + "\",\"shape\":\"status\",\"input\":" + input + ",\"expected\":" + quote(expectedJson) + "}";
    }

    /** A JSON string literal of {@code s} (our own encoder is fine for test data). */
    private static String quote(String s) {
        WireBuffer b = new WireBuffer();
        GoJson.string(b, s);
        return b.toString();
    }

    private static final String SIMPLE_INPUT = "{\"kind\":\"data\",\"content_b64\":\"" + b64("hi") + "\","
            + "\"time\":{\"unix_seconds\":0,\"nanos\":0,\"offset_seconds\":0},\"step_id\":0,\"stream\":\"stdout\","
            + "\"step_status\":\"\",\"step_kind\":0,\"step_command_b64\":\"\"}";
    private static final String SIMPLE_EXPECTED =
            "{\"kind\":\"data\",\"content\":\"hi\",\"time\":\"1970-01-01T00:00:00Z\",\"step_id\":0,\"stream\":\"stdout\"}";

    @Test
    @DisplayName("Every golden vector produced by Go's encoding/json passes")
    void sharedVectorsAllPass() {
        Run r = run(sharedVectors());
        assertEquals(0, r.result().failed(), String.join("\n", r.lines()));
        assertEquals(82, r.result().passed());
        assertEquals(List.of("82 passed, 0 failed"), r.lines());
    }

    @Test
    @DisplayName("Every ci_log golden vector (subscribePipelineLogs DAG-CBOR messages) passes byte for byte")
    void sharedCiVectorsAllPass() {
        Run r = run(sharedFile("wire/ci-vectors.jsonl"));
        assertEquals(List.of("60 passed, 0 failed"), r.lines());
        assertEquals(new WireCheck.Result(60, 0), r.result());
    }

    private static String ciLog(String name, String input, String expectedHex) {
        return "{\"case\":\"" + name + "\",\"shape\":\"ci_log\",\"input\":" + input + ",\"expected_hex\":\"" + expectedHex
                + "\"}";
    }

    private static final String CI_INPUT = "{\"kind\":\"data\",\"content_b64\":\"" + b64("hello") + "\","
            + "\"time\":{\"unix_seconds\":1777629600,\"nanos\":0,\"offset_seconds\":0},\"step_id\":2,"
            + "\"stream\":\"stdout\",\"step_status\":\"\",\"step_kind\":0,\"step_command_b64\":\"\",\"workflow\":\"ci.yml\"}";
    /** Spec 4.3's worked #data example. */
    private static final String CI_HEX = "a26174652364617461626f7001a56473746570026474696d6574323032362d30352d30315431"
            + "303a30303a30305a6673747265616d667374646f757467636f6e74656e746668656c6c6f0a68776f726b666c6f776663692e796d6c";

    @Test
    @DisplayName("A file may mix logline, status and ci_log lines; expected_hex may be upper case")
    void mixedShapes() throws IOException {
        String content = String.join("\n",
                ciLog("ci", CI_INPUT, CI_HEX),
                logline("json", SIMPLE_INPUT, SIMPLE_EXPECTED),
                status("st", "{\"status\":\"running\"}",
                        "{\"$type\":\"\",\"createdAt\":\"\",\"pipeline\":\"\",\"status\":\"running\",\"workflow\":\"\"}"),
                ciLog("ci-upper", CI_INPUT, CI_HEX.toUpperCase(java.util.Locale.ROOT)),
                // Both expectations present: each shape reads its own.
                "{\"case\":\"both\",\"shape\":\"ci_log\",\"expected\":\"ignored\",\"input\":" + CI_INPUT
                        + ",\"expected_hex\":\"" + CI_HEX + "\"}",
                "{\"case\":\"both-json\",\"shape\":\"logline\",\"expected_hex\":\"00\",\"input\":" + SIMPLE_INPUT
                        + ",\"expected\":" + quote(SIMPLE_EXPECTED) + "}");
        assertEquals(List.of("6 passed, 0 failed"), check(content).lines());
    }

    @Test
    @DisplayName("A ci_log mismatch prints both messages as lower-case hex")
    void ciLogMismatch() throws IOException {
        String wrong = CI_HEX.replace("68656c6c6f0a", "68656c6c6f21");
        Run r = check(ciLog("bad", CI_INPUT, wrong) + "\n" + ciLog("good", CI_INPUT, CI_HEX) + "\n");
        assertEquals(new WireCheck.Result(1, 1), r.result());
        assertEquals(List.of("FAIL bad: expected " + wrong + " got " + CI_HEX, "1 passed, 1 failed"), r.lines());
    }

    @Test
    @DisplayName("Malformed ci_log lines fail with a reason: bad hex, missing expected_hex, unknown kind, bad input")
    void ciLogProblems() throws IOException {
        String content = String.join("\n",
                ciLog("odd-hex", CI_INPUT, "abc"),
                ciLog("not-hex", CI_INPUT, "a2zz"),
                "{\"case\":\"no-hex\",\"shape\":\"ci_log\",\"input\":" + CI_INPUT + ",\"expected\":\"\"}",
                "{\"case\":\"num-hex\",\"shape\":\"ci_log\",\"input\":" + CI_INPUT + ",\"expected_hex\":12}",
                ciLog("weird-kind", CI_INPUT.replace("\"data\"", "\"warning\""), CI_HEX),
                ciLog("no-kind", "{\"workflow\":\"ci.yml\"}", CI_HEX),
                ciLog("bad-workflow", "{\"kind\":\"data\",\"workflow\":7}", CI_HEX),
                ciLog("bad-b64", "{\"kind\":\"control\",\"step_command_b64\":\"!!\"}", CI_HEX),
                "{\"case\":\"no-input\",\"shape\":\"ci_log\",\"expected_hex\":\"" + CI_HEX + "\"}",
                ciLog("ok", CI_INPUT, CI_HEX));
        Run r = check(content);
        assertEquals(new WireCheck.Result(1, 9), r.result(), String.join("\n", r.lines()));
        assertEquals(List.of(
                "FAIL line 1 (odd-hex): \"expected_hex\" has an odd number of digits (3)",
                "FAIL line 2 (not-hex): \"expected_hex\" is not hex: 'z' at offset 2",
                "FAIL line 3 (no-hex): missing \"expected_hex\" string",
                "FAIL line 4 (num-hex): \"expected_hex\" is number, not a string",
                "FAIL line 5 (weird-kind): input.kind: \"warning\" has no ci_log frame (want \"data\" or \"control\")",
                "FAIL line 6 (no-kind): input.kind: \"\" has no ci_log frame (want \"data\" or \"control\")",
                "FAIL line 7 (bad-workflow): input.workflow: cannot unmarshal number into Go value of type string",
                "FAIL line 8 (bad-b64): input.step_command_b64: illegal base64 data: "),
                r.lines().subList(0, 8).stream().map(l -> l.startsWith("FAIL line 8") ? l.substring(0,
                        "FAIL line 8 (bad-b64): input.step_command_b64: illegal base64 data: ".length()) : l).toList());
        assertEquals("FAIL line 9 (no-input): missing \"input\" object", r.lines().get(8));
        assertEquals("1 passed, 9 failed", r.lines().get(9));
    }

    @Test
    @DisplayName("ci_log inputs decode like Go: workflow matched case-insensitively, escaped lone surrogates as U+FFFD, "
            + "an empty object as a data line at the epoch")
    void ciLogInputDecoding() throws IOException {
        String empty = "a26174652364617461626f7001a5647374657000" + "6474696d6574" + hexOf("1970-01-01T00:00:00Z")
                + "6673747265616d667374646f7574" + "67636f6e74656e74610a" + "68776f726b666c6f7760";
        String content = String.join("\n",
                ciLog("upper-key", CI_INPUT.replace("\"workflow\"", "\"WORKFLOW\""), CI_HEX),
                ciLog("surrogate", "{\"kind\":\"data\",\"workflow\":\"\\ud800\"}",
                        empty.substring(0, empty.length() - 2) + "63efbfbd"),
                ciLog("data-empty", "{\"kind\":\"data\"}", empty),
                // A logline line's "workflow" is an unknown key there, so it is ignored.
                logline("logline-ignores-workflow", SIMPLE_INPUT.replace("}", ",\"workflow\":\"x\"}")
                        .replace("}}", "}"), SIMPLE_EXPECTED));
        Run r = check(content);
        assertEquals(List.of("4 passed, 0 failed"), r.lines());
    }

    private static String hexOf(String s) {
        return java.util.HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @DisplayName("A wrong expected value prints one FAIL line with both texts, and the counts")
    void mismatchIsReported() throws IOException {
        String wrong = SIMPLE_EXPECTED.replace("\"hi\"", "\"ho\"");
        Run r = check(logline("good", SIMPLE_INPUT, SIMPLE_EXPECTED) + "\n" + logline("bad", SIMPLE_INPUT, wrong) + "\n");
        assertEquals(new WireCheck.Result(1, 1), r.result());
        assertEquals(List.of("FAIL bad: expected " + wrong + " got " + SIMPLE_EXPECTED, "1 passed, 1 failed"), r.lines());
    }

    @Test
    @DisplayName("Malformed lines and unknown shapes fail by line number without stopping the run")
    void malformedLinesFailGracefully() throws IOException {
        String content = String.join("\n",
                logline("first", SIMPLE_INPUT, SIMPLE_EXPECTED),
                "{\"case\":\"broken\",\"shape\":\"logline\",\"input\":{",
                "",
                "   ",
                "not json at all",
                "[1,2,3]",
                "{\"case\":\"odd\",\"shape\":\"yaml\",\"input\":{},\"expected\":\"\"}",
                "{\"case\":\"no-expected\",\"shape\":\"status\",\"input\":{}}",
                "{\"case\":\"no-input\",\"shape\":\"status\",\"expected\":\"\"}",
                "{\"case\":\"num-expected\",\"shape\":\"status\",\"input\":{},\"expected\":1}",
                "{\"case\":\"trailing\",\"shape\":\"status\",\"input\":{},\"expected\":\"\"} {}",
                status("bad-type", "{\"status\":1}", ""),
                status("float-exit", "{\"exitCode\":1.5}", ""),
                status("huge-exit", "{\"exitCode\":9223372036854775808}", ""),
                logline("bad-b64", "{\"content_b64\":\"***\"}", ""),
                logline("bad-time", "{\"time\":\"2026-01-01T00:00:00Z\"}", ""),
                logline("last", SIMPLE_INPUT, SIMPLE_EXPECTED));
        Run r = check(content);
        assertEquals(new WireCheck.Result(2, 13), r.result(), String.join("\n", r.lines()));
        List<String> fails = r.lines().subList(0, r.lines().size() - 1);
        assertEquals(13, fails.size());
        assertTrue(fails.get(0).startsWith("FAIL line 2 (broken): malformed JSON"), fails.get(0));
        assertTrue(fails.get(1).startsWith("FAIL line 5: malformed JSON"), fails.get(1));
        assertTrue(fails.get(2).startsWith("FAIL line 6: not a JSON object"), fails.get(2));
        assertEquals("FAIL line 7 (odd): unknown shape \"yaml\" (want \"logline\", \"status\" or \"ci_log\")",
                fails.get(3));
        assertEquals("FAIL line 8 (no-expected): missing \"expected\" string", fails.get(4));
        assertEquals("FAIL line 9 (no-input): missing \"input\" object", fails.get(5));
        assertEquals("FAIL line 10 (num-expected): \"expected\" is number, not a string", fails.get(6));
        assertTrue(fails.get(7).startsWith("FAIL line 11 (trailing): malformed JSON"), fails.get(7));
        assertEquals("FAIL line 12 (bad-type): input.status: cannot unmarshal number into Go value of type string", fails.get(8));
        assertEquals("FAIL line 13 (float-exit): input.exitCode: cannot unmarshal number 1.5 into Go value of type int64",
                fails.get(9));
        assertTrue(fails.get(10).startsWith("FAIL line 14 (huge-exit): input.exitCode: cannot unmarshal number 9223372036854775808"),
                fails.get(10));
        assertTrue(fails.get(11).startsWith("FAIL line 15 (bad-b64): input.content_b64: illegal base64 data"), fails.get(11));
        assertEquals("FAIL line 16 (bad-time): input.time: cannot unmarshal string into Go value of type struct", fails.get(12));
        assertEquals("2 passed, 13 failed", r.lines().get(r.lines().size() - 1));
    }

    @Test
    @DisplayName("Status presence: empty error and exitCode 0 are written, absent or null ones are not, $type defaults to empty")
    void statusPresence() throws IOException {
        String content = String.join("\n",
                status("present-empty", "{\"$type\":\"\",\"createdAt\":\"t\",\"error\":\"\",\"exitCode\":0,"
                                + "\"pipeline\":\"p\",\"status\":\"failed\",\"workflow\":\"w\"}",
                        "{\"$type\":\"\",\"createdAt\":\"t\",\"error\":\"\",\"exitCode\":0,\"pipeline\":\"p\",\"status\":\"failed\","
                                + "\"workflow\":\"w\"}"),
                status("absent", "{\"createdAt\":\"t\",\"pipeline\":\"p\",\"status\":\"pending\",\"workflow\":\"w\"}",
                        "{\"$type\":\"\",\"createdAt\":\"t\",\"pipeline\":\"p\",\"status\":\"pending\",\"workflow\":\"w\"}"),
                status("null-and-extra", "{\"error\":null,\"exitCode\":null,\"status\":\"running\",\"extra\":{\"deep\":[1,{\"x\":null}]},"
                                + "\"rkey\":\"abc\"}",
                        "{\"$type\":\"\",\"createdAt\":\"\",\"pipeline\":\"\",\"status\":\"running\",\"workflow\":\"\"}"),
                status("go-key-matching", "{\"STATUS\":\"a\",\"status\":\"b\",\"Workflow\":\"w\",\"\u017ftatus\":\"c\",\"ExitCode\":7}",
                        "{\"$type\":\"\",\"createdAt\":\"\",\"exitCode\":7,\"pipeline\":\"\",\"status\":\"c\",\"workflow\":\"w\"}"),
                status("escapes", "{\"error\":\"\\ud800 <&> \\u2028\",\"status\":\"\\ud83d\\ude80\"}",
                        "{\"$type\":\"\",\"createdAt\":\"\",\"error\":\"\uFFFD \\u003c\\u0026\\u003e \\u2028\",\"pipeline\":\"\","
                                + "\"status\":\"\uD83D\uDE80\",\"workflow\":\"\"}"));
        Run r = check(content);
        assertEquals(List.of("5 passed, 0 failed"), r.lines());
    }

    @Test
    @DisplayName("A year outside 0..9999 passes when Go's error is expected and fails with the message otherwise")
    void yearOutOfRange() throws IOException {
        String year10000 = "{\"kind\":\"data\",\"content_b64\":\"\",\"time\":{\"unix_seconds\":253402300800,\"nanos\":0,"
                + "\"offset_seconds\":0},\"step_id\":0}";
        Run r = check(logline("y10k", year10000, GoJson.YEAR_OUT_OF_RANGE) + "\n"
                + logline("y10k-wrong", year10000, "{}") + "\n");
        assertEquals(new WireCheck.Result(1, 1), r.result());
        assertEquals("FAIL y10k-wrong: expected {} got " + GoJson.YEAR_OUT_OF_RANGE, r.lines().get(0));
    }

    @Test
    @DisplayName("Nanoseconds outside [0, 1e9), missing fields and odd offsets decode like Go")
    void loglineEdgeInputs() throws IOException {
        String content = String.join("\n",
                logline("nanos-over", "{\"kind\":\"data\",\"content_b64\":\"\",\"time\":{\"unix_seconds\":0,\"nanos\":2500000000},"
                        + "\"step_id\":1}", "{\"kind\":\"data\",\"content\":\"\",\"time\":\"1970-01-01T00:00:02.5Z\",\"step_id\":1}"),
                logline("nanos-negative", "{\"time\":{\"unix_seconds\":0,\"nanos\":-1}}",
                        "{\"kind\":\"\",\"content\":\"\",\"time\":\"1969-12-31T23:59:59.999999999Z\",\"step_id\":0}"),
                logline("empty-input", "{}", "{\"kind\":\"\",\"content\":\"\",\"time\":\"1970-01-01T00:00:00Z\",\"step_id\":0}"),
                logline("minus-30s", "{\"kind\":\"data\",\"time\":{\"unix_seconds\":30,\"offset_seconds\":-30}}",
                        "{\"kind\":\"data\",\"content\":\"\",\"time\":\"1970-01-01T00:00:00+00:00\",\"step_id\":0}"),
                logline("zone-24h", "{\"time\":{\"offset_seconds\":86400}}", GoJson.ZONE_OUT_OF_RANGE),
                logline("invalid-utf8", "{\"kind\":\"data\",\"content_b64\":\"" + Base64.getEncoder().encodeToString(
                                new byte[]{'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80, (byte) 0xE2, (byte) 0x80, (byte) 0xA9}) + "\"}",
                        "{\"kind\":\"data\",\"content\":\"a\\ufffd\\ufffd\\ufffd\\u2029\",\"time\":\"1970-01-01T00:00:00Z\",\"step_id\":0}"));
        Run r = check(content);
        assertEquals(List.of("6 passed, 0 failed"), r.lines());
    }

    @Test
    @DisplayName("A BOM, CRLF line ends, raw invalid UTF-8 and very long lines are read the way Go reads them")
    void fileLevelOddities() throws IOException {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        f.writeBytes(new byte[]{(byte) 0xEF, (byte) 0xBB, (byte) 0xBF});
        f.writeBytes((logline("crlf", SIMPLE_INPUT, SIMPLE_EXPECTED) + "\r\n").getBytes(StandardCharsets.UTF_8));
        // Raw invalid bytes inside a JSON string: json.Unmarshal reads each as U+FFFD, written raw again.
        f.writeBytes("{\"case\":\"raw-invalid\",\"shape\":\"status\",\"input\":{\"status\":\"".getBytes(StandardCharsets.UTF_8));
        f.writeBytes(new byte[]{(byte) 0xFF, (byte) 0xE2, (byte) 0x82});
        f.writeBytes(("\"},\"expected\":" + quote("{\"$type\":\"\",\"createdAt\":\"\",\"pipeline\":\"\",\"status\":\"\uFFFD\uFFFD\uFFFD\","
                + "\"workflow\":\"\"}") + "}\n").getBytes(StandardCharsets.UTF_8));
        String big = "x<".repeat(40_000);
        f.writeBytes((logline("long", "{\"kind\":\"data\",\"content_b64\":\"" + b64(big) + "\",\"ignored\":\"" + "y".repeat(50_000) + "\"}",
                "{\"kind\":\"data\",\"content\":\"" + big.replace("<", "\\u003c") + "\",\"time\":\"1970-01-01T00:00:00Z\","
                        + "\"step_id\":0}")).getBytes(StandardCharsets.UTF_8)); // no final newline
        Run r = check(f.toByteArray());
        assertEquals(List.of("3 passed, 0 failed"), r.lines());
    }

    @Test
    @DisplayName("An empty file is zero vectors, and an unreadable one is a failure, not an exception")
    void emptyAndMissingFiles() throws IOException {
        assertEquals(List.of("0 passed, 0 failed"), check("").lines());
        Run missing = run(dir.resolve("does-not-exist.jsonl"));
        assertEquals(new WireCheck.Result(0, 1), missing.result());
        assertTrue(missing.lines().get(0).startsWith("FAIL " + dir.resolve("does-not-exist.jsonl") + ": cannot read"));
        assertEquals("0 passed, 1 failed", missing.lines().get(1));
    }
}
