package dev.weft.runs;

import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class TangledVariablesTest {
    static Trigger trigger(TriggerKind kind) {
        return new Trigger(new PipelineId("knot.example:5555", "3kx"), new RepoRef("knot.example:5555", "did:plc:a", "repo"),
                kind, List.of(), Instant.EPOCH);
    }

    @Test
    @DisplayName("a tag push gets the ref variables and the pipeline AT-URI")
    void push() {
        Map<String, String> v = TangledVariables.of(trigger(new TriggerKind.Push("refs/tags/v1.2", "a".repeat(40), "")), false);
        assertEquals("true", v.get("CI"));
        assertEquals("at://did:web:knot.example:5555/sh.tangled.pipeline/3kx", v.get("TANGLED_PIPELINE_ID"));
        assertEquals("tag", v.get("TANGLED_REF_TYPE"));
        assertEquals("v1.2", v.get("TANGLED_REF_NAME"));
        assertEquals("a".repeat(40), v.get("TANGLED_COMMIT_SHA"));
        assertEquals("https://knot.example:5555/did:plc:a/repo", v.get("TANGLED_REPO_URL"));
        assertFalse(v.containsKey("TANGLED_PR_SOURCE_BRANCH"));
    }

    @Test
    @DisplayName("pull requests and manual inputs get theirs")
    void prAndManual() {
        Map<String, String> pr = TangledVariables.of(trigger(new TriggerKind.PullRequest("feat", "main", "b".repeat(40), "create")), true);
        assertEquals("feat", pr.get("TANGLED_PR_SOURCE_BRANCH"));
        assertEquals("main", pr.get("TANGLED_PR_TARGET_BRANCH"));
        assertEquals("http://knot.example:5555/did:plc:a/repo", pr.get("TANGLED_REPO_URL"));
        Map<String, String> m = TangledVariables.of(trigger(new TriggerKind.Manual(List.of(new TriggerKind.Input("deploy-env", "prod")))), false);
        assertEquals("prod", m.get("TANGLED_INPUT_DEPLOY_ENV"));
    }

    @Test
    @DisplayName("engine names in errors are quoted as Go's %#v does")
    void goQuote() {
        assertEquals("\"nixery\"", GoQuote.quote("nixery"));
        assertEquals("\"a\\\"b\\n\"", GoQuote.quote("a\"b\n"));
        assertEquals("\"\"", GoQuote.quote(""));
    }
}
