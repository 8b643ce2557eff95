package dev.weft.knot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.model.Trigger;
import dev.weft.model.TriggerKind;
import dev.weft.model.Workflow;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

@DisplayName("PipelineRecords")
class PipelineRecordsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String KNOT = "knot.example.com";
    static final String DID = "did:plc:alice";
    static final String SHA = "a".repeat(40);
    static final String ZEROS = "0".repeat(40);
    static final Instant AT = Instant.parse("2025-12-01T10:00:00.123456789Z");

    static ObjectNode push() {
        return PipelineRecordJson.push(KNOT, DID, "hello", "refs/heads/main", SHA, ZEROS)
                .workflow("ci.yml", "stub", "steps: []\n")
                .node();
    }

    static ObjectNode pr() {
        return PipelineRecordJson.pullRequest(KNOT, DID, "hello", "feature", "main", SHA)
                .workflow("ci.yml", "stub", "steps: []\n")
                .node();
    }

    static ObjectNode manual() {
        return PipelineRecordJson.manual(KNOT, DID, "hello").input("env", "prod").input("dry", "")
                .workflow("deploy.yml", "stub", "x: 1\n")
                .node();
    }

    static PipelineRecords.Parsed parse(JsonNode event) {
        return PipelineRecords.parse(KNOT, "3lbtidaaaae2a", event, AT);
    }

    static Trigger ok(JsonNode event) {
        PipelineRecords.Parsed p = parse(event);
        if (p instanceof PipelineRecords.Parsed.Rejected r) fail("expected Ok, got rejected: " + r.reason());
        return ((PipelineRecords.Parsed.Ok) p).trigger();
    }

    static ObjectNode meta(ObjectNode n) {
        return (ObjectNode) n.get("triggerMetadata");
    }

    static ObjectNode wf(ObjectNode n, int i) {
        return (ObjectNode) n.get("workflows").get(i);
    }

    @Nested
    @DisplayName("accepts")
    class Accepts {

        @Test
        @DisplayName("a push as a real knot writes it, with every field carried over")
        void push_record() {
            Trigger t = ok(push());
            assertEquals(new PipelineId(KNOT, "3lbtidaaaae2a"), t.pipeline());
            assertEquals(new RepoRef(KNOT, DID, "hello", ""), t.repo());
            assertEquals(new TriggerKind.Push("refs/heads/main", SHA, ZEROS), t.kind());
            assertEquals(List.of(new Workflow("ci.yml", "stub", Workflow.CloneOptions.DEFAULT, "steps: []\n")),
                    t.workflows());
            assertEquals(AT, t.receivedAt());
        }

        @Test
        @DisplayName("a pull request, with and without action")
        void pull_request() {
            assertEquals(new TriggerKind.PullRequest("feature", "main", SHA, "create"), ok(pr()).kind());
            ObjectNode n = pr();
            ((ObjectNode) meta(n).get("pullRequest")).remove("action");
            assertEquals(new TriggerKind.PullRequest("feature", "main", SHA, ""), ok(n).kind());
        }

        @Test
        @DisplayName("a manual trigger with inputs in record order, and one without a manual object")
        void manual_record() {
            assertEquals(new TriggerKind.Manual(List.of(new TriggerKind.Input("env", "prod"),
                    new TriggerKind.Input("dry", ""))), ok(manual()).kind());
            ObjectNode n = manual();
            meta(n).remove("manual");
            assertEquals(new TriggerKind.Manual(List.of()), ok(n).kind());
            ObjectNode nullInputs = manual();
            ((ObjectNode) meta(nullInputs).get("manual")).putNull("inputs");
            assertEquals(new TriggerKind.Manual(List.of()), ok(nullInputs).kind());
            ObjectNode nullEntry = manual();
            ((ArrayNode) meta(nullEntry).get("manual").get("inputs")).insertNull(0);
            assertEquals(2, ((TriggerKind.Manual) ok(nullEntry).kind()).inputs().size());
        }

        @Test
        @DisplayName("a push without oldSha, and explicit nulls read as absent")
        void optional_fields() {
            ObjectNode n = push();
            ((ObjectNode) meta(n).get("push")).remove("oldSha");
            assertEquals("", ((TriggerKind.Push) ok(n).kind()).oldSha());
            ObjectNode nul = push();
            ((ObjectNode) meta(nul).get("push")).putNull("oldSha");
            ((ObjectNode) meta(nul).get("repo")).putNull("defaultBranch");
            assertEquals("", ((TriggerKind.Push) ok(nul).kind()).oldSha());
            assertEquals("", ok(nul).repo().defaultBranch());
        }

        @Test
        @DisplayName("null workflows are skipped, the others kept in order")
        void null_workflows() {
            ObjectNode n = PipelineRecordJson.push(KNOT, DID, "hello", "refs/heads/main", SHA, ZEROS)
                    .workflow("a.yml", "stub", "").workflow("b.yml", "stub", "").node();
            ArrayNode ws = (ArrayNode) n.get("workflows");
            ws.insertNull(0);
            ws.insertNull(2);
            ws.addNull();
            assertEquals(List.of("a.yml", "b.yml"), ok(n).workflows().stream().map(Workflow::name).toList());
        }

        @Test
        @DisplayName("an empty or missing engine (the runtime fails it as unknown), missing raw as empty")
        void engine_and_raw() {
            ObjectNode n = push();
            wf(n, 0).put("engine", "");
            assertEquals("", ok(n).workflows().getFirst().engine());
            wf(n, 0).remove("engine");
            wf(n, 0).remove("raw");
            Workflow w = ok(n).workflows().getFirst();
            assertEquals("", w.engine());
            assertEquals("", w.raw());
        }

        @Test
        @DisplayName("clone options given, partly given, or absent")
        void clone_options() {
            ObjectNode n = PipelineRecordJson.push(KNOT, DID, "hello", "refs/heads/main", SHA, ZEROS)
                    .workflow("ci.yml", "stub", new Workflow.CloneOptions(true, 0, true), "").node();
            assertEquals(new Workflow.CloneOptions(true, 0, true), ok(n).workflows().getFirst().cloneOptions());
            ObjectNode partial = push();
            wf(partial, 0).putObject("clone").put("depth", 50);
            assertEquals(new Workflow.CloneOptions(false, 50, false), ok(partial).workflows().getFirst().cloneOptions());
            ObjectNode absent = push();
            wf(absent, 0).remove("clone");
            assertEquals(Workflow.CloneOptions.DEFAULT, ok(absent).workflows().getFirst().cloneOptions());
        }

        @Test
        @DisplayName("whatever $type says, and unknown fields")
        void type_and_extras() {
            ObjectNode n = push();
            n.put("$type", "sh.tangled.pipeline");
            n.put("somethingNew", 42);
            meta(n).putObject("future").put("x", 1);
            ok(n);
            ObjectNode none = push();
            none.remove("$type");
            ok(none);
        }

        @Test
        @DisplayName("an empty workflow list (nothing to run, but not malformed)")
        void empty_workflows() {
            ObjectNode n = push();
            n.putArray("workflows");
            assertEquals(List.of(), ok(n).workflows());
        }

        @Test
        @DisplayName("a non-empty defaultBranch")
        void default_branch() {
            ObjectNode n = PipelineRecordJson.push(KNOT, DID, "hello", "refs/heads/main", SHA, ZEROS)
                    .defaultBranch("main").workflow("ci.yml", "stub", "").node();
            assertEquals("main", ok(n).repo().defaultBranch());
        }
    }

    static Stream<Arguments> rejections() {
        return Stream.of(
                rej("triggerMetadata missing", push(), n -> n.remove("triggerMetadata"), "triggerMetadata is missing"),
                rej("triggerMetadata null", push(), n -> n.putNull("triggerMetadata"), "triggerMetadata is missing"),
                rej("triggerMetadata a string", push(), n -> n.put("triggerMetadata", "x"), "triggerMetadata is not an object"),
                rej("repo missing", push(), n -> meta(n).remove("repo"), "triggerMetadata.repo is missing"),
                rej("repo an array", push(), n -> meta(n).putArray("repo"), "triggerMetadata.repo is not an object"),
                rej("repo.knot differs", push(), n -> ((ObjectNode) meta(n).get("repo")).put("knot", "other.example.com"),
                        "triggerMetadata.repo.knot \"other.example.com\" differs from the knot the event came from \"knot.example.com\""),
                rej("repo.knot differs in case only", push(), n -> ((ObjectNode) meta(n).get("repo")).put("knot", "Knot.Example.com"),
                        "differs from the knot"),
                rej("repo.knot with a port the frame lacks", push(), n -> ((ObjectNode) meta(n).get("repo")).put("knot", KNOT + ":443"),
                        "differs from the knot"),
                rej("repo.knot missing", push(), n -> ((ObjectNode) meta(n).get("repo")).remove("knot"), "triggerMetadata.repo.knot is missing"),
                rej("repo.did missing", push(), n -> ((ObjectNode) meta(n).get("repo")).remove("did"), "triggerMetadata.repo.did is missing"),
                rej("repo.repo empty", push(), n -> ((ObjectNode) meta(n).get("repo")).put("repo", ""), "triggerMetadata.repo.repo is empty"),
                rej("repo.defaultBranch a number", push(), n -> ((ObjectNode) meta(n).get("repo")).put("defaultBranch", 1),
                        "triggerMetadata.repo.defaultBranch is not a string"),
                rej("kind missing", push(), n -> meta(n).remove("kind"), "triggerMetadata.kind is missing"),
                rej("kind unknown", push(), n -> meta(n).put("kind", "deploy"), "triggerMetadata.kind \"deploy\" is not one of push, pull_request, manual"),
                rej("kind in another spelling", push(), n -> meta(n).put("kind", "pullRequest"), "is not one of"),
                rej("kind a number", push(), n -> meta(n).put("kind", 3), "triggerMetadata.kind is not a string"),
                rej("push missing", push(), n -> meta(n).remove("push"), "triggerMetadata.push is missing"),
                rej("push a string", push(), n -> meta(n).put("push", "refs/heads/main"), "triggerMetadata.push is not an object"),
                rej("push.ref missing", push(), n -> ((ObjectNode) meta(n).get("push")).remove("ref"), "triggerMetadata.push.ref is missing"),
                rej("push.newSha missing", push(), n -> ((ObjectNode) meta(n).get("push")).remove("newSha"), "triggerMetadata.push.newSha is missing"),
                rej("push.newSha empty", push(), n -> ((ObjectNode) meta(n).get("push")).put("newSha", ""), "triggerMetadata.push.newSha is empty"),
                rej("push.oldSha a number", push(), n -> ((ObjectNode) meta(n).get("push")).put("oldSha", 0), "triggerMetadata.push.oldSha is not a string"),
                rej("pull_request without pullRequest", pr(), n -> meta(n).remove("pullRequest"), "triggerMetadata.pullRequest is missing"),
                rej("pull_request carrying only a push object", push(), n -> meta(n).put("kind", "pull_request"), "triggerMetadata.pullRequest is missing"),
                rej("pullRequest.sourceBranch missing", pr(), n -> ((ObjectNode) meta(n).get("pullRequest")).remove("sourceBranch"),
                        "triggerMetadata.pullRequest.sourceBranch is missing"),
                rej("pullRequest.targetBranch missing", pr(), n -> ((ObjectNode) meta(n).get("pullRequest")).remove("targetBranch"),
                        "triggerMetadata.pullRequest.targetBranch is missing"),
                rej("pullRequest.sourceSha missing", pr(), n -> ((ObjectNode) meta(n).get("pullRequest")).remove("sourceSha"),
                        "triggerMetadata.pullRequest.sourceSha is missing"),
                rej("manual a list", manual(), n -> meta(n).putArray("manual"), "triggerMetadata.manual is not an object"),
                rej("manual.inputs an object", manual(), n -> ((ObjectNode) meta(n).get("manual")).putObject("inputs"),
                        "triggerMetadata.manual.inputs is not an array"),
                rej("manual input without key", manual(), n -> ((ObjectNode) meta(n).get("manual").get("inputs").get(1)).remove("key"),
                        "triggerMetadata.manual.inputs[1].key is missing"),
                rej("manual input a string", manual(), n -> ((ArrayNode) meta(n).get("manual").get("inputs")).add("env=prod"),
                        "triggerMetadata.manual.inputs[2] is not an object"),
                rej("workflows missing", push(), n -> n.remove("workflows"), "workflows is missing"),
                rej("workflows null", push(), n -> n.putNull("workflows"), "workflows is missing"),
                rej("workflows an object", push(), n -> n.putObject("workflows"), "workflows is not an array"),
                rej("a workflow that is a string", push(), n -> ((ArrayNode) n.get("workflows")).add("ci.yml"), "workflows[1] is not an object"),
                rej("a workflow without name", push(), n -> wf(n, 0).remove("name"), "workflows[0].name is missing"),
                rej("a workflow with an empty name", push(), n -> wf(n, 0).put("name", ""), "workflows[0].name is empty"),
                rej("a workflow whose name is a number", push(), n -> wf(n, 0).put("name", 7), "workflows[0].name is not a string"),
                rej("a workflow whose engine is a number", push(), n -> wf(n, 0).put("engine", 7), "workflows[0].engine is not a string"),
                rej("a workflow whose raw is an object", push(), n -> wf(n, 0).putObject("raw"), "workflows[0].raw is not a string"),
                rej("clone a string", push(), n -> wf(n, 0).put("clone", "shallow"), "workflows[0].clone is not an object"),
                rej("clone.depth negative", push(), n -> ((ObjectNode) wf(n, 0).get("clone")).put("depth", -1),
                        "workflows[0].clone.depth is not a non-negative integer"),
                rej("clone.depth fractional", push(), n -> ((ObjectNode) wf(n, 0).get("clone")).put("depth", 1.5),
                        "workflows[0].clone.depth is not a non-negative integer"),
                rej("clone.skip a string", push(), n -> ((ObjectNode) wf(n, 0).get("clone")).put("skip", "yes"),
                        "workflows[0].clone.skip is not a boolean"),
                rej("two workflows of one name", push(), n -> ((ArrayNode) n.get("workflows")).add(wf(n, 0).deepCopy()),
                        "workflows[1].name \"ci.yml\" appears twice"));
    }

    static Arguments rej(String name, ObjectNode base, Consumer<ObjectNode> breakIt, String reason) {
        breakIt.accept(base);
        return Arguments.of(name, base, reason);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejections")
    @DisplayName("rejects, naming the field")
    void rejects(String name, ObjectNode event, String reason) {
        PipelineRecords.Parsed p = parse(event);
        PipelineRecords.Parsed.Rejected r = assertInstanceOf(PipelineRecords.Parsed.Rejected.class, p, name);
        assertTrue(r.reason().contains(reason), () -> "reason \"" + r.reason() + "\" does not contain \"" + reason + "\"");
    }

    @Test
    @DisplayName("rejects events that are not objects, and never throws on any shape")
    void odd_shapes() throws Exception {
        List<JsonNode> shapes = List.of(NullNode.getInstance(), JSON.readTree("[]"), JSON.readTree("\"x\""),
                JSON.readTree("1"), JSON.readTree("{}"), JSON.readTree("{\"triggerMetadata\":[]}"),
                JSON.readTree("{\"triggerMetadata\":{\"repo\":{\"knot\":[1]}}}"),
                JSON.readTree("{\"triggerMetadata\":{\"kind\":null,\"repo\":{\"knot\":\"" + KNOT + "\",\"did\":\"d\",\"repo\":\"r\"}}}"),
                JSON.readTree("[".repeat(500) + "]".repeat(500)));
        for (JsonNode s : shapes) assertInstanceOf(PipelineRecords.Parsed.Rejected.class, parse(s), s::toString);
        assertEquals(new PipelineRecords.Parsed.Rejected("record is not a JSON object"), parse(null));
        assertEquals(new PipelineRecords.Parsed.Rejected("record is not a JSON object"), parse(JSON.readTree("[]")));
    }

    @Test
    @DisplayName("PipelineRecordJson writes the knot's field names and an empty $type")
    void builder_shape() throws Exception {
        JsonNode n = JSON.readTree(PipelineRecordJson.push(KNOT, DID, "hello", "refs/heads/main", SHA, ZEROS)
                .workflow("ci.yml", "nixery", "steps: []\n").json());
        assertEquals("", n.get("$type").textValue());
        assertEquals("push", n.at("/triggerMetadata/kind").textValue());
        assertEquals(KNOT, n.at("/triggerMetadata/repo/knot").textValue());
        assertEquals("hello", n.at("/triggerMetadata/repo/repo").textValue());
        assertEquals("", n.at("/triggerMetadata/repo/defaultBranch").textValue());
        assertEquals(SHA, n.at("/triggerMetadata/push/newSha").textValue());
        assertEquals("nixery", n.at("/workflows/0/engine").textValue());
        assertEquals(1, n.at("/workflows/0/clone/depth").intValue());
        assertEquals("steps: []\n", n.at("/workflows/0/raw").textValue());
    }
    static PipelineRecords.Parsed.Rejected rejectedWith(String rkey, JsonNode event, String... mentions) {
        PipelineRecords.Parsed p = PipelineRecords.parse(KNOT, rkey, event, AT);
        PipelineRecords.Parsed.Rejected r = assertInstanceOf(PipelineRecords.Parsed.Rejected.class, p,
                () -> "rkey " + rkey + " should be refused");
        for (String m : mentions) {
            assertTrue(r.reason().contains(m), () -> "reason \"" + r.reason() + "\" does not contain \"" + m + "\"");
        }
        return r;
    }

    @Test
    @DisplayName("an rkey that is not an atproto record key is refused with the reason")
    void rkey_not_a_record_key() {
        rejectedWith("..", push(), "rkey is not a record key", "\"..\" is not allowed");
        rejectedWith(".", push(), "rkey is not a record key", "\".\" is not allowed");
        rejectedWith("", push(), "rkey is not a record key", "empty");
        rejectedWith(" ", push(), "rkey is not a record key", "U+0020");
        rejectedWith("3lbtid\u0000aaae2a", push(), "rkey is not a record key", "U+0000");
        rejectedWith("3".repeat(513), push(), "rkey is not a record key", "513 characters");
        rejectedWith("3lbtid\u00e9aaae2", push(), "rkey is not a record key", "U+00E9");
        rejectedWith("3lbtid\ud800aaae2", push(), "rkey is not a record key", "U+D800");
        rejectedWith("a/b", push(), "rkey is not a record key", "'/'");
    }

    @Test
    @DisplayName("a pipeline rkey that is a record key but not a TID is refused; valid TIDs pass")
    void rkey_not_a_tid() {
        rejectedWith("self", push(), "rkey is not a TID", "4 characters");
        rejectedWith("3lbtid0000001", push(), "rkey is not a TID", "'0'");
        rejectedWith("zzzzzzzzzzzzz", push(), "rkey is not a TID", "starts with 'z'");
        for (String tid : List.of("3jzfcijpj2z2a", "2222222222222", "jzzzzzzzzzzzz", "3lbtidaaaae2a")) {
            assertInstanceOf(PipelineRecords.Parsed.Ok.class, PipelineRecords.parse(KNOT, tid, push(), AT), tid);
        }
    }

    @Test
    @DisplayName("repo.did must be a DID")
    void repo_did_syntax() {
        ObjectNode n = push();
        ((ObjectNode) meta(n).get("repo")).put("did", "alice");
        rejectedWith("3lbtidaaaae2a", n, "triggerMetadata.repo.did is not a DID", "\"did:\"");
        n = push();
        ((ObjectNode) meta(n).get("repo")).put("did", "did:plc:a/../b");
        rejectedWith("3lbtidaaaae2a", n, "triggerMetadata.repo.did is not a DID", "'/'");
    }

    @Test
    @DisplayName("a lone surrogate anywhere in the record is refused, naming where, instead of becoming '?'")
    void lone_surrogates() throws Exception {
        ObjectNode n = push();
        wf(n, 0).put("name", "ci\ud800.yml");
        rejectedWith("3lbtidaaaae2a", n, "workflows[0].name is not valid text", "U+D800", "index 2");

        n = push();
        wf(n, 0).put("raw", "steps: []\n# \udc00");
        rejectedWith("3lbtidaaaae2a", n, "workflows[0].raw is not valid text", "U+DC00");

        n = push();
        ((ObjectNode) meta(n).get("repo")).put("repo", "hello\ud83d");
        rejectedWith("3lbtidaaaae2a", n, "triggerMetadata.repo.repo is not valid text");

        // Parsed from the wire: JSON escapes are where a lone surrogate comes from.
        JsonNode manual = JSON.readTree("{\"triggerMetadata\":{\"kind\":\"manual\",\"repo\":{\"knot\":\"" + KNOT
                + "\",\"did\":\"" + DID + "\",\"repo\":\"r\"},\"manual\":{\"inputs\":[{\"key\":\"k\",\"value\":\"\\ud800\"}]}},"
                + "\"workflows\":[]}");
        rejectedWith("3lbtidaaaae2a", manual, "triggerMetadata.manual.inputs[0].value is not valid text");

        // (Jackson's parser already refuses this one in a field name; a tree built in code can hold it.)
        ObjectNode key = push();
        key.put("x\udfff", 1);
        rejectedWith("3lbtidaaaae2a", key, "a field name in record is not valid text", "U+DFFF");

        // A paired surrogate (an emoji) is ordinary text.
        n = push();
        wf(n, 0).put("name", "rocket-\ud83d\ude80.yml");
        assertEquals("rocket-\ud83d\ude80.yml", ok(n).workflows().get(0).name());
    }
}
