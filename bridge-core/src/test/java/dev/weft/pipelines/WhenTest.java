package dev.weft.pipelines;

import dev.weft.model.TriggerKind;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The {@code when} algorithm of spec tangled-ci 2.6, one row per consequence the spec lists, run
 * through the whole compiler so that the YAML shapes are exercised too.
 */
@DisplayName("when")
class WhenTest {
    static final String SHA = "a".repeat(40);
    static final String ZEROS = "0".repeat(40);

    static WorkflowTrigger push(String ref) {
        return WorkflowTrigger.Push.of(ref, ZEROS, SHA, null);
    }

    static WorkflowTrigger push(String ref, List<String> changed) {
        return WorkflowTrigger.Push.of(ref, ZEROS, SHA, changed);
    }

    static WorkflowTrigger pr(String action, String source, String target) {
        return WorkflowTrigger.PullRequest.of(action, source, SHA, target);
    }

    static WorkflowTrigger manual() {
        return WorkflowTrigger.Manual.of(SHA, null);
    }

    static Stream<Arguments> rows() {
        return Stream.of(
                // no `when` at all, or an empty one, always runs
                arguments("no when: push", "", push("refs/heads/main"), true),
                arguments("no when: pull request", "", pr("opened", "f", "main"), true),
                arguments("no when: odd ref", "", push("refs/notes/x"), true),
                arguments("when: null", "when:\n", push("refs/heads/main"), true),
                arguments("when: []", "when: []\n", push("refs/heads/main"), true),
                // a push constraint needs branch or tag
                arguments("push without branch or tag", "when:\n  - event: push\n", push("refs/heads/main"), false),
                arguments("push on the branch", "when:\n  - event: push\n    branch: main\n", push("refs/heads/main"), true),
                arguments("push on another branch", "when:\n  - event: push\n    branch: main\n", push("refs/heads/dev"), false),
                arguments("push branch glob", "when:\n  - event: push\n    branch: release/*\n", push("refs/heads/release/1.0"), true),
                arguments("push branch glob stops at /", "when:\n  - event: push\n    branch: release/*\n", push("refs/heads/release/1/x"), false),
                arguments("push branch list", "when:\n  - event: [push]\n    branch: [dev, main]\n", push("refs/heads/main"), true),
                arguments("branch does not match a tag push", "when:\n  - event: push\n    branch: '*'\n", push("refs/tags/v1"), false),
                arguments("push on a tag", "when:\n  - event: push\n    tag: v*\n", push("refs/tags/v1.2"), true),
                arguments("tag does not match a branch push", "when:\n  - event: push\n    tag: '*'\n", push("refs/heads/main"), false),
                arguments("neither a branch nor a tag", "when:\n  - event: push\n    branch: '**'\n    tag: '**'\n", push("refs/notes/x"), false),
                arguments("event must be listed", "when:\n  - event: pull_request\n    branch: main\n", push("refs/heads/main"), false),
                arguments("event is case-sensitive", "when:\n  - event: Push\n    branch: main\n", push("refs/heads/main"), false),
                arguments("missing event matches nothing", "when:\n  - branch: main\n", push("refs/heads/main"), false),
                arguments("null constraint matches nothing", "when:\n  -\n", push("refs/heads/main"), false),
                arguments("any constraint suffices", "when:\n  - event: push\n    branch: dev\n  - event: push\n    branch: main\n", push("refs/heads/main"), true),
                // pull requests: matched on the target branch
                arguments("PR on its target branch", "when:\n  - event: pull_request\n    branch: main\n", pr("opened", "feature", "main"), true),
                arguments("PR not on its source branch", "when:\n  - event: pull_request\n    branch: feature\n", pr("opened", "feature", "main"), false),
                arguments("PR needs a branch", "when:\n  - event: pull_request\n", pr("opened", "feature", "main"), false),
                arguments("PR action '' counts as opened", "when:\n  - event: pull_request\n    branch: main\n", pr("", "f", "main"), true),
                arguments("PR action '' with types [opened]", "when:\n  - event: pull_request\n    branch: main\n    types: opened\n", pr("", "f", "main"), true),
                arguments("PR synchronize by default", "when:\n  - event: pull_request\n    branch: main\n", pr("synchronize", "f", "main"), true),
                arguments("PR reopened by default", "when:\n  - event: pull_request\n    branch: main\n", pr("reopened", "f", "main"), true),
                arguments("PR closed not by default", "when:\n  - event: pull_request\n    branch: main\n", pr("closed", "f", "main"), false),
                arguments("PR merged not by default", "when:\n  - event: pull_request\n    branch: main\n", pr("merged", "f", "main"), false),
                arguments("PR closed when listed", "when:\n  - event: pull_request\n    branch: main\n    types: [closed, merged]\n", pr("closed", "f", "main"), true),
                arguments("PR merged when listed", "when:\n  - event: pull_request\n    branch: main\n    types: merged\n", pr("merged", "f", "main"), true),
                arguments("types replace the default", "when:\n  - event: pull_request\n    branch: main\n    types: [closed]\n", pr("opened", "f", "main"), false),
                arguments("push constraint ignores types", "when:\n  - event: push\n    branch: main\n    types: [closed]\n", push("refs/heads/main"), true),
                // paths never match pull requests nor pushes without changedFiles
                arguments("paths: PR never", "when:\n  - event: pull_request\n    branch: main\n    paths: '**'\n", pr("opened", "f", "main"), false),
                arguments("paths: push without changedFiles", "when:\n  - event: push\n    branch: main\n    paths: '**'\n", push("refs/heads/main"), false),
                arguments("paths: push with no changed file", "when:\n  - event: push\n    branch: main\n    paths: '**'\n", push("refs/heads/main", List.of()), false),
                arguments("paths: a changed file matches", "when:\n  - event: push\n    branch: main\n    paths: [docs/**, src/**/*.java]\n", push("refs/heads/main", List.of("README.md", "src/dev/A.java")), true),
                arguments("paths: no changed file matches", "when:\n  - event: push\n    branch: main\n    paths: src/**\n", push("refs/heads/main", List.of("README.md", "docs/a.md")), false),
                arguments("paths: still needs the branch", "when:\n  - event: push\n    branch: dev\n    paths: '**'\n", push("refs/heads/main", List.of("a")), false),
                arguments("paths: * stays in the top directory", "when:\n  - event: push\n    branch: main\n    paths: '*.md'\n", push("refs/heads/main", List.of("docs/a.md")), false),
                arguments("empty paths list is no filter", "when:\n  - event: push\n    branch: main\n    paths: []\n", push("refs/heads/main"), true),
                // manual ignores `when` entirely
                arguments("manual despite a push-only when", "when:\n  - event: push\n    branch: main\n", manual(), true),
                arguments("manual despite an unmatchable when", "when:\n  - event: manual\n", manual(), true),
                arguments("manual event does not match a push", "when:\n  - event: manual\n    branch: '*'\n", push("refs/heads/main"), false)
        );
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("rows")
    void table(String what, String when, WorkflowTrigger trigger, boolean runs) {
        byte[] file = ("engine: nixery\n" + when).getBytes(StandardCharsets.UTF_8);
        CompiledPipeline.Workflows out = assertInstanceOf(CompiledPipeline.Workflows.class,
                WorkflowCompiler.compile(Map.of("ci.yml", file), trigger));
        assertTrue(out.invalid().isEmpty(), () -> "unexpectedly invalid: " + out.invalid());
        assertEquals(runs, out.workflows().size() == 1, what);
    }

    static Stream<Arguments> filters() {
        return Stream.of(
                arguments(Optional.empty(), List.of("a.yml", "b.yml", "c.yml")),
                arguments(Optional.of(Set.of()), List.of("a.yml", "b.yml", "c.yml")),
                arguments(Optional.of(Set.of("b.yml")), List.of("b.yml")),
                arguments(Optional.of(Set.of("c.yml", "a.yml", "nope.yml")), List.of("a.yml", "c.yml")),
                arguments(Optional.of(Set.of("nope.yml")), List.of()));
    }

    @ParameterizedTest(name = "[{index}] manual with filter {0} runs {1}")
    @MethodSource("filters")
    void manualRunsEverythingOrTheNamedOnes(Optional<Set<String>> only, List<String> expected) {
        Map<String, byte[]> files = Map.of(
                "a.yml", "engine: x\nwhen:\n  - event: push\n    branch: main\n".getBytes(StandardCharsets.UTF_8),
                "b.yml", "engine: x\n".getBytes(StandardCharsets.UTF_8),
                "c.yml", "engine: x\nwhen:\n  - event: pull_request\n    branch: nope\n".getBytes(StandardCharsets.UTF_8));
        var trigger = new WorkflowTrigger.Manual(new TriggerKind.Manual(List.of()), SHA, Optional.of("refs/heads/main"), only);
        var out = assertInstanceOf(CompiledPipeline.Workflows.class, WorkflowCompiler.compile(files, trigger));
        assertEquals(expected, out.workflows().stream().map(w -> w.name()).toList());
    }

    @ParameterizedTest(name = "[{index}] XRPC pull request with filter {0}")
    @MethodSource("filters")
    void pullRequestFilter(Optional<Set<String>> only, List<String> expectedIfAllMatch) {
        Map<String, byte[]> files = Map.of(
                "a.yml", "engine: x\n".getBytes(StandardCharsets.UTF_8),
                "b.yml", "engine: x\n".getBytes(StandardCharsets.UTF_8),
                "c.yml", "engine: x\n".getBytes(StandardCharsets.UTF_8));
        var trigger = new WorkflowTrigger.PullRequest(new TriggerKind.PullRequest("f", "main", SHA, ""), only);
        var out = assertInstanceOf(CompiledPipeline.Workflows.class, WorkflowCompiler.compile(files, trigger));
        assertEquals(expectedIfAllMatch, out.workflows().stream().map(w -> w.name()).toList());
    }
}
