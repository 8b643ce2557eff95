package dev.weft.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON form of a {@link Notification}: the generic webhook's body and the outbox's stored form,
 * so a notification read back after a restart is the one that was queued. Field order is fixed.
 */
public final class NotificationJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private NotificationJson() {
    }

    public static ObjectNode tree(Notification n) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", n.id());
        o.put("event", n.event().wireName());
        o.put("pipeline", n.pipeline());
        o.put("workflow", n.workflow());
        o.put("engine", n.engine());
        ObjectNode repo = o.putObject("repo");
        repo.put("knot", n.repo().knot());
        repo.put("owner", n.repo().owner());
        repo.put("name", n.repo().name());
        repo.put("did", n.repo().did());
        Notification.Trigger t = n.trigger();
        ObjectNode tr = o.putObject("trigger");
        tr.put("kind", t.kind());
        tr.put("ref", t.ref());
        tr.put("branch", t.branch());
        tr.put("target", t.target());
        tr.put("sha", t.sha());
        tr.put("shortSha", t.shortSha());
        tr.put("actor", t.actor());
        tr.put("mention", t.mention());
        ObjectNode inputs = tr.putObject("inputs");
        t.inputs().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> inputs.put(e.getKey(), e.getValue()));
        tr.put("pull", t.pull());
        if (n.step().name().isEmpty()) {
            o.putNull("step");
        } else {
            ObjectNode st = o.putObject("step");
            st.put("name", n.step().name());
            st.put("command", n.step().command());
        }
        if (n.exitCode() == null) o.putNull("exitCode");
        else o.put("exitCode", n.exitCode());
        o.put("error", n.error());
        var lines = o.putArray("lines");
        for (Notification.Line l : n.lines()) lines.addObject().put("text", l.text()).put("repeat", l.repeat());
        if (n.advice() == null) {
            o.putNull("advice");
        } else {
            o.putObject("advice").put("text", n.advice().text()).put("link", n.advice().link());
        }
        o.putObject("links").put("appview", n.links().appview()).put("run", n.links().run());
        if (n.incident() == null) {
            o.putNull("incident");
        } else {
            o.putObject("incident").put("id", n.incident().id()).put("opened", n.incident().opened())
                    .put("closed", n.incident().closed());
        }
        o.put("at", n.at());
        var workflows = o.putArray("workflows");
        for (Notification.WorkflowStatus w : n.workflows()) workflows.addObject().put("workflow", w.workflow()).put("status", w.status());
        return o;
    }

    /** The compact JSON text. */
    public static String write(Notification n) {
        try {
            return JSON.writeValueAsString(tree(n));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e); // a tree of strings and numbers always encodes
        }
    }

    /** Reads {@link #write}'s output; throws {@link IllegalArgumentException} on anything else. */
    public static Notification read(String text) {
        JsonNode o;
        try {
            o = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a stored notification: " + e.getOriginalMessage(), e);
        }
        Event event = Event.fromWire(o.path("event").asText())
                .orElseThrow(() -> new IllegalArgumentException("unknown event " + o.path("event")));
        JsonNode r = o.path("repo");
        JsonNode t = o.path("trigger");
        Map<String, String> inputs = new LinkedHashMap<>();
        t.path("inputs").fields().forEachRemaining(e -> inputs.put(e.getKey(), e.getValue().asText()));
        List<Notification.Line> lines = new ArrayList<>();
        for (JsonNode l : o.path("lines")) lines.add(new Notification.Line(l.path("text").asText(), l.path("repeat").asInt(1)));
        JsonNode a = o.path("advice");
        JsonNode i = o.path("incident");
        JsonNode s = o.path("step");
        return new Notification(o.path("id").asText(), event, o.path("pipeline").asText(), o.path("workflow").asText(),
                o.path("engine").asText(),
                new Notification.Repo(r.path("knot").asText(), r.path("owner").asText(), r.path("name").asText(),
                        r.path("did").asText()),
                new Notification.Trigger(t.path("kind").asText(), t.path("ref").asText(), t.path("branch").asText(),
                        t.path("target").asText(), t.path("sha").asText(), t.path("shortSha").asText(),
                        t.path("actor").asText(), t.path("mention").asText(), inputs, t.path("pull").asText()),
                s.isObject() ? new Notification.Step(s.path("name").asText(), s.path("command").asText()) : Notification.Step.NONE,
                o.path("exitCode").isNumber() ? o.path("exitCode").asLong() : null,
                o.path("error").asText(), lines,
                a.isObject() ? new Notification.Advice(a.path("text").asText(), a.path("link").asText()) : null,
                new Notification.Links(o.path("links").path("appview").asText(), o.path("links").path("run").asText()),
                i.isObject() ? new Notification.Incident(i.path("id").asLong(), i.path("opened").asBoolean(),
                        i.path("closed").asBoolean()) : null,
                o.path("at").asText(), workflows(o.path("workflows")));
    }

    private static List<Notification.WorkflowStatus> workflows(JsonNode a) {
        List<Notification.WorkflowStatus> out = new ArrayList<>();
        for (JsonNode w : a) out.add(new Notification.WorkflowStatus(w.path("workflow").asText(), w.path("status").asText()));
        return out;
    }
}
