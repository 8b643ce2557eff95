package dev.weft.config;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WeftConfigTest {
    static final Map<String, String> MINIMAL = Map.of("WEFT_HOSTNAME", "ci.example.com", "WEFT_OWNER_DID", "did:plc:abc");

    @Test
    @DisplayName("defaults match the documented table")
    void defaults() throws Exception {
        WeftConfig c = WeftConfig.from(MINIMAL);
        assertEquals(6555, c.listen().getPort());
        assertEquals("weft.db", c.db().toString());
        assertEquals(Duration.ofHours(1), c.workflowTimeout());
        assertEquals(Duration.ofMinutes(10), c.replayWindow());
        assertEquals(Duration.ofMinutes(2), c.eventsSkew());
        assertEquals(Duration.ofSeconds(1), c.firstStatusDelay());
        assertEquals(Duration.ofSeconds(1), c.statusGap());
    }

    @Test
    @DisplayName("every invalid value is reported at once, each naming its variable")
    void allProblems() {
        WeftConfig.InvalidConfigException e = assertThrows(WeftConfig.InvalidConfigException.class, () -> WeftConfig.from(Map.of(
                "WEFT_OWNER_DID", "alice", "WEFT_LISTEN", "nope", "WEFT_DEV", "maybe", "WEFT_WORKFLOW_TIMEOUT", "0s",
                "WEFT_REPOS", "just-a-name", "WEFT_STATUS_GAP", "-1s")));
        List<String> p = e.problems();
        for (String v : List.of("WEFT_HOSTNAME", "WEFT_OWNER_DID", "WEFT_LISTEN", "WEFT_DEV", "WEFT_WORKFLOW_TIMEOUT",
                "WEFT_REPOS", "WEFT_STATUS_GAP")) {
            assertTrue(p.stream().anyMatch(s -> s.startsWith(v + ":")), v + " in " + p);
        }
    }

    @Test
    @DisplayName("flags override the environment and the stock spindle's names are aliases")
    void flagsAndAliases() throws Exception {
        Map<String, String> env = WeftConfig.applyFlags(Map.of("SPINDLE_SERVER_HOSTNAME", "spindle.example",
                "SPINDLE_SERVER_OWNER", "did:plc:o", "WEFT_DB", "env.db"), List.of("--db", "flag.db", "--dev",
                "--repos=knot:1/did:plc:o/name,*", "--knots", "knot:1"));
        WeftConfig c = WeftConfig.from(env);
        assertEquals("spindle.example", c.hostname());
        assertEquals("flag.db", c.db().toString());
        assertTrue(c.dev());
        assertTrue(c.acceptAllRepos());
        assertEquals("did:plc:o", c.repos().get(0).did());
        assertEquals("SPINDLE_SERVER_HOSTNAME", c.sources().get("WEFT_HOSTNAME"));
    }
    @Test
    @DisplayName("WEFT_REPOS takes knot/<repo DID> entries beside knot/did/name, and refuses a repo DID that is not a DID")
    void repoDidEntries() throws Exception {
        Map<String, String> env = new java.util.HashMap<>(MINIMAL);
        env.put("WEFT_REPOS", "knot1/did:plc:abc/name, knot2/did:plc:repo1");
        WeftConfig c = WeftConfig.from(env);
        assertEquals(List.of(new dev.weft.model.RepoRef.RepoKey("knot1", "did:plc:abc", "name")), c.repos());
        assertEquals(List.of(new WeftConfig.StaticRepoDid("knot2", "did:plc:repo1")), c.repoDids());
        assertTrue(c.describe().contains("WEFT_REPOS=knot1/did:plc:abc/name,knot2/did:plc:repo1  (WEFT_REPOS)"), c.describe().toString());

        for (String bad : List.of("knot2/did:", "knot2/did:plc:", "/did:plc:repo1", "knot2/did:plc:a b", "knot2/name")) {
            env.put("WEFT_REPOS", bad);
            List<String> p = assertThrows(WeftConfig.InvalidConfigException.class, () -> WeftConfig.from(env)).problems();
            assertEquals(1, p.size(), bad + ": " + p);
            assertTrue(p.get(0).startsWith("WEFT_REPOS:"), p.get(0));
        }
    }

    @Test
    @DisplayName("WEFT_REPLAY_WINDOW below 1s is refused with the reason, alongside every other problem")
    void replayWindowBelowOneSecond() throws Exception {
        for (String tooShort : List.of("0s", "999ms", "1ns")) {
            Map<String, String> env = new java.util.HashMap<>(MINIMAL);
            env.put("WEFT_REPLAY_WINDOW", tooShort);
            env.put("WEFT_DEV", "maybe");
            List<String> p = assertThrows(WeftConfig.InvalidConfigException.class, () -> WeftConfig.from(env)).problems();
            assertEquals(2, p.size(), tooShort + ": " + p);
            String replay = p.stream().filter(s -> s.startsWith("WEFT_REPLAY_WINDOW:")).findFirst().orElseThrow();
            assertTrue(replay.contains("at least 1s") && replay.contains("got " + tooShort), replay);
        }
        // A negative one keeps its own message, not two.
        Map<String, String> negative = new java.util.HashMap<>(MINIMAL);
        negative.put("WEFT_REPLAY_WINDOW", "-5s");
        List<String> p = assertThrows(WeftConfig.InvalidConfigException.class, () -> WeftConfig.from(negative)).problems();
        assertEquals(List.of("WEFT_REPLAY_WINDOW: must be zero or more, got -5s"), p);

        Map<String, String> oneSecond = new java.util.HashMap<>(MINIMAL);
        oneSecond.put("WEFT_REPLAY_WINDOW", "1s");
        assertEquals(Duration.ofSeconds(1), WeftConfig.from(oneSecond).replayWindow());
    }
}
