package dev.weft.provider.buildkite.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.testkit.FakeRun;
import dev.weft.provider.buildkite.fake.Runs;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class DispatchBodyTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String YAML = """
            buildkite:
              pipeline: app
              env: {FOO: bar, CI: overridden}
              meta_data: {team: core, weft_run_id: spoof}
            """;

    static JsonNode body(FakeRun run, String manualBranch) throws Exception {
        WorkflowBlock b = WorkflowBlock.parse(run.block(), run.spec());
        return DispatchBody.build(JSON, run.id(), "knot/rkey/ci.yml", "ci.yml", run.trigger(), b, run.variables(),
                manualBranch);
    }

    @Test
    @DisplayName("push: commit is newSha, branch the ref without refs/heads/; env layers variables under the block")
    void push() throws Exception {
        JsonNode b = body(Runs.push(42, "refs/heads/feature/x", YAML), null);
        assertEquals(Runs.SHA, b.path("commit").asText());
        assertEquals("feature/x", b.path("branch").asText());
        assertFalse(b.has("pull_request_base_branch"));
        assertEquals("bar", b.path("env").path("FOO").asText());
        assertEquals("overridden", b.path("env").path("CI").asText());
        assertEquals("refs/heads/feature/x", b.path("env").path("TANGLED_REF").asText());
        assertEquals("42", b.path("meta_data").path("weft_run_id").asText(), "weft's own keys win");
        assertEquals("knot/rkey/ci.yml", b.path("meta_data").path("weft_workflow").asText());
        assertEquals("core", b.path("meta_data").path("team").asText());
        assertEquals("Tangled did:plc:alice/app: push to feature/x (0123456), ci.yml", b.path("message").asText());
    }

    @Test
    @DisplayName("a tag push uses the tag name as branch")
    void tag() throws Exception {
        assertEquals("v1.2.0", body(Runs.push(1, "refs/tags/v1.2.0", YAML), null).path("branch").asText());
    }

    @Test
    @DisplayName("pull request: sourceSha, sourceBranch and pull_request_base_branch = targetBranch")
    void pullRequest() throws Exception {
        JsonNode b = body(Runs.pullRequest(7, YAML), null);
        assertEquals(Runs.SHA, b.path("commit").asText());
        assertEquals("feature", b.path("branch").asText());
        assertEquals("main", b.path("pull_request_base_branch").asText());
        assertEquals("Tangled did:plc:alice/app: pull request feature \u2192 main (0123456), ci.yml",
                b.path("message").asText());
    }

    @Test
    @DisplayName("manual: HEAD of the branch, inputs in env and meta_data; the block's message wins")
    void manual() throws Exception {
        Map<String, String> inputs = new LinkedHashMap<>();
        inputs.put("DEPLOY", "yes");
        inputs.put("FOO", "from-input");
        FakeRun run = Runs.manual(9, YAML.replace("pipeline: app", "pipeline: app\n  message: Deploy"), inputs);
        JsonNode b = body(run, "release");
        assertEquals("HEAD", b.path("commit").asText());
        assertEquals("release", b.path("branch").asText());
        assertEquals("yes", b.path("env").path("DEPLOY").asText());
        assertEquals("from-input", b.path("env").path("FOO").asText(), "inputs win over the block's env");
        assertEquals("yes", b.path("env").path("TANGLED_INPUT_DEPLOY").asText());
        assertEquals("yes", b.path("meta_data").path("DEPLOY").asText());
        assertEquals("Deploy", b.path("message").asText());
    }
}
