package dev.weft.wire;

import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;

/**
 * The {@code /events} frame that announces a pipeline: {@code {"rkey":"<pipeline TID>","nsid":
 * "sh.tangled.pipeline","event":<record>,"created":<event id>}}, sent before the first status of
 * that pipeline because the appview drops statuses of pipelines it has not stored (spec
 * tangled-ci 2.9, 5.3). The record is Go's {@code encoding/json} of upstream's generated
 * {@code tangled.Pipeline}: struct order, which lexgen makes alphabetical; {@code $type} empty as
 * upstream stores it; optional fields left out when empty.
 *
 * <p>Invalid workflow files appear with the engine as written (or empty) and no {@code raw}, so
 * the appview shows them and then their {@code failed} status.
 */
public final class PipelineFrames {
    /** The collection the appview dispatches on. */
    public static final String NSID = "sh.tangled.pipeline";

    private PipelineFrames() {
    }

    /** The complete frame for {@code t}, published as event {@code created}. */
    public static byte[] frame(Trigger t, long created) {
        WireBuffer b = GoJson.scratch();
        GoJson.eventHead(b, t.pipeline().rkey(), NSID);
        record(b, t);
        GoJson.eventTail(b, created);
        return GoJson.finish(b);
    }

    /** The {@code sh.tangled.pipeline} record alone. */
    public static byte[] record(Trigger t) {
        WireBuffer b = GoJson.scratch();
        record(b, t);
        return GoJson.finish(b);
    }

    private static void record(WireBuffer out, Trigger t) {
        out.put('{');
        key(out, "$type", true);
        GoJson.string(out, "");
        key(out, "triggerMetadata", false);
        out.put('{');
        key(out, "kind", true);
        GoJson.string(out, t.kind().wireName());
        switch (t.kind()) {
            case TriggerKind.Manual m -> {
                key(out, "manual", false);
                out.put('{');
                boolean first = true;
                if (!m.inputs().isEmpty()) {
                    key(out, "inputs", true);
                    out.put('[');
                    for (int i = 0; i < m.inputs().size(); i++) {
                        if (i > 0) out.put(',');
                        out.put('{');
                        text(out, "key", m.inputs().get(i).key(), true);
                        text(out, "value", m.inputs().get(i).value(), false);
                        out.put('}');
                    }
                    out.put(']');
                    first = false;
                }
                if (!m.ref().isEmpty()) {
                    text(out, "ref", m.ref(), first);
                    first = false;
                }
                if (!m.sha().isEmpty()) text(out, "sha", m.sha(), first);
                out.put('}');
            }
            case TriggerKind.PullRequest pr -> {
                key(out, "pullRequest", false);
                out.put('{');
                boolean first = true;
                if (!pr.action().isEmpty()) {
                    text(out, "action", pr.action(), true);
                    first = false;
                }
                if (!pr.pull().isEmpty()) {
                    text(out, "pull", pr.pull(), first);
                    first = false;
                }
                text(out, "sourceBranch", pr.sourceBranch(), first);
                text(out, "sourceSha", pr.sourceSha(), false);
                text(out, "targetBranch", pr.targetBranch(), false);
                out.put('}');
            }
            case TriggerKind.Push p -> {
                key(out, "push", false);
                out.put('{');
                text(out, "newSha", p.newSha(), true);
                text(out, "oldSha", p.oldSha(), false);
                text(out, "ref", p.ref(), false);
                out.put('}');
            }
        }
        RepoRef r = t.repo();
        key(out, "repo", false);
        out.put('{');
        text(out, "defaultBranch", r.defaultBranch(), true);
        text(out, "did", r.did(), false);
        text(out, "knot", r.knot(), false);
        text(out, "repo", r.name(), false);
        if (r.hasRepoDid()) text(out, "repoDid", r.repoDid(), false);
        out.put('}');
        if (!t.sourceRepo().isEmpty()) text(out, "sourceRepo", t.sourceRepo(), false);
        out.put('}');
        key(out, "workflows", false);
        out.put('[');
        for (int i = 0; i < t.workflows().size(); i++) {
            if (i > 0) out.put(',');
            workflow(out, t.workflows().get(i));
        }
        out.put(']');
        out.put('}');
    }

    private static void workflow(WireBuffer out, Workflow w) {
        Workflow.CloneOptions c = w.cloneOptions();
        out.put('{');
        key(out, "clone", true);
        out.put('{');
        key(out, "depth", true);
        GoJson.number(out, c.depth());
        key(out, "skip", false);
        bool(out, c.skip());
        key(out, "submodules", false);
        bool(out, c.submodules());
        key(out, "tags", false);
        bool(out, c.tags());
        out.put('}');
        text(out, "engine", w.engine(), false);
        text(out, "name", w.name(), false);
        text(out, "raw", w.raw(), false);
        out.put('}');
    }

    private static void text(WireBuffer out, String name, String value, boolean first) {
        key(out, name, first);
        GoJson.string(out, value);
    }

    private static void key(WireBuffer out, String name, boolean first) {
        if (!first) out.put(',');
        GoJson.string(out, name);
        out.put(':');
    }

    private static void bool(WireBuffer out, boolean v) {
        for (char ch : (v ? "true" : "false").toCharArray()) out.put((byte) ch);
    }
}
