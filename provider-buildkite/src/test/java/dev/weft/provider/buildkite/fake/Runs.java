package dev.weft.provider.buildkite.fake;

import dev.weft.testkit.FakeRun;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;

import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds {@link FakeRun}s for the three trigger kinds. */
public final class Runs {
    public static final String SHA = "0123456789abcdef0123456789abcdef01234567";
    public static final String DEFAULT_YAML = """
            engine: buildkite
            buildkite:
              pipeline: app
              org: acme
            """;
    private static final YAMLMapper YAML = new YAMLMapper();
    static final RepoRef REPO = new RepoRef("knot.example.com", "did:plc:alice", "app");

    private Runs() {
    }

    public static FakeRun push(long id) {
        return push(id, "refs/heads/main", DEFAULT_YAML);
    }

    public static FakeRun push(long id, String ref, String yaml) {
        return of(id, new TriggerKind.Push(ref, SHA, "0".repeat(40)), yaml);
    }

    public static FakeRun pullRequest(long id, String yaml) {
        return of(id, new TriggerKind.PullRequest("feature", "main", SHA, "create"), yaml);
    }

    public static FakeRun manual(long id, String yaml, Map<String, String> inputs) {
        return of(id, new TriggerKind.Manual(inputs.entrySet().stream()
                .map(e -> new TriggerKind.Input(e.getKey(), e.getValue())).toList()), yaml);
    }

    public static FakeRun of(long id, TriggerKind kind, String yaml) {
        JsonNode spec;
        try {
            spec = YAML.readTree(yaml);
        } catch (IOException e) {
            spec = MissingNode.getInstance();
        }
        if (spec == null) spec = MissingNode.getInstance();
        String rkey = "3lrkey" + id;
        Workflow wf = new Workflow("ci.yml", "buildkite", null, yaml);
        Trigger t = new Trigger(new PipelineId(REPO.knot(), rkey), REPO, kind, List.of(wf), Instant.EPOCH);
        Map<String, String> vars = new LinkedHashMap<>();
        vars.put("CI", "true");
        vars.put("TANGLED_PIPELINE_ID", t.pipeline().atUri());
        vars.put("TANGLED_REPO_NAME", REPO.name());
        if (kind instanceof TriggerKind.Push p) {
            vars.put("TANGLED_REF", p.ref());
            vars.put("TANGLED_SHA", p.newSha());
        }
        if (kind instanceof TriggerKind.Manual m) {
            for (TriggerKind.Input in : m.inputs()) vars.put("TANGLED_INPUT_" + in.key().toUpperCase(), in.value());
        }
        return new FakeRun(id, new WorkflowId(t.pipeline(), wf.name()), t, wf, spec, vars);
    }
}
