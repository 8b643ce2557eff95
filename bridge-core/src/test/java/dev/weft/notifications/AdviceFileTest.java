package dev.weft.notifications;

import dev.weft.notify.Notification;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AdviceFileTest {
    @TempDir
    Path dir;

    private static AdviceRules.Facts facts(String engine, String workflow, String branch, String error, String... lines) {
        return new AdviceRules.Facts(engine, "did:plc:abc123", "api", "", workflow, branch, error, List.of(lines));
    }

    @Test
    @DisplayName("the example advice file in docs/ is valid and its rules match what they say")
    void exampleFile() throws Exception {
        Path example = Path.of("..", "docs", "advice.example.toml");
        AdviceRules rules = AdviceFile.load(example).rules();
        assertEquals(4, rules.rules().size());
        assertEquals("U024BE7LH", rules.memberOf("did:plc:abc123"));
        assertEquals("", rules.memberOf("did:plc:nobody"), "an unknown DID is simply not mentioned");
        assertEquals(Optional.of(new Notification.Advice(
                        "The staging database is down. Restart it from the ops console before re-running.",
                        "https://runbooks.example/staging-db")),
                rules.adviceFor(facts("github", "ci.yml", "main", "exit status 1", "x", "dial tcp 10.0.0.5:5432: connection refused")));
        // Engine filter: the disk rule is for buildkite only.
        assertTrue(rules.adviceFor(facts("github", "ci.yml", "main", "No space left on device")).isEmpty());
        assertEquals("The runner's disk is full. Clear the build cache (Settings, Caches) and re-run.",
                rules.adviceFor(facts("buildkite", "ci.yml", "main", "No space left on device")).orElseThrow().text());
        // Repo and branch filters.
        assertTrue(rules.adviceFor(facts("github", "ci.yml", "dev", "", "FAIL tests/integration/a.test")).isEmpty());
        assertTrue(rules.adviceFor(facts("github", "ci.yml", "main", "", "FAIL tests/integration/a.test")).isPresent());
    }

    @Test
    @DisplayName("invalid rules stop loading, naming each rule and its problem")
    void invalid() throws Exception {
        Path f = dir.resolve("advice.toml");
        Files.writeString(f, """
                [[rule]]
                match = 'ok'
                advice = "fine"
                [[rule]]
                match = '(unclosed'
                advice = "x"
                [[rule]]
                advice = "no match"
                link = "ftp://nope"
                colour = "red"
                [people]
                "alice" = "U1"
                """);
        var e = assertThrows(AdviceRules.InvalidAdviceException.class, () -> AdviceFile.load(f));
        String m = e.getMessage();
        assertTrue(m.contains("rule 2: 'match' is not a valid regular expression"), m);
        assertTrue(m.contains("rule 3: 'match' is required"), m);
        assertTrue(m.contains("rule 3: 'link' must be an http(s) URL"), m);
        assertTrue(m.contains("rule 3: unknown key 'colour'"), m);
        assertTrue(m.contains("people: 'alice' is not a DID"), m);
        assertTrue(m.contains(f.toString()), m);

        Files.writeString(f, "[[rule]\nmatch = ");
        var syntax = assertThrows(AdviceRules.InvalidAdviceException.class, () -> AdviceFile.load(f));
        assertTrue(syntax.getMessage().contains("not valid TOML"), syntax.getMessage());
    }

    @Test
    @DisplayName("the file is re-read when it changes; a bad edit keeps the previous rules")
    void reload() throws Exception {
        Path f = dir.resolve("advice.toml");
        Files.writeString(f, "[[rule]]\nmatch = 'first'\nadvice = \"one\"\n");
        AdviceFile file = AdviceFile.load(f);
        assertEquals("one", file.rules().adviceFor(facts("e", "w", "b", "first")).orElseThrow().text());

        Files.writeString(f, "[[rule]]\nmatch = 'second'\nadvice = \"two\"\n");
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals("two", file.rules().adviceFor(facts("e", "w", "b", "second")).orElseThrow().text());

        Files.writeString(f, "[[rule]]\nmatch = '(broken'\nadvice = \"three\"\n");
        Files.setLastModifiedTime(f, FileTime.from(Instant.now().plusSeconds(10)));
        assertEquals("two", file.rules().adviceFor(facts("e", "w", "b", "second")).orElseThrow().text(),
                "a bad edit keeps the previous rules");

        Files.delete(f);
        assertEquals("two", file.rules().adviceFor(facts("e", "w", "b", "second")).orElseThrow().text());
    }

    @Test
    @DisplayName("a catastrophic pattern on long lines costs a bounded time and is skipped; later rules still match")
    void catastrophicRegex() throws Exception {
        Path f = dir.resolve("advice.toml");
        Files.writeString(f, """
                [[rule]]
                match = '(a+)+$'
                advice = "never"
                [[rule]]
                match = 'b'
                advice = "the next rule"
                """);
        AdviceRules rules = AdviceFile.load(f).rules();
        String evil = "a".repeat(100_000) + "!";
        List<String> lines = java.util.Collections.nCopies(20, evil);
        Optional<Notification.Advice> a = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> rules.adviceFor(facts("e", "w", "b", evil + "b", lines.toArray(String[]::new))));
        assertEquals("the next rule", a.orElseThrow().text());
    }
}
