package dev.weft.pipelines;

import dev.weft.model.Workflow;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.params.provider.Arguments.arguments;

@DisplayName("WorkflowCompiler")
class WorkflowCompilerTest {
    static final String SHA = "a".repeat(40);
    static final WorkflowTrigger PUSH_MAIN = WorkflowTrigger.Push.of("refs/heads/main", "0".repeat(40), SHA, List.of("x"));
    static final WorkflowTrigger PR_MAIN = WorkflowTrigger.PullRequest.of("opened", "feature", SHA, "main");
    static final WorkflowTrigger MANUAL = WorkflowTrigger.Manual.of(SHA, null);
    static final String PUSH_ONLY = "engine: nixery\nwhen:\n  - event: push\n    branch: main\n";

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static CompiledPipeline.Workflows compile(Map<String, byte[]> files, WorkflowTrigger t) {
        return assertInstanceOf(CompiledPipeline.Workflows.class, WorkflowCompiler.compile(files, t));
    }

    static InvalidWorkflow onlyInvalid(String name, byte[] contents) {
        CompiledPipeline.Workflows out = compile(Map.of(name, contents), PUSH_MAIN);
        assertEquals(List.of(), out.workflows());
        assertEquals(1, out.invalid().size(), () -> "expected one invalid file, got " + out.invalid());
        return out.invalid().getFirst();
    }

    @Nested
    @DisplayName("compiled workflows")
    class Compiled {
        @Test
        @DisplayName("clone defaults: skip false, depth 0, submodules and tags true; raw is the whole file")
        void defaults() {
            String text = "# comment kept\nengine: nixery\nsteps:\n  - name: build\n    command: make\n";
            Workflow w = compile(Map.of("ci.yml", b(text)), PUSH_MAIN).workflows().getFirst();
            assertEquals(new Workflow("ci.yml", "nixery", new Workflow.CloneOptions(false, 0, true, true), text), w);
        }

        @Test
        @DisplayName("clone as written; absent fields keep their defaults")
        void cloneAsWritten() {
            Workflow w = compile(Map.of("ci.yml", b("engine: e\nclone:\n  skip: true\n  depth: 50\n  submodules: false\n")),
                    PUSH_MAIN).workflows().getFirst();
            assertEquals(new Workflow.CloneOptions(true, 50, false, true), w.cloneOptions());
            Workflow t = compile(Map.of("ci.yml", b("engine: e\nclone:\n  tags: false\n")), PUSH_MAIN).workflows().getFirst();
            assertEquals(new Workflow.CloneOptions(false, 0, true, false), t.cloneOptions());
            Workflow n = compile(Map.of("ci.yml", b("engine: e\nclone:\n")), PUSH_MAIN).workflows().getFirst();
            assertEquals(new Workflow.CloneOptions(false, 0, true, true), n.cloneOptions());
        }

        @Test
        @DisplayName("workflows and invalid files each in file-name (UTF-8 byte) order")
        void order() {
            Map<String, byte[]> files = new LinkedHashMap<>();
            files.put("\uD83D\uDE00.yml", b("engine: e\n"));
            files.put("b.yml", b("engine: e\n"));
            files.put("\uFFFF.yml", b("engine: e\n"));
            files.put("A.yml", b("engine: e\n"));
            files.put("z-broken.yml", b("[nope"));
            files.put("a-broken.yml", b("- list\n"));
            CompiledPipeline.Workflows out = compile(files, PUSH_MAIN);
            assertEquals(List.of("A.yml", "b.yml", "\uFFFF.yml", "\uD83D\uDE00.yml"),
                    out.workflows().stream().map(Workflow::name).toList());
            assertEquals(List.of("a-broken.yml", "z-broken.yml"), out.invalid().stream().map(InvalidWorkflow::name).toList());
        }

        @Test
        @DisplayName("nothing matches and nothing is broken: an empty pipeline, nothing is created")
        void nothing() {
            CompiledPipeline.Workflows out = compile(Map.of("ci.yml", b(PUSH_ONLY)), PR_MAIN);
            assertTrue(out.isEmpty());
            assertTrue(compile(Map.of(), PUSH_MAIN).isEmpty());
        }

        @Test
        @DisplayName("unknown keys travel in raw and do not matter; the engine is any non-empty string")
        void unknownKeys() {
            Workflow w = compile(Map.of("ci.yml", b("engine: custom-thing\ndependencies: {nixpkgs: [go]}\nfoo: 1\n")),
                    PUSH_MAIN).workflows().getFirst();
            assertEquals("custom-thing", w.engine());
        }

        @Test
        @DisplayName("scalars are read as written: 'on' is a branch name, not YAML 1.1's true")
        void scalarsAsWritten() {
            String text = "engine: e\nwhen:\n  - event: push\n    branch: on\n";
            assertEquals(1, compile(Map.of("ci.yml", b(text)),
                    WorkflowTrigger.Push.of("refs/heads/on", "0".repeat(40), SHA, null)).workflows().size());
            Workflow w = compile(Map.of("ci.yml", b("engine: 1.10\nclone: {skip: yes, depth: 1_000}\n")), PUSH_MAIN)
                    .workflows().getFirst();
            assertEquals("1.10", w.engine());
            assertEquals(new Workflow.CloneOptions(true, 1000, true, true), w.cloneOptions());
        }

        @Test
        @DisplayName("only the first YAML document counts, as with go-yaml's Unmarshal")
        void firstDocument() {
            Workflow w = compile(Map.of("ci.yml", b("engine: first\n---\nengine: second\n")), PUSH_MAIN).workflows().getFirst();
            assertEquals("first", w.engine());
        }

        @Test
        @DisplayName("merge keys work, explicit keys win")
        void mergeKeys() {
            String text = "engine: e\nbase: &b {depth: 5, tags: false}\nclone:\n  <<: *b\n  depth: 2\n";
            assertEquals(new Workflow.CloneOptions(false, 2, true, false),
                    compile(Map.of("ci.yml", b(text)), PUSH_MAIN).workflows().getFirst().cloneOptions());
        }

        @Test
        @DisplayName("a reasonable use of anchors and aliases still works")
        void aliases() {
            String text = "engine: e\nwhen:\n  - &c\n    event: push\n    branch: main\n  - *c\n";
            assertEquals(1, compile(Map.of("ci.yml", b(text)), PUSH_MAIN).workflows().size());
        }
    }

    @Nested
    @DisplayName("invalid files are reported, in every pipeline, never thrown")
    class Invalid {
        static Stream<Arguments> files() {
            return Stream.of(
                    arguments("YAML syntax error", b("engine: e\nwhen: [\n"), "", "not valid YAML"),
                    arguments("top level is a list", b("- engine: e\n"), "", "the top level is not a mapping"),
                    arguments("top level is a scalar", b("just text\n"), "", "the top level is not a mapping"),
                    arguments("empty file", new byte[0], "", "empty file"),
                    arguments("only whitespace", b("  \n\n"), "", "empty file"),
                    arguments("only a comment", b("# nothing\n"), "", "empty file"),
                    arguments("binary", new byte[]{(byte) 0x89, 'P', 'N', 'G', 0, 0, 0, 13}, "", "not UTF-8"),
                    arguments("NUL bytes in UTF-8", b("engine: e\n\0\0\0"), "", "binary file"),
                    arguments("Latin-1, not UTF-8", new byte[]{'e', 'n', 'g', 'i', 'n', 'e', ':', ' ', (byte) 0xe9, '\n'}, "", "not UTF-8"),
                    arguments("no engine", b("when: []\n"), "", "missing engine"),
                    arguments("empty engine", b("engine: ''\n"), "", "missing engine"),
                    arguments("null engine", b("engine:\n"), "", "missing engine"),
                    arguments("engine is a list", b("engine: [a]\n"), "", "engine is not a string"),
                    arguments("when is a mapping", b("engine: nixery\nwhen:\n  event: push\n"), "nixery", "when is not a list"),
                    arguments("when entry is a string", b("engine: nixery\nwhen: [push]\n"), "nixery", "when[0] is not a mapping"),
                    arguments("branch is a mapping", b("engine: nixery\nwhen:\n  - event: push\n    branch: {a: b}\n"), "nixery",
                            "when[0].branch is not a string or a list of strings"),
                    arguments("branch list holds a list", b("engine: nixery\nwhen:\n  - event: push\n    branch: [[a]]\n"), "nixery",
                            "when[0].branch is not a string or a list of strings"),
                    arguments("clone is a list", b("engine: nixery\nclone: [1]\n"), "nixery", "clone is not a mapping"),
                    arguments("clone.depth is text", b("engine: nixery\nclone:\n  depth: deep\n"), "nixery", "clone.depth is not an integer"),
                    arguments("clone.depth too large", b("engine: nixery\nclone:\n  depth: 99999999999\n"), "nixery", "clone.depth is not an integer"),
                    arguments("clone.skip is text", b("engine: nixery\nclone:\n  skip: maybe\n"), "nixery", "clone.skip is not a boolean"),
                    arguments("duplicate key", b("engine: a\nengine: b\n"), "", "the top level defines key \"engine\" twice"),
                    arguments("duplicate key in when", b("engine: e\nwhen:\n  - event: push\n    event: pull_request\n"), "e",
                            "when[0] defines key \"event\" twice"),
                    arguments("merging a scalar", b("engine: e\nclone:\n  <<: 3\n"), "e", "clone merges a value that is not a mapping"),
                    arguments("quoted boolean", b("engine: e\nclone:\n  skip: 'true'\n"), "e", "clone.skip is not a boolean"),
                    arguments("nesting too deep", b("engine: e\nx: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n"), "", "not valid YAML: Nesting Depth exceeded"),
                    arguments("deep block nesting", b("engine: e\n" + deepBlock(200)), "", "not valid YAML: Nesting Depth exceeded")
            );
        }

        static String deepBlock(int depth) {
            StringBuilder s = new StringBuilder();
            for (int i = 0; i < depth; i++) s.append("  ".repeat(i)).append("k:\n");
            return s.toString();
        }

        @ParameterizedTest(name = "[{index}] {0}")
        @MethodSource("files")
        void reported(String what, byte[] contents, String engine, String reason) {
            InvalidWorkflow w = onlyInvalid("ci.yml", contents);
            assertEquals("ci.yml", w.name());
            assertEquals(engine, w.engine(), what);
            assertTrue(w.error().startsWith("invalid workflow file: " + reason), () -> what + ": " + w.error());
        }

        @Test
        @DisplayName("included for push, pull request and manual alike, beside what matched")
        void everyTrigger() {
            Map<String, byte[]> files = Map.of("broken.yml", b("engine: e\nwhen: ["), "ci.yml", b(PUSH_ONLY));
            for (WorkflowTrigger t : List.of(PUSH_MAIN, PR_MAIN, MANUAL,
                    WorkflowTrigger.Push.of("refs/heads/other", "0".repeat(40), SHA, null))) {
                CompiledPipeline.Workflows out = compile(files, t);
                assertEquals(List.of("broken.yml"), out.invalid().stream().map(InvalidWorkflow::name).toList(), t.toString());
                assertTrue(!out.isEmpty());
            }
        }

        @Test
        @DisplayName("a manual name filter applies to invalid files too: only what was asked for")
        void filtered() {
            Map<String, byte[]> files = Map.of("broken.yml", b("engine: e\nwhen: ["), "ci.yml", b(PUSH_ONLY));
            CompiledPipeline.Workflows out = compile(files, WorkflowTrigger.Manual.of(SHA, Set.of("ci.yml")));
            assertEquals(List.of("ci.yml"), out.workflows().stream().map(Workflow::name).toList());
            assertEquals(List.of(), out.invalid());
        }
    }

    @Nested
    @DisplayName("hostile input is bounded")
    class Hostile {
        @Test
        @Timeout(10)
        @DisplayName("a YAML alias bomb (billion laughs) is refused quickly, in little memory")
        void billionLaughs() {
            StringBuilder s = new StringBuilder("engine: e\na0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
            for (int i = 1; i < 10; i++) {
                s.append("a").append(i).append(": &a").append(i).append(" [");
                for (int j = 0; j < 9; j++) s.append(j == 0 ? "" : ",").append("*a").append(i - 1);
                s.append("]\n");
            }
            InvalidWorkflow w = onlyInvalid("bomb.yml", b(s.toString()));
            assertTrue(w.error().startsWith("invalid workflow file: not valid YAML: Number of aliases"), w.error());
        }

        @Test
        @Timeout(10)
        @DisplayName("fifty aliases that fan out to 2^25 nodes (49 aliases) stop at the node budget, not in memory")
        void fanOutWithinTheAliasLimit() {
            // merge keys are the one place where a valid shape fans out: each level merges the one below twice
            StringBuilder s = new StringBuilder("engine: e\nx0: &x0 {depth: 1}\n");
            for (int i = 1; i <= 24; i++) s.append("x").append(i).append(": &x").append(i)
                    .append(" {<<: [*x").append(i - 1).append(", *x").append(i - 1).append("]}\n");
            s.append("clone: *x24\n");
            InvalidWorkflow w = onlyInvalid("fan.yml", b(s.toString()));
            assertTrue(w.error().contains("too large once aliases are expanded"), w.error());
            assertEquals("e", w.engine());
        }

        @Test
        @Timeout(10)
        @DisplayName("a recursive alias is refused, not walked forever")
        void recursive() {
            InvalidWorkflow w = onlyInvalid("loop.yml", b("engine: e\nclone: &c\n  <<: *c\n"));
            assertTrue(w.error().startsWith("invalid workflow file: "), w.error());
            InvalidWorkflow w2 = onlyInvalid("loop2.yml", b("engine: e\nwhen: &w\n  - event: [*w]\n"));
            assertTrue(w2.error().startsWith("invalid workflow file: "), w2.error());
        }

        @Test
        @Timeout(10)
        @DisplayName("a 50 MiB file is invalid by its size, without being parsed")
        void huge() {
            byte[] big = new byte[50 * 1024 * 1024];
            java.util.Arrays.fill(big, (byte) 'a');
            InvalidWorkflow w = onlyInvalid("big.yml", big);
            assertEquals("invalid workflow file: file is 52428800 bytes, more than the 262144 allowed", w.error());
            byte[] limit = new byte[WorkflowCompiler.MAX_FILE_BYTES];
            java.util.Arrays.fill(limit, (byte) '#');
            System.arraycopy(b("engine: e\n"), 0, limit, 0, 10);
            assertEquals(1, compile(Map.of("ci.yml", limit), PUSH_MAIN).workflows().size(), "exactly at the limit is fine");
        }

        @Test
        @Timeout(10)
        @DisplayName("10,000 files: one error for the whole commit, no file read")
        void tooManyFiles() {
            Map<String, byte[]> files = new HashMap<>();
            for (int i = 0; i < 10_000; i++) files.put("w" + i + ".yml", b("engine: e\n"));
            CompiledPipeline.Refused r = assertInstanceOf(CompiledPipeline.Refused.class, WorkflowCompiler.compile(files, PUSH_MAIN));
            assertEquals("too many workflow files in .tangled/workflows: 10000, at most 500", r.error());
        }

        @Test
        @Timeout(20)
        @DisplayName("exactly 500 files still compile")
        void fiveHundred() {
            Map<String, byte[]> files = new HashMap<>();
            for (int i = 0; i < WorkflowCompiler.MAX_FILES; i++) files.put(String.format("w%03d.yml", i), b("engine: e\n"));
            CompiledPipeline.Workflows out = compile(files, PUSH_MAIN);
            assertEquals(500, out.workflows().size());
            assertEquals("w000.yml", out.workflows().getFirst().name());
        }

        @Test
        @Timeout(10)
        @DisplayName("a hostile glob in paths against many changed files does not hang")
        void hostileGlob() {
            String pattern = "{a,b}".repeat(200) + "*".repeat(100) + "x";
            String text = "engine: e\nwhen:\n  - event: push\n    branch: main\n    paths: '" + pattern + "'\n";
            List<String> changed = java.util.Collections.nCopies(2000, "ab".repeat(150));
            WorkflowTrigger t = WorkflowTrigger.Push.of("refs/heads/main", "0".repeat(40), SHA, changed);
            assertEquals(List.of(), compile(Map.of("ci.yml", b(text)), t).workflows());
        }
    }
}
