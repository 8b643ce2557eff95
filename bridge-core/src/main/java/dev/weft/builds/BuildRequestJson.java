package dev.weft.builds;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.IsoInstant;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.TriggerKind;
import dev.weft.pipelines.WorkflowTrigger;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** The builder's stored form of a {@link BuildRequest}: always written here, so always well-formed. */
final class BuildRequestJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BuildRequestJson() {
    }

    static String write(BuildRequest r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("knot", r.pipeline().knot()).put("rkey", r.pipeline().rkey());
        ObjectNode repo = o.putObject("repo");
        repo.put("knot", r.repo().knot()).put("did", r.repo().did()).put("name", r.repo().name())
                .put("repoDid", r.repo().repoDid());
        o.put("sha", r.sha()).put("codeKnot", r.codeKnot()).put("codeRepo", r.codeRepo())
                .put("sourceRepo", r.sourceRepo()).put("receivedAt", IsoInstant.format(r.receivedAt()));
        if (!r.actor().isEmpty()) o.put("actor", r.actor());
        ObjectNode t = o.putObject("trigger");
        switch (r.trigger()) {
            case WorkflowTrigger.Push p -> {
                t.put("type", "push").put("ref", p.kind().ref()).put("oldSha", p.kind().oldSha())
                        .put("newSha", p.kind().newSha());
                p.changedFiles().ifPresent(files -> strings(t.putArray("changedFiles"), files));
            }
            case WorkflowTrigger.PullRequest pr -> {
                t.put("type", "pull_request").put("action", pr.kind().action())
                        .put("sourceBranch", pr.kind().sourceBranch()).put("sourceSha", pr.kind().sourceSha())
                        .put("targetBranch", pr.kind().targetBranch()).put("pull", pr.kind().pull());
                pr.workflows().ifPresent(w -> strings(t.putArray("workflows"), w));
            }
            case WorkflowTrigger.Manual m -> {
                t.put("type", "manual").put("sha", m.sha()).put("ref", m.ref().orElse(""));
                ArrayNode inputs = t.putArray("inputs");
                for (TriggerKind.Input in : m.kind().inputs()) inputs.addObject().put("key", in.key()).put("value", in.value());
                m.workflows().ifPresent(w -> strings(t.putArray("workflows"), w));
            }
        }
        return o.toString();
    }

    static BuildRequest read(String text) {
        try {
            JsonNode o = JSON.readTree(text);
            JsonNode repo = o.get("repo");
            JsonNode t = o.get("trigger");
            WorkflowTrigger trigger = switch (t.get("type").asText()) {
                case "push" -> new WorkflowTrigger.Push(new TriggerKind.Push(t.get("ref").asText(), t.get("newSha").asText(),
                        t.get("oldSha").asText()), t.has("changedFiles") ? Optional.of(strings(t.get("changedFiles"))) : Optional.empty());
                case "pull_request" -> new WorkflowTrigger.PullRequest(new TriggerKind.PullRequest(
                        t.get("sourceBranch").asText(), t.get("targetBranch").asText(), t.get("sourceSha").asText(),
                        t.get("action").asText(), t.path("pull").asText("")),
                        t.has("workflows") ? Optional.of(Set.copyOf(strings(t.get("workflows")))) : Optional.empty());
                case "manual" -> {
                    List<TriggerKind.Input> inputs = new ArrayList<>();
                    for (JsonNode in : t.path("inputs")) inputs.add(new TriggerKind.Input(in.get("key").asText(), in.get("value").asText()));
                    String ref = t.path("ref").asText("");
                    yield new WorkflowTrigger.Manual(new TriggerKind.Manual(inputs, t.get("sha").asText(), ref),
                            t.get("sha").asText(), ref.isEmpty() ? Optional.empty() : Optional.of(ref),
                            t.has("workflows") ? Optional.of(new LinkedHashSet<>(strings(t.get("workflows")))) : Optional.empty());
                }
                default -> throw new IllegalArgumentException("unknown trigger type " + t.get("type"));
            };
            return new BuildRequest(new PipelineId(o.get("knot").asText(), o.get("rkey").asText()),
                    new RepoRef(repo.get("knot").asText(), repo.get("did").asText(), repo.get("name").asText(), "",
                            repo.get("repoDid").asText()),
                    trigger, o.get("sha").asText(), o.get("codeKnot").asText(), o.get("codeRepo").asText(),
                    o.get("sourceRepo").asText(), IsoInstant.parse(o.get("receivedAt").asText()), o.path("actor").asText(""));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("stored build request does not parse: " + e.getMessage(), e);
        }
    }

    private static void strings(ArrayNode a, Iterable<String> values) {
        for (String v : values) a.add(v);
    }

    private static List<String> strings(JsonNode a) {
        List<String> out = new ArrayList<>(a.size());
        for (JsonNode n : a) out.add(n.asText());
        return out;
    }
}
