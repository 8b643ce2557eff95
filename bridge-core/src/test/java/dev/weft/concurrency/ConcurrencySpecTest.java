package dev.weft.concurrency;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

class ConcurrencySpecTest {
    private static final YAMLMapper YAML = new YAMLMapper();
    private static final Map<String, String> VARS = Map.of("TANGLED_REF_NAME", "main", "TANGLED_REPO_NAME", "site");

    private static ConcurrencySpec read(String yaml) throws Exception {
        JsonNode spec = YAML.readTree(yaml);
        return ConcurrencySpec.read(spec, VARS);
    }

    @Test
    @DisplayName("no key, the short form and the long form")
    void forms() throws Exception {
        assertEquals(ConcurrencySpec.NONE, read("engine: x\n"));
        assertEquals(new ConcurrencySpec.Group("deploy", false), read("concurrency: deploy\n"));
        assertEquals(new ConcurrencySpec.Group("deploy", true),
                read("concurrency:\n  group: deploy\n  cancel-in-progress: true\n"));
        assertEquals(new ConcurrencySpec.Group("deploy", false),
                read("concurrency:\n  group: deploy\n  cancel-in-progress: false\n"));
    }

    @Test
    @DisplayName("TANGLED_* variables expand (unset ones to nothing); other text is kept as written")
    void expansion() throws Exception {
        assertEquals(new ConcurrencySpec.Group("deploy-main-site", false),
                read("concurrency: deploy-${TANGLED_REF_NAME}-${TANGLED_REPO_NAME}\n"));
        assertEquals(new ConcurrencySpec.Group("pr-", false), read("concurrency: pr-${TANGLED_PR_SOURCE_BRANCH}\n"));
        assertEquals(new ConcurrencySpec.Group("x-${HOME}", false), read("concurrency: x-${HOME}\n"));
    }

    @Test
    @DisplayName("the cap holds for the name as written and once expanded; an empty name is refused")
    void caps() throws Exception {
        assertEquals(new ConcurrencySpec.Group("g".repeat(256), false), read("concurrency: " + "g".repeat(256) + "\n"));
        assertEquals(new ConcurrencySpec.Invalid("concurrency group is 257 characters, more than the 256 allowed"),
                read("concurrency: " + "g".repeat(257) + "\n"));
        ConcurrencySpec expanded = ConcurrencySpec.read(YAML.readTree("concurrency: a-${TANGLED_INPUT_X}\n"),
                Map.of("TANGLED_INPUT_X", "v".repeat(300)));
        assertEquals(new ConcurrencySpec.Invalid("concurrency group is 302 characters once expanded, more than the 256 allowed"),
                expanded);
        assertEquals(new ConcurrencySpec.Invalid("concurrency group is empty once expanded"),
                read("concurrency: ${TANGLED_PR_ACTION}\n"));
        assertEquals(new ConcurrencySpec.Invalid("concurrency group contains control characters"),
                read("concurrency: \"a\\nb\"\n"));
    }

    @Test
    @DisplayName("a group's repository is its DID when it has one, whichever way the pipeline came; else knot/owner/name")
    void repository() {
        assertEquals("did:plc:repo1", ConcurrencyGroups.repoOf(new dev.weft.model.RepoRef("knot", "did:plc:o", "3k2", "", "did:plc:repo1")));
        assertEquals("knot/did:plc:o/site", ConcurrencyGroups.repoOf(new dev.weft.model.RepoRef("knot", "did:plc:o", "site")));
    }

    @Test
    @DisplayName("a waiting run waits for the running one, or else for the nearest one ahead of it")
    void ahead() {
        java.time.Instant t = java.time.Instant.EPOCH;
        java.util.function.BiFunction<Long, dev.weft.model.QueueState, dev.weft.store.QueueEntry> e = (id, st) ->
                new dev.weft.store.QueueEntry(id, "r", "g", new dev.weft.model.WorkflowId("k", "3k" + id, "w"), st, false, t, null, null);
        var running = e.apply(5L, dev.weft.model.QueueState.RUNNING);
        var one = e.apply(1L, dev.weft.model.QueueState.WAITING);
        var two = e.apply(2L, dev.weft.model.QueueState.WAITING);
        var three = e.apply(3L, dev.weft.model.QueueState.WAITING);
        assertEquals(running, ConcurrencyGroups.ahead(java.util.List.of(running, one, two, three), 3));
        assertEquals(two, ConcurrencyGroups.ahead(java.util.List.of(one, two, three), 3));
        assertEquals(null, ConcurrencyGroups.ahead(java.util.List.of(one, two, three), 1));
    }
}
