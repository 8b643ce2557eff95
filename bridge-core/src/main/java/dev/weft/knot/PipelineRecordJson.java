package dev.weft.knot;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Builds well-formed {@code sh.tangled.pipeline} record JSON as a real knot writes it
 * ({@code $type} empty, {@code defaultBranch} empty unless set), so tests and {@code weft demo} need
 * not hand-write JSON. Feed the result to {@link KnotEventServer#publishPipeline}.
 *
 * <pre>{@code
 * String json = PipelineRecordJson.push(knot, "did:plc:alice", "hello", "refs/heads/main", sha, zeros)
 *         .workflow("ci.yml", "stub", "steps: []\n")
 *         .json();
 * }</pre>
 *
 * <p>Immutable: every {@code with}-style method returns a new builder, so a base can be shared across
 * threads and tests. Arguments are not validated beyond null checks: tests may build records the
 * parser refuses (for example an empty engine).
 */
public final class PipelineRecordJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String knot;
    private final String did;
    private final String repo;
    private final String defaultBranch;
    private final TriggerKind kind;
    private final List<Workflow> workflows;

    private PipelineRecordJson(String knot, String did, String repo, String defaultBranch, TriggerKind kind,
                               List<Workflow> workflows) {
        this.knot = Objects.requireNonNull(knot, "knot");
        this.did = Objects.requireNonNull(did, "did");
        this.repo = Objects.requireNonNull(repo, "repo");
        this.defaultBranch = Objects.requireNonNull(defaultBranch, "defaultBranch");
        this.kind = Objects.requireNonNull(kind, "kind");
        this.workflows = List.copyOf(workflows);
    }

    /** A push of {@code ref} from {@code oldSha} to {@code newSha}. */
    public static PipelineRecordJson push(String knot, String did, String repo, String ref, String newSha,
                                          String oldSha) {
        return new PipelineRecordJson(knot, did, repo, "", new TriggerKind.Push(ref, newSha, oldSha), List.of());
    }

    /** A pull request (action {@code create}, the only one knots send today). */
    public static PipelineRecordJson pullRequest(String knot, String did, String repo, String sourceBranch,
                                                 String targetBranch, String sourceSha) {
        return new PipelineRecordJson(knot, did, repo, "",
                new TriggerKind.PullRequest(sourceBranch, targetBranch, sourceSha, "create"), List.of());
    }

    /** A manual trigger without inputs; add them with {@link #input}. */
    public static PipelineRecordJson manual(String knot, String did, String repo) {
        return new PipelineRecordJson(knot, did, repo, "", new TriggerKind.Manual(List.of()), List.of());
    }

    /** Adds a manual input; only valid on a {@link #manual} builder. */
    public PipelineRecordJson input(String key, String value) {
        if (!(kind instanceof TriggerKind.Manual m)) {
            throw new IllegalStateException("inputs belong to manual triggers, not " + kind.wireName());
        }
        List<TriggerKind.Input> inputs = new ArrayList<>(m.inputs());
        inputs.add(new TriggerKind.Input(key, value));
        return new PipelineRecordJson(knot, did, repo, defaultBranch, new TriggerKind.Manual(inputs), workflows);
    }

    /** Sets {@code repo.defaultBranch} (real knots send {@code ""}). */
    public PipelineRecordJson defaultBranch(String branch) {
        return new PipelineRecordJson(knot, did, repo, branch, kind, workflows);
    }

    /** Appends a workflow with default clone options. */
    public PipelineRecordJson workflow(String name, String engine, String raw) {
        return workflow(name, engine, Workflow.CloneOptions.DEFAULT, raw);
    }

    /** Appends a workflow. */
    public PipelineRecordJson workflow(String name, String engine, Workflow.CloneOptions clone, String raw) {
        List<Workflow> ws = new ArrayList<>(workflows);
        ws.add(new Workflow(name, engine, clone, raw));
        return new PipelineRecordJson(knot, did, repo, defaultBranch, kind, ws);
    }

    /** The record as a fresh, mutable Jackson tree (callers may break it on purpose). */
    public ObjectNode node() {
        ObjectNode root = JSON.createObjectNode();
        root.put("$type", "");
        ObjectNode meta = root.putObject("triggerMetadata");
        meta.put("kind", kind.wireName());
        ObjectNode r = meta.putObject("repo");
        r.put("knot", knot);
        r.put("did", did);
        r.put("repo", repo);
        r.put("defaultBranch", defaultBranch);
        switch (kind) {
            case TriggerKind.Push p -> {
                ObjectNode n = meta.putObject("push");
                n.put("ref", p.ref());
                n.put("newSha", p.newSha());
                n.put("oldSha", p.oldSha());
            }
            case TriggerKind.PullRequest pr -> {
                ObjectNode n = meta.putObject("pullRequest");
                n.put("sourceBranch", pr.sourceBranch());
                n.put("targetBranch", pr.targetBranch());
                n.put("sourceSha", pr.sourceSha());
                n.put("action", pr.action());
            }
            case TriggerKind.Manual m -> {
                ArrayNode inputs = meta.putObject("manual").putArray("inputs");
                for (TriggerKind.Input in : m.inputs()) {
                    inputs.addObject().put("key", in.key()).put("value", in.value());
                }
            }
        }
        ArrayNode ws = root.putArray("workflows");
        for (Workflow w : workflows) {
            ObjectNode n = ws.addObject();
            n.put("name", w.name());
            n.put("engine", w.engine());
            n.putObject("clone")
                    .put("skip", w.cloneOptions().skip())
                    .put("depth", w.cloneOptions().depth())
                    .put("submodules", w.cloneOptions().submodules());
            n.put("raw", w.raw());
        }
        return root;
    }

    /** The record as compact JSON text. */
    public String json() {
        return node().toString();
    }

    @Override
    public String toString() {
        return json();
    }
}
