package dev.weft.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.IsoInstant;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Weft's own stored form of an accepted trigger, so a restart can rebuild every run's context
 * without the knot. Deliberately not the knot's record format: that one is validated once, at
 * the door, and this one is always well-formed.
 */
public final class TriggerJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private TriggerJson() {
    }

    public static String write(Trigger t) {
        ObjectNode o = JSON.createObjectNode();
        o.put("knot", t.pipeline().knot());
        o.put("rkey", t.pipeline().rkey());
        o.put("receivedAt", IsoInstant.format(t.receivedAt()));
        ObjectNode repo = o.putObject("repo");
        repo.put("knot", t.repo().knot());
        repo.put("did", t.repo().did());
        repo.put("name", t.repo().name());
        repo.put("defaultBranch", t.repo().defaultBranch());
        if (t.repo().hasRepoDid()) repo.put("repoDid", t.repo().repoDid());
        if (!t.sourceRepo().isEmpty()) o.put("sourceRepo", t.sourceRepo());
        if (!t.actor().isEmpty()) o.put("actor", t.actor());
        ObjectNode kind = o.putObject("kind");
        kind.put("type", t.kind().wireName());
        switch (t.kind()) {
            case TriggerKind.Push p -> {
                kind.put("ref", p.ref());
                kind.put("newSha", p.newSha());
                kind.put("oldSha", p.oldSha());
            }
            case TriggerKind.PullRequest pr -> {
                kind.put("sourceBranch", pr.sourceBranch());
                kind.put("targetBranch", pr.targetBranch());
                kind.put("sourceSha", pr.sourceSha());
                kind.put("action", pr.action());
                if (!pr.pull().isEmpty()) kind.put("pull", pr.pull());
            }
            case TriggerKind.Manual m -> {
                if (!m.sha().isEmpty()) kind.put("sha", m.sha());
                if (!m.ref().isEmpty()) kind.put("ref", m.ref());
                ArrayNode inputs = kind.putArray("inputs");
                for (TriggerKind.Input in : m.inputs()) {
                    inputs.addObject().put("key", in.key()).put("value", in.value());
                }
            }
        }
        ArrayNode wfs = o.putArray("workflows");
        for (Workflow w : t.workflows()) {
            ObjectNode wo = wfs.addObject();
            wo.put("name", w.name());
            wo.put("engine", w.engine());
            wo.put("raw", w.raw());
            wo.putObject("clone")
                    .put("skip", w.cloneOptions().skip())
                    .put("depth", w.cloneOptions().depth())
                    .put("submodules", w.cloneOptions().submodules())
                    .put("tags", w.cloneOptions().tags());
            if (w.isInvalid()) wo.put("invalid", w.invalid());
        }
        return o.toString();
    }

    public static Trigger read(String text) {
        try {
            JsonNode o = JSON.readTree(text);
            JsonNode r = o.get("repo");
            RepoRef repo = new RepoRef(r.get("knot").asText(), r.get("did").asText(), r.get("name").asText(),
                    r.path("defaultBranch").asText(""), r.path("repoDid").asText(""));
            JsonNode k = o.get("kind");
            TriggerKind kind = switch (k.get("type").asText()) {
                case "push" -> new TriggerKind.Push(k.get("ref").asText(), k.get("newSha").asText(),
                        k.path("oldSha").asText(""));
                case "pull_request" -> new TriggerKind.PullRequest(k.get("sourceBranch").asText(),
                        k.get("targetBranch").asText(), k.get("sourceSha").asText(), k.path("action").asText(""),
                        k.path("pull").asText(""));
                case "manual" -> {
                    List<TriggerKind.Input> inputs = new ArrayList<>();
                    for (JsonNode in : k.path("inputs")) {
                        inputs.add(new TriggerKind.Input(in.get("key").asText(), in.path("value").asText("")));
                    }
                    yield new TriggerKind.Manual(inputs, k.path("sha").asText(""), k.path("ref").asText(""));
                }
                default -> throw new IllegalArgumentException("unknown trigger kind " + k.get("type"));
            };
            List<Workflow> wfs = new ArrayList<>();
            for (JsonNode w : o.path("workflows")) {
                JsonNode c = w.path("clone");
                wfs.add(new Workflow(w.get("name").asText(), w.get("engine").asText(),
                        new Workflow.CloneOptions(c.path("skip").asBoolean(false), c.path("depth").asInt(1),
                                c.path("submodules").asBoolean(false), c.path("tags").asBoolean(false)),
                        w.path("raw").asText(""), w.path("invalid").asText("")));
            }
            return new Trigger(new PipelineId(o.get("knot").asText(), o.get("rkey").asText()), repo, kind, wfs,
                    IsoInstant.parse(o.get("receivedAt").asText()), o.path("sourceRepo").asText(""), o.path("actor").asText(""));
        } catch (IOException | RuntimeException e) {
            throw new StoreException("stored trigger does not parse: " + e.getMessage(), e);
        }
    }
}
