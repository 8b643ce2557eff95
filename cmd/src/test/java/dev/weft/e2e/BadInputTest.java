package dev.weft.e2e;

import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.testing.WebSocketRecorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input gets a clear error and a log line; the well-formed events around it are not lost. */
class BadInputTest {
    WeftFixture f;

    @BeforeEach
    void start() throws Exception {
        f = new WeftFixture(Map.of("WEFT_WORKFLOW_TIMEOUT", "2s"));
    }

    @AfterEach
    void stop() {
        f.close();
    }

    @Test
    @DisplayName("an unknown engine fails once with Go's quoting, exit code -1, and a visible system step")
    void unknownEngine() {
        String rkey = f.push("ci.yml", "engine: nixery\nsteps: []\n");
        Status end = f.awaitTerminal(rkey, "ci.yml");
        assertEquals(new Status.Failed("unknown engine \"nixery\"", -1), end);
        assertEquals(List.of(RunState.PENDING, RunState.FAILED), f.published(rkey, "ci.yml"));
        List<String> frames = f.storedFrames(rkey, "ci.yml").stream().map(FlowTest::normalizeLog).toList();
        assertEquals(List.of(
                "{\"kind\":\"control\",\"content\":\"weft\",\"time\":\"T\",\"step_id\":0,\"step_status\":\"start\"}",
                "{\"kind\":\"data\",\"content\":\"unknown engine \\\"nixery\\\"\",\"time\":\"T\",\"step_id\":0,\"stream\":\"stderr\"}",
                "{\"kind\":\"control\",\"content\":\"weft\",\"time\":\"T\",\"step_id\":0,\"step_status\":\"end\"}"), frames);
    }

    @Test
    @DisplayName("invalid YAML in raw fails the workflow with the parser's reason")
    void invalidYaml() {
        String rkey = f.push("ci.yml", "engine: stub\nsteps: [unclosed\n");
        Status end = f.awaitTerminal(rkey, "ci.yml");
        assertEquals(RunState.FAILED, end.state());
        assertTrue(end.error().orElse("").startsWith("invalid workflow YAML in ci.yml"), end.toString());
    }

    @Test
    @DisplayName("an invalid stub block fails with the key that is wrong, shown in the log")
    void invalidBlock() {
        String rkey = f.push("ci.yml", "engine: stub\nstub:\n  steps:\n    - command: x\n");
        Status end = f.awaitTerminal(rkey, "ci.yml");
        assertEquals(new Status.Failed("stub.steps[0].name: required", -1), end);
        assertTrue(f.storedFrames(rkey, "ci.yml").get(1).contains("stub.steps[0].name: required"));
    }

    @Test
    @DisplayName("malformed frames, unknown nsids and a record missing fields do not cost the good triggers around them")
    void malformedFrames() {
        String before = f.push("ci.yml", "engine: stub\n");
        f.knot.sendRaw("{not json");
        f.knot.sendRaw("{\"event\":{},\"nsid\":\"sh.tangled.git.refUpdate\",\"rkey\":\"3abc\"}");
        f.knot.publishPipeline("3kbadrecord22", "{\"$type\":\"\",\"workflows\":[]}");
        f.knot.publishPipeline("3kforeignknot", "{\"triggerMetadata\":{\"kind\":\"push\",\"repo\":{\"knot\":\"elsewhere\",\"did\":\""
                + WeftFixture.DID + "\",\"repo\":\"e2e\"},\"push\":{\"ref\":\"refs/heads/main\",\"newSha\":\"" + "a".repeat(40)
                + "\",\"oldSha\":\"" + "0".repeat(40) + "\"}},\"workflows\":[]}");
        String after = f.push("ci.yml", "engine: stub\n");
        assertEquals(RunState.SUCCESS, f.awaitTerminal(before, "ci.yml").state());
        assertEquals(RunState.SUCCESS, f.awaitTerminal(after, "ci.yml").state());
        assertTrue(f.weft.store().runs().runs(new dev.weft.model.PipelineId(f.knot.host(), "3kbadrecord22")).isEmpty());
        assertTrue(f.weft.store().runs().runs(new dev.weft.model.PipelineId(f.knot.host(), "3kforeignknot")).isEmpty());
    }

    @Test
    @DisplayName("null workflows are skipped and the others run")
    void nullWorkflows() {
        String rkey = "3knullworkflo";
        f.knot.publishPipeline(rkey, "{\"$type\":\"\",\"triggerMetadata\":{\"kind\":\"push\",\"repo\":{\"knot\":\"" + f.knot.host()
                + "\",\"did\":\"" + WeftFixture.DID + "\",\"repo\":\"e2e\",\"defaultBranch\":\"\"},\"push\":{\"ref\":\"refs/heads/main\",\"newSha\":\""
                + "b".repeat(40) + "\",\"oldSha\":\"" + "0".repeat(40) + "\"}},\"workflows\":[null,{\"name\":\"ok.yml\",\"engine\":\"stub\","
                + "\"clone\":{\"skip\":false,\"depth\":1,\"submodules\":false},\"raw\":\"engine: stub\\n\"},null]}");
        assertEquals(RunState.SUCCESS, f.awaitTerminal(rkey, "ok.yml").state());
        assertEquals(1, f.weft.store().runs().runs(new dev.weft.model.PipelineId(f.knot.host(), rkey)).size());
    }

    @Test
    @DisplayName("a repository not registered here is dropped silently")
    void unregistered() {
        f.knot.publishPipeline("3kunregisterd", dev.weft.knot.PipelineRecordJson.push(f.knot.host(), "did:plc:stranger", "x",
                "refs/heads/main", "c".repeat(40), "0".repeat(40)).workflow("ci.yml", "stub", "engine: stub\n").json());
        String after = f.push("ci.yml", "engine: stub\n");
        f.awaitTerminal(after, "ci.yml");
        assertTrue(f.weft.store().runs().runs(new dev.weft.model.PipelineId(f.knot.host(), "3kunregisterd")).isEmpty());
    }

    @Test
    @DisplayName("a workflow running past the timeout is cancelled and ends timeout")
    void timeout() {
        String rkey = f.push("hang.yml", "engine: stub\nstub:\n  hang: true\n");
        Status end = f.awaitTerminal(rkey, "hang.yml");
        assertEquals(RunState.TIMEOUT, end.state());
        assertEquals("workflow timed out after 2s", end.error().orElse(""));
    }

    @Test
    @DisplayName("/logs answers 404 before the upgrade for an unknown workflow and 400 for odd paths")
    void logsErrors() {
        try (WebSocketRecorder unknown = WebSocketRecorder.connect(f.logs("3knope", "ci.yml"))) {
            assertEquals(404, unknown.handshakeStatus());
        }
        for (String odd : List.of("/logs/" + f.knot.host() + "/..//ci.yml", "/logs/" + f.knot.host() + "/a%2Fb/ci.yml",
                "/logs/" + f.knot.host() + "/rkey")) {
            try (WebSocketRecorder r = WebSocketRecorder.connect(f.ws(odd))) {
                int s = r.handshakeStatus();
                assertTrue(s == 400 || s == 404, odd + " -> " + s);
            }
        }
    }
}
