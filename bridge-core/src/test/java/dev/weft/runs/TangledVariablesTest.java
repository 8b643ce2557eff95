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
    @DisplayName("a repository known by its DID gets TANGLED_REPO_REPO_DID, a clone URL on it and the kind (spec tangled-ci 2.8)")
    void repoDid() {
        Trigger t = new Trigger(new PipelineId("knot.example", "3kx"),
                new RepoRef("knot.example", "did:plc:owner", "3kabc", "main", "did:plc:repo"),
                new TriggerKind.Manual(List.of(), "c".repeat(40), "refs/heads/dev"), List.of(), Instant.EPOCH);
        Map<String, String> v = TangledVariables.of(t, false);
        assertEquals("manual", v.get("TANGLED_PIPELINE_KIND"));
        assertEquals("did:plc:repo", v.get("TANGLED_REPO_REPO_DID"));
        assertEquals("did:plc:owner", v.get("TANGLED_REPO_DID"));
        assertEquals("3kabc", v.get("TANGLED_REPO_NAME"));
        assertEquals("https://knot.example/did:plc:repo", v.get("TANGLED_REPO_URL"));
        assertEquals("c".repeat(40), v.get("TANGLED_SHA"));
        assertEquals("refs/heads/dev", v.get("TANGLED_REF"));
        assertEquals("dev", v.get("TANGLED_REF_NAME"));
        assertEquals("branch", v.get("TANGLED_REF_TYPE"));
        Map<String, String> pr = TangledVariables.of(trigger(new TriggerKind.PullRequest("feat", "main", "b".repeat(40), "synchronize")), false);
        assertEquals("pull_request", pr.get("TANGLED_PIPELINE_KIND"));
        assertEquals("synchronize", pr.get("TANGLED_PR_ACTION"));
        assertEquals("refs/heads/feat", pr.get("TANGLED_REF"));
        assertEquals("b".repeat(40), pr.get("TANGLED_SHA"));
        assertFalse(pr.containsKey("TANGLED_REPO_REPO_DID"));
    }

    @Test
    @DisplayName("engine names in errors are quoted as Go's %#v does")
    void goQuote() {
        assertEquals("\"nixery\"", GoQuote.quote("nixery"));
        assertEquals("\"a\\\"b\\n\"", GoQuote.quote("a\"b\n"));
        assertEquals("\"\"", GoQuote.quote(""));
    }
}
