package dev.weft.e2e;

import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.testing.WebSocketRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A trigger from a knot to success, observed over /events and /logs, frames compared exactly. */
class FlowTest {
    static final String SCRIPT = """
            engine: stub
            stub:
              steps:
                - name: build
                  command: make <all> & more
                  output: ["compiling at ${TANGLED_SHA}", "ünïcødé ✓ \\u2028 done"]
                  stderr: ["warning: \\"x\\""]
                - name: test
                  command: make test
                  output: ["ok"]
            """;
    private static final Pattern CREATED = Pattern.compile("\"createdAt\":\"(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ)\"");
    private static final Pattern RKEY = Pattern.compile("^\\{\"rkey\":\"([234567a-z]{13})\"");
    private static final Pattern EVENT_ID = Pattern.compile(",\"created\":(\\d{19})}$");
    private static final Pattern TIME = Pattern.compile("\"time\":\"([^\"]+)\"");

    WeftFixture f;

    @BeforeEach
    void start() throws Exception {
        f = new WeftFixture();
    }

    @AfterEach
    void stop() {
        f.close();
    }

    /** Replaces createdAt and rkey with placeholders after checking their shape. */
    static String normalizeStatus(String frame) {
        Matcher c = CREATED.matcher(frame);
        assertTrue(c.find(), "createdAt is RFC 3339 at second precision: " + frame);
        Matcher r = RKEY.matcher(frame);
        assertTrue(r.find(), "rkey is a TID: " + frame);
        Matcher id = EVENT_ID.matcher(frame);
        assertTrue(id.find(), "created is the event id in unix nanoseconds: " + frame);
        return id.replaceFirst(",\"created\":N}").replaceFirst(RKEY.pattern(), "{\"rkey\":\"TID\"")
                .replaceFirst(CREATED.pattern(), "\"createdAt\":\"T\"");
    }

    static String normalizeLog(String frame) {
        Matcher m = TIME.matcher(frame);
        assertTrue(m.find(), "has a time: " + frame);
        OffsetDateTime.parse(m.group(1));
        return m.replaceFirst("\"time\":\"T\"");
    }

    @Test
    @DisplayName("a push runs to success and /events serves the pipeline record, then pending, running, success byte for byte")
    void eventsFrames() {
        try (WebSocketRecorder events = WebSocketRecorder.connect(f.ws("/events?cursor=-1"))) {
            String rkey = f.push("ci.yml", SCRIPT);
            List<String> frames = events.awaitFrames(4, Duration.ofSeconds(20));
            String pipeline = "at://did:web:" + f.knot.host() + "/sh.tangled.pipeline/" + rkey;
            assertTrue(frames.get(0).startsWith("{\"rkey\":\"" + rkey + "\",\"nsid\":\"sh.tangled.pipeline\",\"event\":{\"$type\":\"\","
                    + "\"triggerMetadata\":{\"kind\":\"push\",\"push\":{\"newSha\":"), "the pipeline record comes first: " + frames.get(0));
            assertTrue(frames.get(0).contains("\"workflows\":[{\"clone\":{\"depth\":1,\"skip\":false,\"submodules\":false,\"tags\":false},"
                    + "\"engine\":\"stub\",\"name\":\"ci.yml\",\"raw\":"), frames.get(0));
            for (int i = 0; i < 3; i++) {
                String status = List.of("pending", "running", "success").get(i);
                assertEquals("{\"rkey\":\"TID\",\"nsid\":\"sh.tangled.pipeline.status\",\"event\":{\"$type\":\"\",\"createdAt\":\"T\",\"pipeline\":\"" + pipeline
                        + "\",\"status\":\"" + status + "\",\"workflow\":\"ci.yml\"},\"created\":N}",
                        normalizeStatus(frames.get(i + 1)));
            }
        }
    }

    @Test
    @DisplayName("/logs of a finished workflow sends every frame exactly, then closes 1000")
    void finishedLogs() {
        String rkey = f.push("ci.yml", SCRIPT);
        assertEquals(RunState.SUCCESS, f.awaitTerminal(rkey, "ci.yml").state());
        String sha = WeftFixture.shaOf(rkey);
        try (WebSocketRecorder logs = WebSocketRecorder.connect(f.logs(rkey, "ci.yml"))) {
            assertEquals(1000, logs.awaitClose(Duration.ofSeconds(10)));
            assertEquals("log stream complete", logs.closeReason());
            List<String> got = logs.frames().stream().map(FlowTest::normalizeLog).toList();
            assertEquals(List.of(
                    "{\"kind\":\"control\",\"content\":\"build\",\"time\":\"T\",\"step_id\":0,\"step_status\":\"start\",\"step_kind\":1,\"step_command\":\"make \\u003call\\u003e \\u0026 more\"}",
                    "{\"kind\":\"data\",\"content\":\"compiling at " + sha + "\",\"time\":\"T\",\"step_id\":0,\"stream\":\"stdout\"}",
                    "{\"kind\":\"data\",\"content\":\"ünïcødé ✓ \\u2028 done\",\"time\":\"T\",\"step_id\":0,\"stream\":\"stdout\"}",
                    "{\"kind\":\"data\",\"content\":\"warning: \\\"x\\\"\",\"time\":\"T\",\"step_id\":0,\"stream\":\"stderr\"}",
                    "{\"kind\":\"control\",\"content\":\"build\",\"time\":\"T\",\"step_id\":0,\"step_status\":\"end\",\"step_kind\":1,\"step_command\":\"make \\u003call\\u003e \\u0026 more\"}",
                    "{\"kind\":\"control\",\"content\":\"test\",\"time\":\"T\",\"step_id\":1,\"step_status\":\"start\",\"step_kind\":1,\"step_command\":\"make test\"}",
                    "{\"kind\":\"data\",\"content\":\"ok\",\"time\":\"T\",\"step_id\":1,\"stream\":\"stdout\"}",
                    "{\"kind\":\"control\",\"content\":\"test\",\"time\":\"T\",\"step_id\":1,\"step_status\":\"end\",\"step_kind\":1,\"step_command\":\"make test\"}"),
                    got);
        }
    }

    @Test
    @DisplayName("/logs of a running workflow follows new lines live and closes once it is terminal")
    void liveLogs() {
        String rkey = f.push("slow.yml", """
                engine: stub
                stub:
                  steps:
                    - name: slow
                      output: ["1", "2", "3", "4", "5", "6"]
                      delay: 150ms
                """);
        f.awaitRun(rkey, "slow.yml");
        try (WebSocketRecorder logs = WebSocketRecorder.connect(f.logs(rkey, "slow.yml"))) {
            String first = logs.awaitFrame(Duration.ofSeconds(10));
            assertTrue(first.contains("\"step_status\":\"start\""), first);
            assertTrue(f.published(rkey, "slow.yml").stream().noneMatch(RunState::isTerminal),
                    "the viewer connected while the workflow was still running");
            assertEquals(1000, logs.awaitClose(Duration.ofSeconds(20)));
            List<String> frames = logs.frames();
            assertEquals(8, frames.size(), frames.toString());
            assertEquals(f.storedFrames(rkey, "slow.yml"), frames, "live viewers get exactly what is stored");
        }
    }

    @Test
    @DisplayName("/events: a positive cursor resumes after it; cursor 0 and a negative one replay all")
    void cursors() {
        String first = f.push("a.yml", "engine: stub\n");
        f.awaitTerminal(first, "a.yml");
        long afterPending = f.weft.store().statuses().eventsAfter(0, 10).get(0).id();

        try (WebSocketRecorder all = WebSocketRecorder.connect(f.ws("/events?cursor=-1"));
             WebSocketRecorder resumed = WebSocketRecorder.connect(f.ws("/events?cursor=" + afterPending));
             WebSocketRecorder zero = WebSocketRecorder.connect(f.ws("/events?cursor=0"))) {
            all.awaitFrames(4, Duration.ofSeconds(10));
            resumed.awaitFrames(2, Duration.ofSeconds(10));
            assertTrue(resumed.frames().get(0).contains("\"status\":\"running\""), resumed.frames().toString());

            String second = f.push("b.yml", "engine: stub\n");
            f.awaitTerminal(second, "b.yml");
            List<String> fromZero = zero.awaitFrames(8, Duration.ofSeconds(10));
            assertTrue(fromZero.get(4).contains("\"rkey\":\"" + second + "\",\"nsid\":\"sh.tangled.pipeline\""), fromZero.get(4));
            assertTrue(fromZero.subList(5, 8).stream().allMatch(s -> s.contains("\"workflow\":\"b.yml\"")),
                    "cursor 0 is from the beginning, as upstream now: " + fromZero);
            all.awaitFrames(4, Duration.ofSeconds(10));
            resumed.awaitFrames(4, Duration.ofSeconds(10));
            assertEquals(8, all.frames().size(), "negative cursor: everything, no duplicate");
            assertEquals(6, resumed.frames().size(), "positive cursor: everything after it");
        }
    }

    @Test
    @DisplayName("two workflows of one trigger run independently, each to its own status")
    void twoWorkflows() {
        String rkey = f.push(Map.of(
                "pass.yml", "engine: stub\nsteps:\n  - name: hi\n    command: echo hi\n",
                "fail.yml", "engine: stub\nstub:\n  steps:\n    - name: t\n      exit: 3\n"));
        assertEquals(RunState.SUCCESS, f.awaitTerminal(rkey, "pass.yml").state());
        Status failed = f.awaitTerminal(rkey, "fail.yml");
        assertEquals(RunState.FAILED, failed.state());
        assertEquals(3L, failed.exitCode().orElseThrow(), "the real exit code is reported");
        assertTrue(f.storedFrames(rkey, "pass.yml").get(1).contains("would run: echo hi"));
    }
}
