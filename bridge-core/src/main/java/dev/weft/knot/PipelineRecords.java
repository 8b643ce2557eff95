package dev.weft.knot;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.model.AtSyntax;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Turns the {@code event} of one knot frame (a {@code sh.tangled.pipeline} record) into a
 * {@link Trigger}, or into the reason it is refused.
 *
 * <p>The rules are those of the wire contract (section 2): the record must carry
 * {@code triggerMetadata} with a {@code repo} whose {@code knot} is exactly the host the frame came
 * from, a known {@code kind} with that kind's required fields, and a {@code workflows} array whose
 * non-null entries each have a non-empty {@code name}. A present field of the wrong JSON type is
 * refused, as Go's {@code encoding/json} would refuse the whole record; an explicit {@code null}
 * counts as absent, as it does in Go. {@code $type} is ignored (real knots send {@code ""}).
 *
 * <p>Identifiers are checked by the AT Protocol's syntax ({@link AtSyntax}) before anything else:
 * the rkey must be a record key and, as the wire contract says of pipeline rkeys, a TID (it becomes
 * a path segment of {@code /logs/<knot>/<rkey>/...} and a row key, so {@code ..} or a NUL must never
 * get through); {@code triggerMetadata.repo.did} must be a DID. No string anywhere in the record,
 * field names included, may hold an unpaired UTF-16 surrogate (a JSON escape can carry one): it has
 * no UTF-8 form and would be published as {@code ?} or U+FFFD instead of what the author wrote, so
 * the record is refused here rather than altered later.
 *
 * <p>Thread safety: stateless; call from any thread. Errors: {@link #parse} never throws on any
 * JSON shape; every refusal is a {@link Parsed.Rejected} whose reason names the offending field, for
 * a log line. It throws only {@link NullPointerException} when {@code knot}, {@code rkey} or
 * {@code receivedAt} is null, which is a programming error of the caller.
 */
public final class PipelineRecords {

    /** The nsid of pipeline records on the knot stream. */
    public static final String NSID = "sh.tangled.pipeline";

    /** Field names shown as they are in a refusal's path; any other is quoted and escaped. */
    private static final java.util.regex.Pattern PLAIN_KEY = java.util.regex.Pattern.compile("[A-Za-z0-9_$-]{1,64}");

    private PipelineRecords() {
    }

    /** The outcome of parsing one record: a trigger, or a reason for refusing it. */
    public sealed interface Parsed {
        /** A well-formed trigger, ready for a {@link TriggerSink}. */
        record Ok(Trigger trigger) implements Parsed {
            public Ok {
                Objects.requireNonNull(trigger, "trigger");
            }
        }

        /** A refused record; {@code reason} is human text naming the field. */
        record Rejected(String reason) implements Parsed {
            public Rejected {
                Objects.requireNonNull(reason, "reason");
            }
        }
    }

    /**
     * Parses one pipeline record.
     *
     * @param knot       the knot host the frame came from (compared exactly with {@code repo.knot})
     * @param rkey       the frame's rkey: the pipeline's rkey
     * @param event      the frame's {@code event} node; null or any shape is tolerated
     * @param receivedAt local time the frame was received
     */
    public static Parsed parse(String knot, String rkey, JsonNode event, Instant receivedAt) {
        Objects.requireNonNull(knot, "knot");
        Objects.requireNonNull(rkey, "rkey");
        Objects.requireNonNull(receivedAt, "receivedAt");
        try {
            checkRkey(rkey);
            checkWellFormed(event, "");
            return new Parsed.Ok(build(knot, rkey, event, receivedAt));
        } catch (Refusal r) {
            return new Parsed.Rejected(r.getMessage());
        } catch (RuntimeException e) {
            // Defensive: the rules above should leave nothing to throw, but a parser bug must cost
            // one record, never the consumer.
            return new Parsed.Rejected("unexpected error parsing record: " + e);
        }
    }

    private static Trigger build(String knot, String rkey, JsonNode event, Instant receivedAt) {
        if (event == null || !event.isObject()) throw new Refusal("record is not a JSON object");
        JsonNode meta = requireObject(event, "triggerMetadata", "triggerMetadata");
        JsonNode repoNode = requireObject(meta, "repo", "triggerMetadata.repo");
        String repoKnot = requireString(repoNode, "knot", "triggerMetadata.repo.knot");
        if (!repoKnot.equals(knot)) {
            throw new Refusal("triggerMetadata.repo.knot \"" + repoKnot
                    + "\" differs from the knot the event came from \"" + knot + "\"");
        }
        String did = requireString(repoNode, "did", "triggerMetadata.repo.did");
        AtSyntax.did(did).ifPresent(why -> {
            throw new Refusal("triggerMetadata.repo.did is not a DID: " + why);
        });
        String name = requireString(repoNode, "repo", "triggerMetadata.repo.repo");
        String defaultBranch = optionalString(repoNode, "defaultBranch", "triggerMetadata.repo.defaultBranch");
        RepoRef repo = new RepoRef(repoKnot, did, name, defaultBranch);

        JsonNode kindNode = present(meta, "kind");
        if (kindNode == null) throw new Refusal("triggerMetadata.kind is missing");
        if (!kindNode.isTextual()) throw new Refusal("triggerMetadata.kind is not a string");
        TriggerKind kind = switch (kindNode.textValue()) {
            case "push" -> push(meta);
            case "pull_request" -> pullRequest(meta);
            case "manual" -> manual(meta);
            default -> throw new Refusal("triggerMetadata.kind \"" + kindNode.textValue()
                    + "\" is not one of push, pull_request, manual");
        };

        List<Workflow> workflows = workflows(event);
        return new Trigger(new PipelineId(knot, rkey), repo, kind, workflows, receivedAt);
    }

    /** The rkey: a record key (a path segment and row key) and, on the pipeline stream, a TID. */
    private static void checkRkey(String rkey) {
        Optional<String> why = AtSyntax.recordKey(rkey);
        if (why.isPresent()) throw new Refusal("rkey is not a record key: " + why.get());
        why = AtSyntax.tid(rkey);
        if (why.isPresent()) throw new Refusal("rkey is not a TID, as pipeline rkeys are: " + why.get());
    }

    /**
     * Refuses the record when any string in it, a field name included, holds an unpaired surrogate.
     * Recursion is bounded by the JSON parser's nesting limit.
     */
    private static void checkWellFormed(JsonNode node, String path) {
        if (node == null) return;
        if (node.isTextual()) {
            AtSyntax.wellFormed(node.textValue()).ifPresent(why -> {
                throw new Refusal((path.isEmpty() ? "record" : path) + " is not valid text: " + why);
            });
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) checkWellFormed(node.get(i), path + "[" + i + "]");
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (AtSyntax.loneSurrogate(e.getKey()) >= 0) {
                    throw new Refusal("a field name in " + (path.isEmpty() ? "record" : path) + " is not valid text: "
                            + AtSyntax.wellFormed(e.getKey()).orElseThrow() + " in " + AtSyntax.quote(e.getKey()));
                }
                String key = PLAIN_KEY.matcher(e.getKey()).matches() ? e.getKey() : AtSyntax.quote(e.getKey());
                checkWellFormed(e.getValue(), path.isEmpty() ? key : path + "." + key);
            }
        }
    }

    private static TriggerKind push(JsonNode meta) {
        JsonNode p = requireObject(meta, "push", "triggerMetadata.push");
        return new TriggerKind.Push(
                requireString(p, "ref", "triggerMetadata.push.ref"),
                requireString(p, "newSha", "triggerMetadata.push.newSha"),
                optionalString(p, "oldSha", "triggerMetadata.push.oldSha"));
    }

    private static TriggerKind pullRequest(JsonNode meta) {
        JsonNode pr = requireObject(meta, "pullRequest", "triggerMetadata.pullRequest");
        return new TriggerKind.PullRequest(
                requireString(pr, "sourceBranch", "triggerMetadata.pullRequest.sourceBranch"),
                requireString(pr, "targetBranch", "triggerMetadata.pullRequest.targetBranch"),
                requireString(pr, "sourceSha", "triggerMetadata.pullRequest.sourceSha"),
                optionalString(pr, "action", "triggerMetadata.pullRequest.action"));
    }

    private static TriggerKind manual(JsonNode meta) {
        JsonNode m = present(meta, "manual");
        if (m == null) return new TriggerKind.Manual(List.of());
        if (!m.isObject()) throw new Refusal("triggerMetadata.manual is not an object");
        JsonNode inputs = present(m, "inputs");
        if (inputs == null) return new TriggerKind.Manual(List.of());
        if (!inputs.isArray()) throw new Refusal("triggerMetadata.manual.inputs is not an array");
        List<TriggerKind.Input> out = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            JsonNode in = inputs.get(i);
            String path = "triggerMetadata.manual.inputs[" + i + "]";
            if (in == null || in.isNull()) continue;
            if (!in.isObject()) throw new Refusal(path + " is not an object");
            out.add(new TriggerKind.Input(requireString(in, "key", path + ".key"),
                    optionalString(in, "value", path + ".value")));
        }
        return new TriggerKind.Manual(out);
    }

    private static List<Workflow> workflows(JsonNode event) {
        JsonNode ws = present(event, "workflows");
        if (ws == null) throw new Refusal("workflows is missing");
        if (!ws.isArray()) throw new Refusal("workflows is not an array");
        List<Workflow> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < ws.size(); i++) {
            JsonNode w = ws.get(i);
            String path = "workflows[" + i + "]";
            // Upstream skips null workflows; so do we.
            if (w == null || w.isNull()) continue;
            if (!w.isObject()) throw new Refusal(path + " is not an object");
            String name = requireString(w, "name", path + ".name");
            // A workflow is identified by pipeline + name; two of one name could not be told apart.
            if (!names.add(name)) throw new Refusal(path + ".name \"" + name + "\" appears twice");
            // An empty engine is legal here: the runtime fails that workflow as an unknown engine.
            String engine = optionalString(w, "engine", path + ".engine");
            String raw = optionalString(w, "raw", path + ".raw");
            out.add(new Workflow(name, engine, clone(w, path), raw));
        }
        return out;
    }

    private static Workflow.CloneOptions clone(JsonNode w, String path) {
        JsonNode c = present(w, "clone");
        if (c == null) return Workflow.CloneOptions.DEFAULT;
        if (!c.isObject()) throw new Refusal(path + ".clone is not an object");
        boolean skip = optionalBoolean(c, "skip", path + ".clone.skip", Workflow.CloneOptions.DEFAULT.skip());
        boolean submodules = optionalBoolean(c, "submodules", path + ".clone.submodules",
                Workflow.CloneOptions.DEFAULT.submodules());
        int depth = Workflow.CloneOptions.DEFAULT.depth();
        JsonNode d = present(c, "depth");
        if (d != null) {
            if (!d.isIntegralNumber() || !d.canConvertToInt() || d.intValue() < 0) {
                throw new Refusal(path + ".clone.depth is not a non-negative integer");
            }
            depth = d.intValue();
        }
        return new Workflow.CloneOptions(skip, depth, submodules);
    }

    /** The field's node, or null when it is absent or JSON {@code null}. */
    private static JsonNode present(JsonNode parent, String field) {
        JsonNode n = parent.get(field);
        return n == null || n.isNull() || n.isMissingNode() ? null : n;
    }

    private static JsonNode requireObject(JsonNode parent, String field, String path) {
        JsonNode n = present(parent, field);
        if (n == null) throw new Refusal(path + " is missing");
        if (!n.isObject()) throw new Refusal(path + " is not an object");
        return n;
    }

    /** A required string: present, a string, and not empty. */
    private static String requireString(JsonNode parent, String field, String path) {
        JsonNode n = present(parent, field);
        if (n == null) throw new Refusal(path + " is missing");
        if (!n.isTextual()) throw new Refusal(path + " is not a string");
        if (n.textValue().isEmpty()) throw new Refusal(path + " is empty");
        return n.textValue();
    }

    /** An optional string: absent or null reads as {@code ""}; another type is refused. */
    private static String optionalString(JsonNode parent, String field, String path) {
        JsonNode n = present(parent, field);
        if (n == null) return "";
        if (!n.isTextual()) throw new Refusal(path + " is not a string");
        return n.textValue();
    }

    private static boolean optionalBoolean(JsonNode parent, String field, String path, boolean dflt) {
        JsonNode n = present(parent, field);
        if (n == null) return dflt;
        if (!n.isBoolean()) throw new Refusal(path + " is not a boolean");
        return n.booleanValue();
    }

    /** Control flow for a refusal; never escapes {@link #parse}. */
    private static final class Refusal extends RuntimeException {
        Refusal(String reason) {
            super(reason, null, false, false);
        }
    }
}
